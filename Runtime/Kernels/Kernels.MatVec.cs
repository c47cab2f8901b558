using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Largest float32 weight (bytes) whose rows go several at a time in one token's product: such a weight is usually in
    /// cache from the token before, and sharing the input loads and the reductions among rows pays; a larger one is
    /// streamed from memory, where one row after the other measured faster (stories15M-like decode 127-139 against
    /// 104-120 tok/s). Every row has the bits of its own dot product either way.
    /// </summary>
    private const long MatVecCachedBytes = 256 * 1024;

    /// <summary>
    /// Whether a streamed float32 row's cache lines are prefetched <see cref="WeightPrefetchBytes"/> ahead, one hint per line
    /// before the row's dot product: on Intel cores, where it measured faster, and not on AMD ones, where it measured slower.
    /// An AVX-512 Xeon (2 cores, <c>bench -p 1 -n 127 -r 3</c>, interleaved): stories110M-like decode 26.3–26.5 → 29.4–29.8 tok/s on
    /// one thread and 52.7–55.4 → 58.2–60.7 on two, mamba-130m-like 21.8–21.9 → 24.2–24.8 and 43.1–43.9 → 46.5–47.1,
    /// jamba-128m 35.8 → 38.7 (stories15M-like, read from L3: 385–407 → 403–404 on one thread, 794–812 → 755–765 on two).
    /// An EPYC, two threads: mamba-130m-like 29.4 → 25.1, stories110M-like 34.7 → 31.3. Hints change no result.
    /// </summary>
    private static readonly bool PrefetchFloatRows = X86Base.IsSupported && IsGenuineIntel();

    /// <summary>Whether the CPU's vendor string (CPUID leaf 0) is "GenuineIntel".</summary>
    private static bool IsGenuineIntel()
    {
        (_, int ebx, int ecx, int edx) = X86Base.CpuId(0, 0);
        return ebx == 0x756E6547 && edx == 0x49656E69 && ecx == 0x6C65746E; // "Genu", "ineI", "ntel"
    }

    /// <summary>Columns of a 16-bit weight row widened at a time (2 KiB of floats: stays in L1).</summary>
    private const int PackedChunk = 512;

    /// <summary>
    /// Matrix-vector product <c>destination = w·x</c>: <c>destination[r] = Σ_c w[r,c]·x[c]</c>, each row
    /// accumulated in float32 as by <see cref="Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>.
    /// </summary>
    /// <param name="w">The weight, <c>[Rows, Cols]</c> row-major (a linear layer's <c>[out, in]</c>).</param>
    /// <param name="x">The input, <c>w.Cols</c> elements.</param>
    /// <param name="destination">The output, <c>w.Rows</c> elements; must not overlap <paramref name="x"/>.</param>
    /// <exception cref="ArgumentException">A length does not match the matrix.</exception>
    /// <remarks>On several threads: <see cref="WorkerPool.MatVec"/>, which gives the same bits.</remarks>
    public static void MatVec(in Matrix w, ReadOnlySpan<float> x, Span<float> destination)
    {
        RequireMatrix(w);
        RequireLength(x, w.Cols);
        RequireLength(destination, w.Rows);
        MatVecRows(w, x, destination, 0, w.Rows);
    }

    /// <summary>
    /// Rows <paramref name="rowStart"/> .. <paramref name="rowEnd"/> − 1 of <see cref="MatVec(in Matrix, ReadOnlySpan{float}, Span{float})"/>;
    /// lengths unchecked. Each row is computed by the same instructions whatever the range, so splitting the rows
    /// among threads does not change a bit.
    /// </summary>
    internal static void MatVecRows(in Matrix w, ReadOnlySpan<float> x, Span<float> destination, int rowStart, int rowEnd)
    {
        if (Vector256.IsHardwareAccelerated && w.Cols >= Vector256<float>.Count)
        {
            MatVec<Simd256, Vector256<float>>(w, x, destination, rowStart, rowEnd);
        }
        else if (Vector128.IsHardwareAccelerated && w.Cols >= Vector128<float>.Count)
        {
            MatVec<Simd128, Vector128<float>>(w, x, destination, rowStart, rowEnd);
        }
        else
        {
            MatVec<SimdScalar, float>(w, x, destination, rowStart, rowEnd);
        }
    }

    /// <summary><see cref="MatVecRows"/> at one vector width.</summary>
    internal static unsafe void MatVec<TSimd, TVector>(in Matrix w, ReadOnlySpan<float> x, Span<float> destination, int rowStart, int rowEnd)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        if (w.DType != TensorDType.F32)
        {
            if (typeof(TVector) == typeof(Vector256<float>) && Avx2.IsSupported && Fma.IsSupported)
            {
                MatVecPackedAvx2(w, x, destination, rowStart, rowEnd);
            }
            else
            {
                MatVecPacked<TSimd, TVector>(w, x, destination, rowStart, rowEnd);
            }
            return;
        }
        int r = rowStart;
        if (w.Length * sizeof(float) > MatVecCachedBytes)
        {
            // Streamed from memory: one row after the other in address order measured fastest (the reductions are hidden).
            for (; r < rowEnd; r++)
            {
                if (PrefetchFloatRows)
                {
                    byte* ahead = (byte*)(w.Data + ((long)r * w.Cols)) + WeightPrefetchBytes;
                    for (int b = 0; b < w.Cols * sizeof(float); b += 64)
                    {
                        Sse.Prefetch1(ahead + b);
                    }
                }
                destination[r] = Dot<TSimd, TVector>(w.Row(r), x);
            }
            return;
        }
        if (typeof(TVector) == typeof(Vector256<float>) && Avx.IsSupported && w.Cols >= Vector256<float>.Count)
        {
            for (; r + 8 <= rowEnd; r += 8)
            {
                DotsOfEightAvx(x, w.Slice(r, 8).AsSpan(), w.Cols).CopyTo(destination.Slice(r, 8));
            }
        }
        for (; r + 2 <= rowEnd; r += 2)
        {
            DotTwoRows<TSimd, TVector>(w.Row(r), w.Row(r + 1), x, out destination[r], out destination[r + 1]);
        }
        if (r < rowEnd)
        {
            destination[r] = Dot<TSimd, TVector>(w.Row(r), x);
        }
    }

    /// <summary>
    /// <see cref="Dot{TSimd, TVector}"/> of two weight rows with the same <paramref name="x"/>, each row with the bits it
    /// has alone; every vector of <paramref name="x"/> is loaded once for both rows (<see cref="DotLanesTwoRows"/>).
    /// </summary>
    private static void DotTwoRows<TSimd, TVector>(ReadOnlySpan<float> w0, ReadOnlySpan<float> w1, ReadOnlySpan<float> x, out float sum0, out float sum1)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        TVector a = DotLanesTwoRows<TSimd, TVector>(x, w0, w1, out TVector b, out int done);
        sum0 = TSimd.Sum(a);
        sum1 = TSimd.Sum(b);
        if (done < x.Length)
        {
            sum0 += Dot<SimdScalar, float>(w0[done..], x[done..]);
            sum1 += Dot<SimdScalar, float>(w1[done..], x[done..]);
        }
    }

    /// <summary>
    /// <see cref="MatVec{TSimd, TVector}"/> of a 16-bit weight: each row is widened <see cref="PackedChunk"/> columns at a
    /// time into a buffer that stays in L1, and the chunks' dot products are added in order (the weight is read from
    /// memory at 2 bytes an element).
    /// </summary>
    private static unsafe void MatVecPacked<TSimd, TVector>(in Matrix w, ReadOnlySpan<float> x, Span<float> destination, int rowStart, int rowEnd)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        int cols = w.Cols;
        Span<float> buffer = stackalloc float[PackedChunk];
        for (int r = rowStart; r < rowEnd; r++)
        {
            ushort* row = w.Packed + ((long)r * cols);
            float sum = 0;
            for (int c = 0; c < cols; c += PackedChunk)
            {
                int length = Math.Min(PackedChunk, cols - c);
                Span<float> widened = buffer[..length];
                Widen(new ReadOnlySpan<ushort>(row + c, length), w.DType, widened);
                sum += Dot<TSimd, TVector>(widened, x.Slice(c, length));
            }
            destination[r] = sum;
        }
    }

    /// <summary>
    /// <see cref="MatVecPacked{TSimd, TVector}"/> with AVX2 and FMA: the 16-bit weights are widened in registers, eight at a time,
    /// straight into the multiply-adds (no buffer); where AVX-512 is compiled in, sixteen at a time into the same 256-bit
    /// multiply-adds, which halves the widening's instructions (F16's take eleven per pass; jamba-128m f16 decode in a native
    /// build 57 → 63 tok/s). Without AVX-512, F16 lines (32 values, one cache line) that the weight's
    /// <see cref="Matrix.RegularLines"/> map marks as zeros and normal numbers only take a four-operation widening instead
    /// of eleven (jamba-128m f16 decode, one / two threads, in the default x86-64-v3 build: random weights, 3.5% of lines
    /// irregular, 46.5 / 88 → 65 / 127 tok/s; weights of standard deviation 0.02, 7.5% irregular, 46.4 / 88 → 61 / 118;
    /// testing each line in the loop instead of reading the map gave 58 / 113). A native build keeps the sixteen-wide exact
    /// widening: with the map it gained on random weights (65 → 68) but lost on the 0.02 ones (64.3 → 63.7), the irregular
    /// lines' mispredicted branches costing what the shorter widening saves. Each row's result has the bits of
    /// <see cref="Dot{TSimd, TVector}"/> at 256 bits over the whole widened row.
    /// </summary>
    private static void MatVecPackedAvx2(in Matrix w, ReadOnlySpan<float> x, Span<float> destination, int rowStart, int rowEnd)
    {
        if (w.DType == TensorDType.F16)
        {
            MatVecPackedAvx2<F16Format>(w, x, destination, rowStart, rowEnd);
        }
        else
        {
            MatVecPackedAvx2<BF16Format>(w, x, destination, rowStart, rowEnd);
        }
    }

    /// <summary><see cref="MatVecPackedAvx2(in Matrix, ReadOnlySpan{float}, Span{float}, int, int)"/> for one 16-bit format.</summary>
    private static unsafe void MatVecPackedAvx2<TFormat>(in Matrix w, ReadOnlySpan<float> x, Span<float> destination, int rowStart, int rowEnd)
        where TFormat : struct, IPackedFormat
    {
        int cols = w.Cols;
        ref float xs = ref MemoryMarshal.GetReference(x);
        Span<float> tail = stackalloc float[Vector256<float>.Count];
        int lineBytes = Matrix.RegularLineBytesPerRow(cols);
        byte* lines = w.RegularLines;
        for (int r = rowStart; r < rowEnd; r++)
        {
            ushort* row = w.Packed + ((long)r * cols);
            byte* regular = lines == null ? null : lines + ((long)r * lineBytes);
            Vector256<float> sum0 = default, sum1 = default, sum2 = default, sum3 = default;
            int i = 0;
            for (; i + 32 <= cols; i += 32)
            {
                // One cache line of weights per pass.
                Sse.Prefetch1((byte*)(row + i) + WeightPrefetchBytes);
                Vector256<float> w0, w1, w2, w3;
                if (Avx512BW.IsSupported)
                {
                    // Sixteen at a time (half the widening instructions), into the same multiply-adds.
                    var low = TFormat.Widen16(row + i);
                    var high = TFormat.Widen16(row + i + 16);
                    (w0, w1, w2, w3) = (low.GetLower(), low.GetUpper(), high.GetLower(), high.GetUpper());
                }
                else if (TFormat.IsRegular(regular, i / Matrix.LineColumns))
                {
                    (w0, w1, w2, w3) = (TFormat.WidenRegular8(row + i), TFormat.WidenRegular8(row + i + 8), TFormat.WidenRegular8(row + i + 16), TFormat.WidenRegular8(row + i + 24));
                }
                else
                {
                    (w0, w1, w2, w3) = (TFormat.Widen8(row + i), TFormat.Widen8(row + i + 8), TFormat.Widen8(row + i + 16), TFormat.Widen8(row + i + 24));
                }
                sum0 = Vector256.MultiplyAddEstimate(w0, Vector256.LoadUnsafe(ref xs, (nuint)i), sum0);
                sum1 = Vector256.MultiplyAddEstimate(w1, Vector256.LoadUnsafe(ref xs, (nuint)(i + 8)), sum1);
                sum2 = Vector256.MultiplyAddEstimate(w2, Vector256.LoadUnsafe(ref xs, (nuint)(i + 16)), sum2);
                sum3 = Vector256.MultiplyAddEstimate(w3, Vector256.LoadUnsafe(ref xs, (nuint)(i + 24)), sum3);
            }
            for (; i + 8 <= cols; i += 8)
            {
                sum0 = Vector256.MultiplyAddEstimate(TFormat.Widen8(row + i), Vector256.LoadUnsafe(ref xs, (nuint)i), sum0);
            }
            float sum = Vector256.Sum((sum0 + sum1) + (sum2 + sum3));
            if (i < cols)
            {
                var rest = tail[..(cols - i)];
                Widen(new ReadOnlySpan<ushort>(row + i, cols - i), w.DType, rest);
                sum += Dot<SimdScalar, float>(rest, x[i..]);
            }
            destination[r] = sum;
        }
    }

    /// <summary>
    /// A 16-bit float format widened by <see cref="MatVecPackedAvx2{TFormat}"/>: eight at a time (AVX2), or sixteen at a time
    /// where AVX-512 is supported (the same values).
    /// </summary>
    private interface IPackedFormat
    {
        static abstract unsafe Vector256<float> Widen8(ushort* source);

        static abstract unsafe Vector512<float> Widen16(ushort* source);

        /// <summary>
        /// Whether line <paramref name="line"/> of a row (32 values) may take <see cref="WidenRegular8"/>: for F16, its bit in
        /// the row's <see cref="Matrix.RegularLines"/> (<paramref name="map"/>; none when null).
        /// </summary>
        static abstract unsafe bool IsRegular(byte* map, int line);

        /// <summary><see cref="Widen8"/> of eight zeros or normal numbers (cheaper where the format needs it).</summary>
        static abstract unsafe Vector256<float> WidenRegular8(ushort* source);
    }

    /// <summary>IEEE binary16: <see cref="Widen8(ushort*, bool)"/> and <see cref="Widen16(ushort*, bool)"/> with <c>f16</c> set.</summary>
    private readonly struct F16Format : IPackedFormat
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector256<float> Widen8(ushort* source) => Kernels.Widen8(source, f16: true);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector512<float> Widen16(ushort* source) => Kernels.Widen16(source, f16: true);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe bool IsRegular(byte* map, int line) => map != null && (map[line >> 3] & (1 << (line & 7))) != 0;

        /// <summary>
        /// Whether the 32 halves at <paramref name="source"/> are all zeros or normal numbers. Doubled (the sign shifted out), a
        /// subnormal is 2..0x7FE, so less than 0x7FD once 2 is taken off (a zero wraps round to 0xFFFE), and an infinity or NaN is
        /// 0xF800 or more.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe bool AllRegular32(ushort* source)
        {
            var low = Vector256.Load(source);
            var high = Vector256.Load(source + 16);
            (low, high) = (low + low, high + high);
            var two = Vector256.Create((ushort)2);
            var subnormal = Avx2.SubtractSaturate(Vector256.Create((ushort)0x07FD), Avx2.Min(low - two, high - two));
            var special = Avx2.SubtractSaturate(Avx2.Max(low, high), Vector256.Create((ushort)0xF7FF));
            return (subnormal | special) == Vector256<ushort>.Zero;
        }

        /// <summary>
        /// Four operations instead of eleven: the halves sign-extended and shifted left by 13 hold the sign in bit 31 (and in
        /// bits 28–30, masked off) and the exponent and mantissa in a float's places below a 112-too-small exponent, which
        /// multiplying by 2^112 puts right (exact; a zero stays a zero). A subnormal would make that multiply take a microcode
        /// assist (about 30 times slower on the Xeon measured) and an infinity or NaN would come out finite, hence regular lines
        /// only (<see cref="Matrix.RegularLines"/>, <see cref="AllRegular32"/>).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector256<float> WidenRegular8(ushort* source)
        {
            var h = Avx2.ConvertToVector256Int32((short*)source);
            return (Avx2.ShiftLeftLogical(h, 13) & Vector256.Create(unchecked((int)0x8FFFFFFF))).AsSingle() * Vector256.Create(0x77800000).AsSingle(); // 2^112
        }
    }

    /// <summary>bfloat16: <see cref="Widen8(ushort*, bool)"/> and <see cref="Widen16(ushort*, bool)"/> with <c>f16</c> clear.</summary>
    private readonly struct BF16Format : IPackedFormat
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector256<float> Widen8(ushort* source) => Kernels.Widen8(source, f16: false);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector512<float> Widen16(ushort* source) => Kernels.Widen16(source, f16: false);

        /// <summary>BF16 widens in two operations whatever its values: no map needed.</summary>
        public static unsafe bool IsRegular(byte* map, int line) => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector256<float> WidenRegular8(ushort* source) => Kernels.Widen8(source, f16: false);
    }

    /// <summary>
    /// Eight 16-bit floats to float32 in a register, exactly. BF16: the upper half of the float's bits. F16 (the FP16 library's
    /// method, without subnormal arithmetic), from the halves sign-extended to 32 bits, whose bit 31 is then the sign: a normal
    /// or infinite/NaN half is its exponent and mantissa moved into place, rebased by adding 224 to the exponent and multiplying
    /// by 2^−112 (exact, and 31 + 224 = 255 keeps inf and NaN); a subnormal half m·2^−24 is the integer m converted and
    /// multiplied by 2^−24 (exact); then the sign.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Widen8(ushort* source, bool f16)
    {
        if (!f16)
        {
            return Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(source), 16).AsSingle();
        }
        var h = Avx2.ConvertToVector256Int32((short*)source);
        var magnitude = h & Vector256.Create(0x7FFF);
        var normal = Avx2.Add(Avx2.ShiftLeftLogical(magnitude, 13), Vector256.Create(0xE0 << 23)).AsSingle() * Vector256.Create(0x07800000).AsSingle(); // 2^-112
        var subnormal = Avx.ConvertToVector256Single(magnitude) * Vector256.Create(0x33800000).AsSingle(); // 2^-24
        var isSubnormal = Avx2.CompareGreaterThan(Vector256.Create(0x400), magnitude).AsSingle();
        return Avx.BlendVariable(normal, subnormal, isSubnormal) | (h & Vector256.Create(int.MinValue)).AsSingle();
    }

    /// <summary>
    /// <see cref="Widen8(ushort*, bool)"/> of sixteen 16-bit floats at once (AVX-512: the same operations on 512-bit vectors,
    /// the subnormal choice by a mask register), so the same values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> Widen16(ushort* source, bool f16)
    {
        if (!f16)
        {
            return Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Vector256.Load(source)), 16).AsSingle();
        }
        var h = Avx512F.ConvertToVector512Int32(Vector256.Load((short*)source));
        var magnitude = h & Vector512.Create(0x7FFF);
        var normal = (Avx512F.ShiftLeftLogical(magnitude, 13) + Vector512.Create(0xE0 << 23)).AsSingle() * Vector512.Create(0x07800000).AsSingle(); // 2^-112
        var subnormal = Avx512F.ConvertToVector512Single(magnitude) * Vector512.Create(0x33800000).AsSingle(); // 2^-24
        var isSubnormal = Vector512.LessThan(magnitude, Vector512.Create(0x400)).AsSingle();
        return Vector512.ConditionalSelect(isSubnormal, subnormal, normal) | (h & Vector512.Create(int.MinValue)).AsSingle();
    }
}
