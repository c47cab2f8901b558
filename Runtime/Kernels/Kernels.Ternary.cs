using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>Floor of an activation row's absmax before its int8 scale is taken (BitNet's 1e-5).</summary>
    public const float ActivationQuantEpsilon = 1e-5f;

    /// <summary>
    /// BitNet's per-token 8-bit activation quantization, row by row: <c>s = 127 / max(max_i |x_i|, 1e-5)</c>,
    /// <c>q_i = round_half_to_even(x_i · s)</c> (torch.round), and <c>scales[t] = 1 / s</c> (so <c>x ≈ q · scales[t]</c>).
    /// Row <c>t</c> of <paramref name="destination"/> starts at <c>t · PadColumns(cols)</c>; its padding is zeroed.
    /// </summary>
    /// <remarks>
    /// The reference clamps to [−128, 127]; since <c>|x_i · s| ≤ 127</c> by construction that clamp never binds, and the
    /// codes are in [−127, 127] (which the ternary products rely on: they negate activations).
    /// </remarks>
    /// <param name="x">The inputs, <c>[count, cols]</c> row-major.</param>
    /// <param name="count">Number of rows (tokens).</param>
    /// <param name="cols">Elements per row.</param>
    /// <param name="destination">At least <c>count · TernaryMatrix.PadColumns(cols)</c> codes.</param>
    /// <param name="scales">At least <paramref name="count"/> elements: each row's <c>1 / s</c>.</param>
    public static void QuantizeInt8Rows(ReadOnlySpan<float> x, int count, int cols, Span<sbyte> destination, Span<float> scales)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        int stride = TernaryMatrix.PadColumns(cols);
        RequireAtLeast(x, (long)count * cols);
        if (destination.Length < (long)count * stride)
        {
            ThrowTooShort(nameof(destination), destination.Length, (long)count * stride);
        }
        RequireAtLeast(scales, count);
        for (int t = 0; t < count; t++)
        {
            ReadOnlySpan<float> row = x.Slice(t * cols, cols);
            Span<sbyte> codes = destination.Slice(t * stride, stride);
            // max |x_i|, NaN if any x_i is NaN (as a loop of MathF.Max gives).
            float clamped = MathF.Max(row.IsEmpty ? 0f : MathF.Abs(TensorPrimitives.MaxMagnitude(row)), ActivationQuantEpsilon);
            float s = 127f / clamped;
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                // Four vectors at a time, rounded half to even as MathF.Round and clamped the same; a NaN converts to
                // int.MinValue, which narrows to 0 as the scalar cast gives.
                var scale = Vector256.Create(s);
                for (; i + 32 <= row.Length; i += 32)
                {
                    var low = Vector256.Narrow(Code(Vector256.Create(row[i..]) * scale), Code(Vector256.Create(row[(i + 8)..]) * scale));
                    var high = Vector256.Narrow(Code(Vector256.Create(row[(i + 16)..]) * scale), Code(Vector256.Create(row[(i + 24)..]) * scale));
                    Vector256.Narrow(low, high).CopyTo(codes[i..]);
                }
            }
            for (; i < row.Length; i++)
            {
                codes[i] = (sbyte)Math.Clamp(MathF.Round(row[i] * s, MidpointRounding.ToEven), -127f, 127f);
            }
            codes[cols..].Clear();
            scales[t] = clamped / 127f;
        }

        static Vector256<int> Code(Vector256<float> q) =>
            Vector256.ConvertToInt32Native(Vector256.Clamp(Vector256.Round(q), Vector256.Create(-127f), Vector256.Create(127f)));
    }

    /// <summary>
    /// BitLinear product of a ternary weight with a batch of int8-quantized tokens:
    /// <c>destination[t, r] = (Σ_c W[r, c] · q[t, c]) · w.Scale · scales[t]</c>, the sum exact in int32 and made of additions and
    /// subtractions of activations only (no multiplication by a weight; Arm's <c>sdot</c>, where present, takes the weights as
    /// bytes in {−1, 0, 1}).
    /// </summary>
    /// <param name="w">The weight, <c>[Rows, Cols]</c>.</param>
    /// <param name="x">The codes from <see cref="QuantizeInt8Rows"/>, rows of <c>w.PaddedCols</c>, each in [−127, 127].</param>
    /// <param name="scales">Each token's <c>1 / s</c>.</param>
    /// <param name="count">Number of tokens.</param>
    /// <param name="destination">The outputs, <c>[count, w.Rows]</c> row-major.</param>
    public static void TernaryMatMul(in TernaryMatrix w, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> scales, int count, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int stride = w.PaddedCols;
        if (x.Length < (long)count * stride)
        {
            ThrowTooShort(nameof(x), x.Length, (long)count * stride);
        }
        RequireAtLeast(scales, count);
        RequireAtLeast(destination, (long)count * w.Rows);
        TernaryMatMulRows(w, x, scales, count, destination, 0, w.Rows);
    }

    /// <summary>
    /// Rows <paramref name="rowStart"/> .. <paramref name="rowEnd"/> − 1 of <see cref="TernaryMatMul"/>, lengths unchecked;
    /// each output is an exact integer sum times the same two scales whatever the range (the worker pool's split).
    /// </summary>
    internal static void TernaryMatMulRows(in TernaryMatrix w, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> scales, int count, Span<float> destination,
        int rowStart, int rowEnd) =>
        TernaryMatMulRows(w, x, scales, count, destination, rowStart, rowEnd, BestRowGroupKernel);

    /// <summary>
    /// <see cref="TernaryMatMulRows(in TernaryMatrix, ReadOnlySpan{sbyte}, ReadOnlySpan{float}, int, Span{float}, int, int)"/> with
    /// the four-row kernel named (the tests run each one the CPU has); every choice gives the same bits.
    /// </summary>
    internal static unsafe void TernaryMatMulRows(in TernaryMatrix w, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> scales, int count, Span<float> destination,
        int rowStart, int rowEnd, RowGroupKernel groups)
    {
        int stride = w.PaddedCols, r = rowStart;
        if (groups == RowGroupKernel.AvxVnni && rowEnd - r >= 4)
        {
            // Each token's Σ x, which the codes' sums exceed the weights' by (see TernaryDot4Vnni).
            int[] sums = ArrayPool<int>.Shared.Rent(count);
            fixed (sbyte* xp = x)
            {
                for (int t = 0; t < count; t++)
                {
                    sums[t] = SumOfCodesVnni(xp + ((long)t * stride), stride);
                }
                for (; r + 4 <= rowEnd; r += 4)
                {
                    for (int t = 0; t < count; t++)
                    {
                        TernaryDot4Vnni(w, r, xp + ((long)t * stride), sums[t], scales[t], destination.Slice((t * w.Rows) + r, 4), prefetch: t == 0);
                    }
                }
            }
            ArrayPool<int>.Shared.Return(sums);
        }
        else if (groups == RowGroupKernel.Avx2)
        {
            for (; r + 4 <= rowEnd; r += 4)
            {
                for (int t = 0; t < count; t++)
                {
                    TernaryDot4Avx2(w, r, x.Slice(t * stride, stride), scales[t], destination.Slice((t * w.Rows) + r, 4), prefetch: t == 0);
                }
            }
        }
        for (; r < rowEnd; r++)
        {
            ReadOnlySpan<byte> row = w.Row(r);
            for (int t = 0; t < count; t++)
            {
                int sum = TernaryDot(row, x.Slice(t * stride, stride));
                destination[(t * w.Rows) + r] = sum * (w.Scale * scales[t]);
            }
        }
    }

    /// <summary>Σ of a packed ternary row (see <see cref="TernaryMatrix"/>) times int8 codes, at the widest integer SIMD the CPU has.</summary>
    internal static int TernaryDot(ReadOnlySpan<byte> row, ReadOnlySpan<sbyte> x)
    {
        if (Avx2.IsSupported)
        {
            return TernaryDotAvx2(row, x);
        }
        if (Dp.IsSupported)
        {
            return TernaryDotSdot(row, x);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            return TernaryDotVector128(row, x);
        }
        return TernaryDotScalar(row, x);
    }

    /// <summary>One element at a time: add the activation where the code is 2 (+1), subtract it where 0 (−1).</summary>
    internal static int TernaryDotScalar(ReadOnlySpan<byte> row, ReadOnlySpan<sbyte> x)
    {
        int sum = 0;
        for (int k = 0; k < row.Length; k++)
        {
            int packed = row[k], column = (k / TernaryMatrix.BlockBytes * TernaryMatrix.BlockColumns) + (k % TernaryMatrix.BlockBytes);
            for (int j = 0; j < 4; j++)
            {
                int code = (packed >> (2 * j)) & 3;
                int value = x[column + (j * TernaryMatrix.BlockBytes)];
                sum += code == 2 ? value : code == 0 ? -value : 0;
            }
        }
        return sum;
    }

    /// <summary>
    /// 128-bit, portable (SSE, AdvSimd): per 16 codes, <c>(x AND plus) − (x AND minus)</c> with the masks from comparing the codes,
    /// widened to 16-bit sums per block and to 32-bit per row.
    /// </summary>
    internal static int TernaryDotVector128(ReadOnlySpan<byte> row, ReadOnlySpan<sbyte> x)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte a = ref MemoryMarshal.GetReference(x);
        var three = Vector128.Create((byte)3);
        var two = Vector128.Create((byte)2);
        var acc = Vector128<int>.Zero;
        for (int k = 0; k < row.Length; k += TernaryMatrix.BlockBytes)
        {
            var block = Vector128<short>.Zero;
            for (int half = 0; half < 2; half++)
            {
                var packed = Vector128.LoadUnsafe(ref w, (nuint)(k + (16 * half))).AsUInt16();
                for (int j = 0; j < 4; j++)
                {
                    var codes = Vector128.ShiftRightLogical(packed, 2 * j).AsByte() & three;
                    var plus = Vector128.Equals(codes, two).AsSByte();
                    var minus = Vector128.Equals(codes, Vector128<byte>.Zero).AsSByte();
                    var xs = Vector128.LoadUnsafe(ref a, (nuint)((4 * k) + (32 * j) + (16 * half)));
                    var (low, high) = Vector128.Widen((xs & plus) - (xs & minus));
                    block += low + high;
                }
            }
            var (blockLow, blockHigh) = Vector128.Widen(block);
            acc += blockLow + blockHigh;
        }
        return Vector128.Sum(acc);
    }

    /// <summary>
    /// Arm dot product (<c>SDOT</c>, Armv8.2+ with FEAT_DotProd): per 16 codes, shift and mask give the weights (code − 1, in
    /// {−1, 0, 1}) as bytes, and one <c>sdot</c> adds four weight × activation products into each 32-bit lane.
    /// </summary>
    internal static int TernaryDotSdot(ReadOnlySpan<byte> row, ReadOnlySpan<sbyte> x)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte a = ref MemoryMarshal.GetReference(x);
        var three = Vector128.Create((byte)3);
        var ones = Vector128.Create((sbyte)1);
        var acc = Vector128<int>.Zero;
        for (int k = 0; k < row.Length; k += TernaryMatrix.BlockBytes)
        {
            for (int half = 0; half < 2; half++)
            {
                var packed = Vector128.LoadUnsafe(ref w, (nuint)(k + (16 * half)));
                ref sbyte xs = ref Unsafe.Add(ref a, (4 * k) + (16 * half));
                acc = Dp.DotProduct(acc, Weights(packed, 0), Vector128.LoadUnsafe(ref xs));
                acc = Dp.DotProduct(acc, Weights(packed, 2), Vector128.LoadUnsafe(ref xs, 32));
                acc = Dp.DotProduct(acc, Weights(packed, 4), Vector128.LoadUnsafe(ref xs, 64));
                acc = Dp.DotProduct(acc, Weights(packed, 6), Vector128.LoadUnsafe(ref xs, 96));
            }
        }
        return Vector128.Sum(acc);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        Vector128<sbyte> Weights(Vector128<byte> packed, [ConstantExpected] byte shift) =>
            (Vector128.ShiftRightLogical(packed, shift) & three).AsSByte() - ones;
    }

    /// <summary>
    /// Four rows of <see cref="TernaryDotAvx2"/> in one pass, with the same exact integer sums (so the same outputs): each
    /// 128 activations are loaded once for the four rows, and the four accumulators are independent.
    /// </summary>
    /// <param name="prefetch">Whether to prefetch the rows ahead (<see cref="WeightPrefetchBytes"/>): on the first pass over them,
    /// which reads them from memory; a batch's later tokens find them in cache.</param>
    private static unsafe void TernaryDot4Avx2(in TernaryMatrix w, int row, ReadOnlySpan<sbyte> x, float xScale, Span<float> destination, bool prefetch)
    {
        int stride = w.Stride;
        byte* w0 = w.Data + ((long)row * stride), w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
        ref sbyte a = ref MemoryMarshal.GetReference(x);
        Vector256<int> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (int k = 0; k < stride; k += TernaryMatrix.BlockBytes)
        {
            ref sbyte xs = ref Unsafe.Add(ref a, 4 * k);
            var x0 = Vector256.LoadUnsafe(ref xs);
            var x1 = Vector256.LoadUnsafe(ref xs, 32);
            var x2 = Vector256.LoadUnsafe(ref xs, 64);
            var x3 = Vector256.LoadUnsafe(ref xs, 96);
            if (prefetch)
            {
                Sse.Prefetch1(w0 + k + WeightPrefetchBytes);
                Sse.Prefetch1(w1 + k + WeightPrefetchBytes);
                Sse.Prefetch1(w2 + k + WeightPrefetchBytes);
                Sse.Prefetch1(w3 + k + WeightPrefetchBytes);
            }
            acc0 = Avx2.Add(acc0, TernaryBlockAvx2(Avx.LoadVector256(w0 + k), x0, x1, x2, x3));
            acc1 = Avx2.Add(acc1, TernaryBlockAvx2(Avx.LoadVector256(w1 + k), x0, x1, x2, x3));
            acc2 = Avx2.Add(acc2, TernaryBlockAvx2(Avx.LoadVector256(w2 + k), x0, x1, x2, x3));
            acc3 = Avx2.Add(acc3, TernaryBlockAvx2(Avx.LoadVector256(w3 + k), x0, x1, x2, x3));
        }
        float scale = w.Scale * xScale;
        destination[0] = Vector256.Sum(acc0) * scale;
        destination[1] = Vector256.Sum(acc1) * scale;
        destination[2] = Vector256.Sum(acc2) * scale;
        destination[3] = Vector256.Sum(acc3) * scale;
    }

    /// <summary>
    /// Four rows of <see cref="TernaryDotAvx2"/> with AVX-VNNI, the same exact integer sums (so the same outputs).
    /// <c>vpdpbusd</c> multiplies unsigned bytes by signed ones: the 2-bit codes themselves (w + 1 ∈ {0, 1, 2}, a shift and a
    /// mask) times the activations, four products into each 32-bit lane, so <c>Σ (w + 1) · x − Σ x</c> is the row's sum, with
    /// <paramref name="xSum"/> (<see cref="SumOfCodesVnni"/>) taken once per token for every row. Three instructions per 32
    /// products instead of five, and no 16-bit sums. Two accumulators per row, so that a row's multiply-adds do not all wait
    /// on each other.
    /// </summary>
    private static unsafe void TernaryDot4Vnni(in TernaryMatrix w, int row, sbyte* x, int xSum, float xScale, Span<float> destination, bool prefetch)
    {
        int stride = w.Stride;
        byte* w0 = w.Data + ((long)row * stride), w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
        Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        for (int k = 0; k < stride; k += TernaryMatrix.BlockBytes)
        {
            sbyte* xs = x + (4 * k);
            var x0 = Avx.LoadVector256(xs);
            var x1 = Avx.LoadVector256(xs + 32);
            var x2 = Avx.LoadVector256(xs + 64);
            var x3 = Avx.LoadVector256(xs + 96);
            if (prefetch)
            {
                Sse.Prefetch1(w0 + k + WeightPrefetchBytes);
                Sse.Prefetch1(w1 + k + WeightPrefetchBytes);
                Sse.Prefetch1(w2 + k + WeightPrefetchBytes);
                Sse.Prefetch1(w3 + k + WeightPrefetchBytes);
            }
            (a0, b0) = TernaryBlockVnni(a0, b0, Avx.LoadVector256(w0 + k), x0, x1, x2, x3);
            (a1, b1) = TernaryBlockVnni(a1, b1, Avx.LoadVector256(w1 + k), x0, x1, x2, x3);
            (a2, b2) = TernaryBlockVnni(a2, b2, Avx.LoadVector256(w2 + k), x0, x1, x2, x3);
            (a3, b3) = TernaryBlockVnni(a3, b3, Avx.LoadVector256(w3 + k), x0, x1, x2, x3);
        }
        float scale = w.Scale * xScale;
        destination[0] = (Vector256.Sum(a0 + b0) - xSum) * scale;
        destination[1] = (Vector256.Sum(a1 + b1) - xSum) * scale;
        destination[2] = (Vector256.Sum(a2 + b2) - xSum) * scale;
        destination[3] = (Vector256.Sum(a3 + b3) - xSum) * scale;
    }

    /// <summary>One 128-column block of <see cref="TernaryDot4Vnni"/>: the codes at shifts 0 and 4 into <paramref name="a"/>, 2 and 6 into <paramref name="b"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<int> A, Vector256<int> B) TernaryBlockVnni(Vector256<int> a, Vector256<int> b, Vector256<byte> packed,
        Vector256<sbyte> x0, Vector256<sbyte> x1, Vector256<sbyte> x2, Vector256<sbyte> x3)
    {
        var three = Vector256.Create((byte)3);
        var codes = packed.AsUInt16();
        a = AvxVnni.MultiplyWideningAndAdd(a, packed & three, x0);
        b = AvxVnni.MultiplyWideningAndAdd(b, Avx2.ShiftRightLogical(codes, 2).AsByte() & three, x1);
        a = AvxVnni.MultiplyWideningAndAdd(a, Avx2.ShiftRightLogical(codes, 4).AsByte() & three, x2);
        b = AvxVnni.MultiplyWideningAndAdd(b, Avx2.ShiftRightLogical(codes, 6).AsByte() & three, x3);
        return (a, b);
    }

    /// <summary>Σ of <paramref name="length"/> int8 codes (a multiple of 32), by <c>vpdpbusd</c> with ones.</summary>
    private static unsafe int SumOfCodesVnni(sbyte* x, int length)
    {
        var ones = Vector256.Create((byte)1);
        var acc = Vector256<int>.Zero;
        for (int i = 0; i < length; i += Vector256<sbyte>.Count)
        {
            acc = AvxVnni.MultiplyWideningAndAdd(acc, ones, Avx.LoadVector256(x + i));
        }
        return Vector256.Sum(acc);
    }

    /// <summary>One 128-column block of <see cref="TernaryDot4Avx2"/>: the eight 32-bit partial sums of the packed codes times the activations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> TernaryBlockAvx2(Vector256<byte> packed, Vector256<sbyte> x0, Vector256<sbyte> x1, Vector256<sbyte> x2, Vector256<sbyte> x3)
    {
        var ones = Vector256.Create((byte)1);
        var codes = packed.AsUInt16();
        var block = Avx2.MultiplyAddAdjacent(ones, Avx2.Sign(x0, TernaryWeightsAvx2(codes, 0)));
        block = Avx2.Add(block, Avx2.MultiplyAddAdjacent(ones, Avx2.Sign(x1, TernaryWeightsAvx2(codes, 2))));
        block = Avx2.Add(block, Avx2.MultiplyAddAdjacent(ones, Avx2.Sign(x2, TernaryWeightsAvx2(codes, 4))));
        block = Avx2.Add(block, Avx2.MultiplyAddAdjacent(ones, Avx2.Sign(x3, TernaryWeightsAvx2(codes, 6))));
        return Avx2.MultiplyAddAdjacent(block, Vector256.Create((short)1));
    }

    /// <summary>The weights w − 1 ∈ {−1, 0, 1} of the 2-bit codes at <paramref name="shift"/> in each byte, as signed bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> TernaryWeightsAvx2(Vector256<ushort> packed, [ConstantExpected] byte shift) =>
        Avx2.Subtract(Avx2.And(Avx2.ShiftRightLogical(packed, shift).AsByte(), Vector256.Create((byte)3)), Vector256.Create((byte)1)).AsSByte();

    /// <summary>
    /// AVX2: per 32 codes, <c>vpsignb</c> negates or zeroes the activations by the weights (w − 1 from the 2-bit code), then
    /// <c>vpmaddubsw</c> with ones sums pairs into 16 bits and <c>vpmaddwd</c> with ones into 32 bits, once per 128 columns.
    /// </summary>
    internal static int TernaryDotAvx2(ReadOnlySpan<byte> row, ReadOnlySpan<sbyte> x)
    {
        ref byte w = ref MemoryMarshal.GetReference(row);
        ref sbyte a = ref MemoryMarshal.GetReference(x);
        var acc = Vector256<int>.Zero;
        for (int k = 0; k < row.Length; k += TernaryMatrix.BlockBytes)
        {
            ref sbyte xs = ref Unsafe.Add(ref a, 4 * k);
            acc = Avx2.Add(acc, TernaryBlockAvx2(Vector256.LoadUnsafe(ref w, (nuint)k), Vector256.LoadUnsafe(ref xs), Vector256.LoadUnsafe(ref xs, 32),
                Vector256.LoadUnsafe(ref xs, 64), Vector256.LoadUnsafe(ref xs, 96)));
        }
        return Vector256.Sum(acc);
    }
}
