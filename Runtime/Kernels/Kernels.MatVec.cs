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
    /// Whether a streamed float32 row's cache lines are prefetched <see cref="WeightPrefetchBytes"/> ahead
    /// (<see cref="DotPrefetched{TSimd, TVector}"/>): on Intel cores, where it measured faster, and not on AMD ones, where
    /// it measured slower. An AVX-512 Xeon (2 cores, <c>bench -p 1 -n 127 -r 3</c>, interleaved), with the row's hints all
    /// given before its dot product: stories110M-like decode 26.3–26.5 → 29.4–29.8 tok/s on one thread and 52.7–55.4 →
    /// 58.2–60.7 on two, mamba-130m-like 21.8–21.9 → 24.2–24.8 and 43.1–43.9 → 46.5–47.1, jamba-128m 35.8 → 38.7
    /// (stories15M-like, read from L3: 385–407 → 403–404 on one thread, 794–812 → 755–765 on two). A burst of 24 to 48 hints
    /// stalled on the line fill buffers (<c>perf</c> put half the product's time on the instruction after them), so the
    /// hints now go inside the product, one per line as it reaches each block: stories110M-like 30.4–31.5 → 32.5–33.9 on
    /// one thread and 58.3–62.8 → 61.4–66.8 on two, mamba-130m-like 23.9–25.2 → 26.0–27.0 and 45.6–48.8 → 49.0–55.3,
    /// stories15M-like 412–419 → 421–439 and 779–781 → 797–815 (three interleaved runs of each). An EPYC, two threads, the
    /// burst: mamba-130m-like 29.4 → 25.1, stories110M-like 34.7 → 31.3. Hints change no result.
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
                destination[r] = PrefetchFloatRows ? DotPrefetched<TSimd, TVector>(w.Row(r), x) : Dot<TSimd, TVector>(w.Row(r), x);
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
    /// build 57 → 63 tok/s). An F16 weight with an <see cref="F16LineMap"/> takes <see cref="MatVecF16MappedAvx2"/> instead
    /// (faster with AVX-512 too). Each row's result has the bits of <see cref="Dot{TSimd, TVector}"/> at 256 bits over the
    /// whole widened row.
    /// </summary>
    private static unsafe void MatVecPackedAvx2(in Matrix w, ReadOnlySpan<float> x, Span<float> destination, int rowStart, int rowEnd)
    {
        if (w.DType == TensorDType.F16 && w.LineRecords != null)
        {
            MatVecF16MappedAvx2(w, x, destination, rowStart, rowEnd);
        }
        else if (w.DType == TensorDType.F16)
        {
            MatVecPackedAvx2<F16Format>(w, x, destination, rowStart, rowEnd);
        }
        else
        {
            MatVecPackedAvx2<BF16Format>(w, x, destination, rowStart, rowEnd);
        }
    }

    /// <summary><see cref="MatVecPackedAvx2(in Matrix, ReadOnlySpan{float}, Span{float}, int, int)"/> for one 16-bit format, widened exactly.</summary>
    private static unsafe void MatVecPackedAvx2<TFormat>(in Matrix w, ReadOnlySpan<float> x, Span<float> destination, int rowStart, int rowEnd)
        where TFormat : struct, IPackedFormat
    {
        int cols = w.Cols;
        ref float xs = ref MemoryMarshal.GetReference(x);
        Span<float> tail = stackalloc float[Vector256<float>.Count];
        for (int r = rowStart; r < rowEnd; r++)
        {
            ushort* row = w.Packed + ((long)r * cols);
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
    /// <see cref="MatVecPackedAvx2(in Matrix, ReadOnlySpan{float}, Span{float}, int, int)"/> of an F16 weight with an
    /// <see cref="F16LineMap"/>, without AVX-512: every whole line of 32 halves widens in four operations per eight instead
    /// of eleven (<see cref="WidenNormal8"/>, exact for zeros and normal numbers). A regular line is read in place at 2^112,
    /// an irregular one from its copy scaled
    /// by 2^10 (no subnormal left) at 2^102, the source and the multiplier chosen without a branch; a row without irregular
    /// lines takes a loop without the choice, and rows the map leaves exact take <see cref="MatVecPackedAvx2{TFormat}"/>.
    /// Same bits as the exact widening.
    /// </summary>
    /// <remarks>
    /// jamba-128m f16 decode (<c>bench -p 64 -n 128 -r 3</c>, two interleaved rounds), one / two threads, tok/s. Weights of
    /// standard deviation 0.02 (7.5% of lines irregular): a map of regular lines with a branch to the exact widening for the
    /// others (each irregular line a mispredicted branch) 52.7–55.8 / 110.9–112.4, this 61.7–62.8 / 125.7–139.5; the same
    /// weights without subnormals 64.6–65.5 / 127.7–132.7 → 69.6–70.1 / 142.1–152.0. Builds with AVX-512, whose sixteen-wide
    /// exact widening took the place of the map: 58.2–58.9 / 120.3–122.8 → 63.1–65.6 / 132.9–133.9, and 60.3–60.6 /
    /// 119.1–123.8 → 70.6–72.0 / 146.3–148.5. Reading the bits a word at a time and rows without irregular lines in a loop
    /// of their own mattered: a first version that tested one byte per line was 4% slower on the weights without subnormals
    /// than the branching map.
    /// </remarks>
    private static unsafe void MatVecF16MappedAvx2(in Matrix w, ReadOnlySpan<float> x, Span<float> destination, int rowStart, int rowEnd)
    {
        int cols = w.Cols, recordBytes = F16LineMap.RecordBytes(cols);
        float* multipliers = stackalloc float[2];
        multipliers[0] = BitConverter.Int32BitsToSingle(0x72800000); // 2^102, a scaled line
        multipliers[1] = BitConverter.Int32BitsToSingle(0x77800000); // 2^112, a regular line
        fixed (float* xs = x)
        {
            for (int r = rowStart; r < rowEnd; r++)
            {
                byte* record = w.LineRecords + ((long)r * recordBytes);
                int firstScaled = ((int*)record)[0], scaledLines = ((int*)record)[1];
                ushort* row = w.Packed + ((long)r * cols);
                if (firstScaled < 0)
                {
                    MatVecPackedAvx2<F16Format>(w, x, destination, r, r + 1);
                }
                else if (scaledLines == 0)
                {
                    destination[r] = F16RegularRowAvx2(row, xs, cols);
                }
                else
                {
                    ushort* scaled = w.ScaledLines + ((long)firstScaled * F16LineMap.LineColumns);
                    destination[r] = F16MappedRowAvx2(row, (ulong*)(record + (2 * sizeof(int))), scaled, multipliers, xs, cols);
                }
            }
        }
    }

    /// <summary>
    /// Eight halves at <paramref name="source"/>, zeros or normal numbers, to float32 times <paramref name="multiplier"/>
    /// ÷ 2^112, exactly, in four operations: sign-extended and shifted left by 13, a half holds its sign in bit 31 (and in
    /// bits 28–30, masked off) and its exponent and mantissa in a float's places below a 112-too-small exponent. A
    /// subnormal would make the multiply take a microcode assist (about 30 times slower) and an infinity or NaN would come
    /// out finite, hence the <see cref="F16LineMap"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> WidenNormal8(short* source, Vector256<float> multiplier) =>
        (Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(source), 13) & Vector256.Create(unchecked((int)0x8FFFFFFF))).AsSingle() * multiplier;

    /// <summary>A row of <see cref="MatVecF16MappedAvx2"/> whose lines are all regular: each read in place at 2^112.</summary>
    private static unsafe float F16RegularRowAvx2(ushort* row, float* x, int cols)
    {
        Vector256<float> sum0 = default, sum1 = default, sum2 = default, sum3 = default;
        var multiplier = Vector256.Create(0x77800000).AsSingle(); // 2^112
        ushort* end = row + (cols & -F16LineMap.LineColumns);
        for (ushort* line = row; line < end; line += F16LineMap.LineColumns, x += F16LineMap.LineColumns)
        {
            Sse.Prefetch1((byte*)line + WeightPrefetchBytes);
            var source = (short*)line;
            sum0 = Vector256.MultiplyAddEstimate(WidenNormal8(source, multiplier), Vector256.Load(x), sum0);
            sum1 = Vector256.MultiplyAddEstimate(WidenNormal8(source + 8, multiplier), Vector256.Load(x + 8), sum1);
            sum2 = Vector256.MultiplyAddEstimate(WidenNormal8(source + 16, multiplier), Vector256.Load(x + 16), sum2);
            sum3 = Vector256.MultiplyAddEstimate(WidenNormal8(source + 24, multiplier), Vector256.Load(x + 24), sum3);
        }
        return F16RowTailAvx2(end, x, cols & (F16LineMap.LineColumns - 1), sum0, sum1, sum2, sum3);
    }

    /// <summary>
    /// A row of <see cref="MatVecF16MappedAvx2"/> with scaled lines: its bits of regular lines (64 to a word, lowest first),
    /// its first scaled line.
    /// </summary>
    private static unsafe float F16MappedRowAvx2(ushort* row, ulong* regularBits, ushort* scaled, float* multipliers, float* x, int cols)
    {
        Vector256<float> sum0 = default, sum1 = default, sum2 = default, sum3 = default;
        ushort* end = row + (cols & -F16LineMap.LineColumns), line = row;
        while (line < end)
        {
            ulong bits = *regularBits++;
            ushort* wordEnd = (end - line) > 64 * F16LineMap.LineColumns ? line + (64 * F16LineMap.LineColumns) : end;
            for (; line < wordEnd; line += F16LineMap.LineColumns, x += F16LineMap.LineColumns, bits >>= 1)
            {
                Sse.Prefetch1((byte*)line + WeightPrefetchBytes);
                nint regular = (nint)(bits & 1);
                nint keep = -regular; // all ones for a regular line, read in place; else the next scaled line
                var source = (short*)(((nint)line & keep) | ((nint)scaled & ~keep));
                scaled += ~keep & F16LineMap.LineColumns;
                var multiplier = Vector256.Create(multipliers[regular]);
                sum0 = Vector256.MultiplyAddEstimate(WidenNormal8(source, multiplier), Vector256.Load(x), sum0);
                sum1 = Vector256.MultiplyAddEstimate(WidenNormal8(source + 8, multiplier), Vector256.Load(x + 8), sum1);
                sum2 = Vector256.MultiplyAddEstimate(WidenNormal8(source + 16, multiplier), Vector256.Load(x + 16), sum2);
                sum3 = Vector256.MultiplyAddEstimate(WidenNormal8(source + 24, multiplier), Vector256.Load(x + 24), sum3);
            }
        }
        return F16RowTailAvx2(end, x, cols & (F16LineMap.LineColumns - 1), sum0, sum1, sum2, sum3);
    }

    /// <summary>
    /// The end of a row of <see cref="MatVecF16MappedAvx2"/> after its whole lines: the last <paramref name="count"/> (under
    /// 32) halves widened exactly, eight at a time into <paramref name="sum0"/>, the rest one at a time after the reduction,
    /// as <see cref="MatVecPackedAvx2{TFormat}"/> does.
    /// </summary>
    private static unsafe float F16RowTailAvx2(ushort* w, float* x, int count, Vector256<float> sum0, Vector256<float> sum1, Vector256<float> sum2, Vector256<float> sum3)
    {
        int i = 0;
        for (; i + 8 <= count; i += 8)
        {
            sum0 = Vector256.MultiplyAddEstimate(Widen8(w + i, f16: true), Vector256.Load(x + i), sum0);
        }
        float sum = Vector256.Sum((sum0 + sum1) + (sum2 + sum3));
        if (i < count)
        {
            Span<float> rest = stackalloc float[Vector256<float>.Count];
            Widen(new ReadOnlySpan<ushort>(w + i, count - i), TensorDType.F16, rest[..(count - i)]);
            sum += Dot<SimdScalar, float>(rest[..(count - i)], new ReadOnlySpan<float>(x + i, count - i));
        }
        return sum;
    }

    /// <summary>
    /// A 16-bit float format widened by <see cref="MatVecPackedAvx2{TFormat}"/>: eight at a time (AVX2), or sixteen at a time
    /// where AVX-512 is supported (the same values).
    /// </summary>
    private interface IPackedFormat
    {
        static abstract unsafe Vector256<float> Widen8(ushort* source);

        static abstract unsafe Vector512<float> Widen16(ushort* source);
    }

    /// <summary>IEEE binary16: <see cref="Widen8(ushort*, bool)"/> and <see cref="Widen16(ushort*, bool)"/> with <c>f16</c> set.</summary>
    private readonly struct F16Format : IPackedFormat
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector256<float> Widen8(ushort* source) => Kernels.Widen8(source, f16: true);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector512<float> Widen16(ushort* source) => Kernels.Widen16(source, f16: true);
    }

    /// <summary>bfloat16: <see cref="Widen8(ushort*, bool)"/> and <see cref="Widen16(ushort*, bool)"/> with <c>f16</c> clear.</summary>
    private readonly struct BF16Format : IPackedFormat
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector256<float> Widen8(ushort* source) => Kernels.Widen8(source, f16: false);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector512<float> Widen16(ushort* source) => Kernels.Widen16(source, f16: false);
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
