using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using EdgeJamba.Layout;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// llama.cpp's activation quantization for Q8_0 products, row by row and block by block (32 values):
    /// <c>d = max|x| / 127</c>, <c>q = round(x / d)</c> (ties away from zero), <c>scales[t·B + b] = d</c> with
    /// <c>B = PadColumns(cols) / 32</c>. Row <c>t</c> of <paramref name="destination"/> starts at <c>t · PadColumns(cols)</c>;
    /// its padding and the scales of padding blocks are zeroed.
    /// </summary>
    public static void QuantizeQ8Rows(ReadOnlySpan<float> x, int count, int cols, Span<sbyte> destination, Span<float> scales)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        int stride = QuantizedRows.PadColumns(cols), blocks = stride / QuantizedRows.Q8Block;
        RequireAtLeast(x, (long)count * cols);
        if (destination.Length < (long)count * stride)
        {
            ThrowTooShort(nameof(destination), destination.Length, (long)count * stride);
        }
        RequireAtLeast(scales, (long)count * blocks);
        for (int t = 0; t < count; t++)
        {
            WeightQuantizer.QuantizeQ8Row(x.Slice(t * cols, cols), destination.Slice(t * stride, stride), scales.Slice(t * blocks, blocks));
        }
    }

    /// <summary>
    /// Q8_0 × Q8_0 product of a weight with a batch of quantized tokens:
    /// <c>destination[t, r] = Σ_b w.scale[r, b] · xScale[t, b] · Σ_{i in b} w.q[r, i] · x[t, i]</c>, each block's sum exact in
    /// int32, the blocks summed in float32.
    /// </summary>
    /// <param name="w">The weight.</param>
    /// <param name="x">Codes from <see cref="QuantizeQ8Rows"/>, rows of <c>w.PaddedCols</c>, each in [−127, 127].</param>
    /// <param name="scales">Their block scales, <c>w.Blocks</c> per token.</param>
    /// <param name="count">Number of tokens.</param>
    /// <param name="destination">The outputs, <c>[count, w.Rows]</c> row-major.</param>
    public static void Q8MatMul(in Q8Matrix w, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> scales, int count, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int stride = w.PaddedCols, blocks = w.Blocks;
        if (x.Length < (long)count * stride)
        {
            ThrowTooShort(nameof(x), x.Length, (long)count * stride);
        }
        RequireAtLeast(scales, (long)count * blocks);
        RequireAtLeast(destination, (long)count * w.Rows);
        Q8MatMulRows(w, x, scales, count, destination, 0, w.Rows);
    }

    /// <summary>
    /// Rows <paramref name="rowStart"/> .. <paramref name="rowEnd"/> − 1 of <see cref="Q8MatMul"/>, lengths unchecked; each
    /// output has the same bits whatever the range (the worker pool's split), its row computed alone or in a group of four.
    /// </summary>
    internal static void Q8MatMulRows(in Q8Matrix w, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> scales, int count, Span<float> destination,
        int rowStart, int rowEnd) =>
        Q8MatMulRows(w, x, scales, count, destination, rowStart, rowEnd, count > 1 ? BestRowGroupKernel : RowGroupKernel.None);

    /// <summary>How the integer products (<see cref="Q8MatMulRows(in Q8Matrix, ReadOnlySpan{sbyte}, ReadOnlySpan{float}, int, Span{float}, int, int, RowGroupKernel)"/>,
    /// <see cref="TernaryMatMulRows(in TernaryMatrix, ReadOnlySpan{sbyte}, ReadOnlySpan{float}, int, Span{float}, int, int, RowGroupKernel)"/>) multiply four rows at a time.</summary>
    internal enum RowGroupKernel
    {
        /// <summary>Each row alone (<see cref="Q8Dot"/>, <see cref="TernaryDot"/>).</summary>
        None,

        /// <summary><see cref="Q8Dot4Avx2"/>, <see cref="TernaryDot4Avx2"/>: <c>vpsignb</c>, <c>vpmaddubsw</c>, <c>vpmaddwd</c>.</summary>
        Avx2,

        /// <summary><see cref="Q8Dot4Vnni"/>, <see cref="TernaryDot4Vnni"/>: one <c>vpdpbusd</c> per 32 products.</summary>
        AvxVnni,
    }

    private static RowGroupKernel BestRowGroupKernel => AvxVnni.IsSupported ? RowGroupKernel.AvxVnni : Avx2.IsSupported ? RowGroupKernel.Avx2 : RowGroupKernel.None;

    /// <summary>
    /// <see cref="Q8MatMulRows(in Q8Matrix, ReadOnlySpan{sbyte}, ReadOnlySpan{float}, int, Span{float}, int, int)"/> with the
    /// four-row kernel named (the tests run each one the CPU has); every choice gives the same bits.
    /// </summary>
    internal static unsafe void Q8MatMulRows(in Q8Matrix w, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> scales, int count, Span<float> destination,
        int rowStart, int rowEnd, RowGroupKernel groups)
    {
        int stride = w.PaddedCols, blocks = w.Blocks, r = rowStart;
        // A batch reads each weight block several times: four rows per pass share the activations' loads and hide the FMA
        // latency. A single token streams the weights from memory once, where one row after the other reads them in order,
        // which measured faster (jamba-128m decode) than four interleaved streams, each row prefetched ahead (Q8DotAvx2).
        if (groups == RowGroupKernel.AvxVnni && rowEnd - r >= 4)
        {
            // Per block: four vectors of corrections and four scales.
            int[] prepared = ArrayPool<int>.Shared.Rent(blocks * 4 * (Vector256<int>.Count + 1));
            fixed (sbyte* xp = x)
            fixed (float* sp = scales, dp = destination)
            fixed (int* corrections = prepared)
            {
                float* rowScales = (float*)(corrections + (blocks * 4 * Vector256<int>.Count));
                for (; r + 4 <= rowEnd; r += 4)
                {
                    Q8Prepare4(w, r, stride, blocks, corrections, rowScales);
                    sbyte* w0 = w.Quants + ((long)r * stride);
                    for (int t = 0; t < count; t += 2)
                    {
                        // An odd last token goes in as both of the pair (its outputs written twice, the same bits).
                        int u = Math.Min(t + 1, count - 1);
                        Q8Dot4Vnni(w0, stride, blocks, corrections, rowScales, xp + ((long)t * stride), xp + ((long)u * stride),
                            sp + ((long)t * blocks), sp + ((long)u * blocks), dp + ((long)t * w.Rows) + r, dp + ((long)u * w.Rows) + r);
                    }
                }
            }
            ArrayPool<int>.Shared.Return(prepared);
        }
        else if (groups == RowGroupKernel.Avx2)
        {
            for (; r + 4 <= rowEnd; r += 4)
            {
                for (int t = 0; t < count; t++)
                {
                    Q8Dot4Avx2(w, r, x.Slice(t * stride, stride), scales.Slice(t * blocks, blocks), destination.Slice((t * w.Rows) + r, 4));
                }
            }
        }
        for (; r < rowEnd; r++)
        {
            ReadOnlySpan<sbyte> row = w.Row(r);
            ReadOnlySpan<float> rowScales = w.RowScales(r);
            for (int t = 0; t < count; t++)
            {
                destination[(t * w.Rows) + r] = Q8Dot(row, rowScales, x.Slice(t * stride, stride), scales.Slice(t * blocks, blocks));
            }
        }
    }

    /// <summary>Σ over blocks of both scales times the block's integer dot product, at the widest integer SIMD the CPU has.</summary>
    internal static float Q8Dot(ReadOnlySpan<sbyte> w, ReadOnlySpan<float> wScales, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> xScales)
    {
        if (Avx2.IsSupported)
        {
            return Q8DotAvx2(w, wScales, x, xScales);
        }
        if (Dp.IsSupported)
        {
            return Q8DotSdot(w, wScales, x, xScales);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            return Q8DotVector128(w, wScales, x, xScales);
        }
        return Q8DotScalar(w, wScales, x, xScales);
    }

    internal static float Q8DotScalar(ReadOnlySpan<sbyte> w, ReadOnlySpan<float> wScales, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> xScales)
    {
        float sum = 0f;
        for (int b = 0; b < wScales.Length; b++)
        {
            int block = 0;
            for (int i = b * Q8Matrix.Block; i < (b + 1) * Q8Matrix.Block; i++)
            {
                block += w[i] * x[i];
            }
            sum += block * (wScales[b] * xScales[b]);
        }
        return sum;
    }

    /// <summary>128-bit, portable (SSE, AdvSimd): 16-bit products of the widened values, summed into 32 bits per block.</summary>
    internal static float Q8DotVector128(ReadOnlySpan<sbyte> w, ReadOnlySpan<float> wScales, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> xScales)
    {
        ref sbyte wr = ref MemoryMarshal.GetReference(w);
        ref sbyte xr = ref MemoryMarshal.GetReference(x);
        float sum = 0f;
        for (int b = 0; b < wScales.Length; b++)
        {
            var block = Vector128<int>.Zero;
            for (int half = 0; half < 2; half++)
            {
                nuint at = (nuint)((b * Q8Matrix.Block) + (16 * half));
                var (wLow, wHigh) = Vector128.Widen(Vector128.LoadUnsafe(ref wr, at));
                var (xLow, xHigh) = Vector128.Widen(Vector128.LoadUnsafe(ref xr, at));
                var (p0, p1) = Vector128.Widen(wLow * xLow);
                var (p2, p3) = Vector128.Widen(wHigh * xHigh);
                block += p0 + p1 + p2 + p3;
            }
            sum += Vector128.Sum(block) * (wScales[b] * xScales[b]);
        }
        return sum;
    }

    /// <summary>
    /// Arm dot product (<c>SDOT</c>, Armv8.2+ with FEAT_DotProd): per block of 32, two <c>sdot</c> sum four w·x products into each
    /// 32-bit lane; the block's exact sum is scaled and added in the same order as <see cref="Q8DotScalar"/> (same result, bit for bit).
    /// </summary>
    internal static float Q8DotSdot(ReadOnlySpan<sbyte> w, ReadOnlySpan<float> wScales, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> xScales)
    {
        ref sbyte wr = ref MemoryMarshal.GetReference(w);
        ref sbyte xr = ref MemoryMarshal.GetReference(x);
        float sum = 0f;
        for (int b = 0; b < wScales.Length; b++)
        {
            nuint at = (nuint)(b * Q8Matrix.Block);
            var block = Dp.DotProduct(Vector128<int>.Zero, Vector128.LoadUnsafe(ref wr, at), Vector128.LoadUnsafe(ref xr, at));
            block = Dp.DotProduct(block, Vector128.LoadUnsafe(ref wr, at + 16), Vector128.LoadUnsafe(ref xr, at + 16));
            sum += Vector128.Sum(block) * (wScales[b] * xScales[b]);
        }
        return sum;
    }

    /// <summary>
    /// Four rows of <see cref="Q8DotAvx2"/> in one pass over the activations, bit for bit the same outputs (the same
    /// <see cref="Q8BlockAvx2"/> steps): each block of <c>x</c> is loaded and made absolute once for all four rows, and the
    /// four independent accumulators hide the FMA latency that bounds one row.
    /// </summary>
    private static unsafe void Q8Dot4Avx2(in Q8Matrix w, int row, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> xScales, Span<float> destination)
    {
        int stride = w.PaddedCols, blocks = w.Blocks;
        sbyte* w0 = w.Quants + ((long)row * stride), w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
        float* s0 = w.Scales + ((long)row * blocks), s1 = s0 + blocks, s2 = s1 + blocks, s3 = s2 + blocks;
        ref sbyte xr = ref MemoryMarshal.GetReference(x);
        ref float xsr = ref MemoryMarshal.GetReference(xScales);
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (int b = 0; b < blocks; b++)
        {
            int at = b * Q8Matrix.Block;
            var xv = Vector256.LoadUnsafe(ref xr, (nuint)at);
            var xAbs = Avx2.Abs(xv);
            var xs = Vector256.Create(Unsafe.Add(ref xsr, b));
            acc0 = Q8BlockAvx2(acc0, Avx.LoadVector256(w0 + at), xv, xAbs, Vector256.Create(s0[b]) * xs);
            acc1 = Q8BlockAvx2(acc1, Avx.LoadVector256(w1 + at), xv, xAbs, Vector256.Create(s1[b]) * xs);
            acc2 = Q8BlockAvx2(acc2, Avx.LoadVector256(w2 + at), xv, xAbs, Vector256.Create(s2[b]) * xs);
            acc3 = Q8BlockAvx2(acc3, Avx.LoadVector256(w3 + at), xv, xAbs, Vector256.Create(s3[b]) * xs);
        }
        destination[0] = Vector256.Sum(acc0);
        destination[1] = Vector256.Sum(acc1);
        destination[2] = Vector256.Sum(acc2);
        destination[3] = Vector256.Sum(acc3);
    }

    /// <summary>
    /// What <see cref="Q8Dot4Vnni"/> reads of rows <paramref name="row"/> .. <paramref name="row"/> + 3 besides their codes,
    /// block by block and interleaved so that one pointer walks it: <paramref name="corrections"/> gets, per block, four vectors
    /// (one per row) of <c>−128 · Σ w</c> over each lane's four weights, and <paramref name="rowScales"/> the four rows' scales.
    /// </summary>
    private static unsafe void Q8Prepare4(in Q8Matrix w, int row, int stride, int blocks, int* corrections, float* rowScales)
    {
        var offset = Vector256.Create((byte)0x80);
        for (int i = 0; i < 4; i++)
        {
            sbyte* weights = w.Quants + ((long)(row + i) * stride);
            float* scales = w.Scales + ((long)(row + i) * blocks);
            for (int b = 0; b < blocks; b++)
            {
                var sums = AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, offset, Avx.LoadVector256(weights + (b * Q8Matrix.Block)));
                (-sums).Store(corrections + ((((b * 4) + i) * Vector256<int>.Count)));
                rowScales[(b * 4) + i] = scales[b];
            }
        }
    }

    /// <summary>
    /// Four rows of <see cref="Q8DotAvx2"/> with AVX-VNNI, bit for bit the same outputs. <c>vpdpbusd</c> multiplies unsigned
    /// bytes by signed ones, so the codes go in as <c>x + 128</c> (a flip of the top bit, once per block for all four rows), and
    /// each lane starts from <c>−128 · Σ w</c> over its four weights (<see cref="Q8Prepare4"/>, made once per row group and
    /// used for every token): <c>Σ (x + 128) · w − 128 · Σ w</c> is the lane's exact sum <c>Σ x · w</c>, the same integer as
    /// <see cref="Q8BlockAvx2"/>'s in every lane, converted, scaled and accumulated in the same order. One integer instruction
    /// per block and row instead of three. Two tokens at a time, each row's codes, corrections and scales loaded once for both.
    /// </summary>
    private static unsafe void Q8Dot4Vnni(sbyte* w0, int stride, int blocks, int* corrections, float* rowScales, sbyte* x, sbyte* y, float* xScales, float* yScales,
        float* xDestination, float* yDestination)
    {
        sbyte* w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
        var offset = Vector256.Create((byte)0x80);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        for (int b = 0; b < blocks; b++)
        {
            var xu = Avx.LoadVector256((byte*)x) ^ offset;
            var yu = Avx.LoadVector256((byte*)y) ^ offset;
            var xs = Vector256.Create(*xScales);
            var ys = Vector256.Create(*yScales);
            Vector256<sbyte> wv = Avx.LoadVector256(w0);
            Vector256<float> ws = Vector256.Create(rowScales[0]);
            a0 = Q8BlockVnni(a0, Avx.LoadVector256(corrections), xu, wv, ws * xs);
            b0 = Q8BlockVnni(b0, Avx.LoadVector256(corrections), yu, wv, ws * ys);
            wv = Avx.LoadVector256(w1);
            ws = Vector256.Create(rowScales[1]);
            a1 = Q8BlockVnni(a1, Avx.LoadVector256(corrections + 8), xu, wv, ws * xs);
            b1 = Q8BlockVnni(b1, Avx.LoadVector256(corrections + 8), yu, wv, ws * ys);
            wv = Avx.LoadVector256(w2);
            ws = Vector256.Create(rowScales[2]);
            a2 = Q8BlockVnni(a2, Avx.LoadVector256(corrections + 16), xu, wv, ws * xs);
            b2 = Q8BlockVnni(b2, Avx.LoadVector256(corrections + 16), yu, wv, ws * ys);
            wv = Avx.LoadVector256(w3);
            ws = Vector256.Create(rowScales[3]);
            a3 = Q8BlockVnni(a3, Avx.LoadVector256(corrections + 24), xu, wv, ws * xs);
            b3 = Q8BlockVnni(b3, Avx.LoadVector256(corrections + 24), yu, wv, ws * ys);
            x += Q8Matrix.Block;
            y += Q8Matrix.Block;
            xScales++;
            yScales++;
            w0 += Q8Matrix.Block;
            w1 += Q8Matrix.Block;
            w2 += Q8Matrix.Block;
            w3 += Q8Matrix.Block;
            corrections += 4 * Vector256<int>.Count;
            rowScales += 4;
        }
        xDestination[0] = Vector256.Sum(a0);
        xDestination[1] = Vector256.Sum(a1);
        xDestination[2] = Vector256.Sum(a2);
        xDestination[3] = Vector256.Sum(a3);
        yDestination[0] = Vector256.Sum(b0);
        yDestination[1] = Vector256.Sum(b1);
        yDestination[2] = Vector256.Sum(b2);
        yDestination[3] = Vector256.Sum(b3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q8BlockVnni(Vector256<float> acc, Vector256<int> correction, Vector256<byte> xu, Vector256<sbyte> w, Vector256<float> scale) =>
        AddScaledBlock(acc, AvxVnni.MultiplyWideningAndAdd(correction, xu, w), scale);

    /// <summary>
    /// One block of 32 of the AVX2 q8_0 dot products: <c>acc + float(Σ w·x) · scale</c>, the sum exact in 32 bits
    /// (<c>vpmaddubsw(|x|, sign(w, x))</c> gives 16-bit pair sums, <c>vpmaddwd</c> with ones 32-bit ones).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q8BlockAvx2(Vector256<float> acc, Vector256<sbyte> w, Vector256<sbyte> x, Vector256<byte> xAbs, Vector256<float> scale)
    {
        var pairs = Avx2.MultiplyAddAdjacent(xAbs, Avx2.Sign(w, x));
        return AddScaledBlock(acc, Avx2.MultiplyAddAdjacent(pairs, Vector256.Create((short)1)), scale);
    }

    /// <summary><c>acc + float(block) · scale</c>, fused where the CPU has FMA: the last step of both q8_0 block kernels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> AddScaledBlock(Vector256<float> acc, Vector256<int> block, Vector256<float> scale)
    {
        var sums = Avx.ConvertToVector256Single(block);
        return Fma.IsSupported ? Fma.MultiplyAdd(sums, scale, acc) : Avx.Add(Avx.Multiply(sums, scale), acc);
    }

    /// <summary>
    /// AVX2 (llama.cpp's path): per block of 32, the exact integer sum of w·x (<see cref="Q8BlockAvx2"/>), converted to float and
    /// accumulated with the block's scale product by FMA.
    /// </summary>
    internal static unsafe float Q8DotAvx2(ReadOnlySpan<sbyte> w, ReadOnlySpan<float> wScales, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> xScales)
    {
        ref sbyte wr = ref MemoryMarshal.GetReference(w);
        ref sbyte xr = ref MemoryMarshal.GetReference(x);
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < wScales.Length; b++)
        {
            nuint at = (nuint)(b * Q8Matrix.Block);
            Sse.Prefetch1((byte*)Unsafe.AsPointer(ref Unsafe.Add(ref wr, at)) + WeightPrefetchBytes);
            var xv = Vector256.LoadUnsafe(ref xr, at);
            acc = Q8BlockAvx2(acc, Vector256.LoadUnsafe(ref wr, at), xv, Avx2.Abs(xv), Vector256.Create(wScales[b] * xScales[b]));
        }
        return Vector256.Sum(acc);
    }
}
