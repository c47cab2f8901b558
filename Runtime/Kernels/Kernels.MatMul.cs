using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>Tokens that share one pass over the weight in <see cref="MatMul(in Matrix, ReadOnlySpan{float}, int, Span{float})"/>.</summary>
    private const int MatMulTokenBlock = 4;

    /// <summary>
    /// Bytes of weight rows that stay in cache (L2) while every token block passes over them, so the
    /// weight is read from memory once per call.
    /// </summary>
    private const int MatMulRowBlockBytes = 256 * 1024;

    /// <summary>
    /// Floats of a 16-bit weight widened at once in <see cref="MatMul(in Matrix, ReadOnlySpan{float}, int, Span{float})"/>
    /// (64 KiB, at least two rows: stays in L2 while every token block passes over it).
    /// </summary>
    private const int MatMulWidenedFloats = 16 * 1024;

    /// <summary>How far ahead (512 B) <see cref="MatMulFloatRowsAvx{THints}"/> prefetches its two weight rows; 256 B measured slower, 1 KiB the same.</summary>
    private const int MatMulPrefetchFloats = 128;

    /// <summary>
    /// Matrix product of a weight with a batch of token vectors (prefill):
    /// <c>destination[t,r] = Σ_c w[r,c]·x[t,c]</c> for <c>t &lt; count</c>, each sum accumulated in float32.
    /// </summary>
    /// <param name="w">The weight, <c>[Rows, Cols]</c> row-major (a linear layer's <c>[out, in]</c>).</param>
    /// <param name="x">The inputs, <c>[count, w.Cols]</c> row-major; only the first <c>count·w.Cols</c> elements are read.</param>
    /// <param name="count">Number of tokens, 0 or more.</param>
    /// <param name="destination">The outputs, <c>[count, w.Rows]</c> row-major; only the first <c>count·w.Rows</c> elements
    /// are written. Must not overlap <paramref name="x"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="x"/> or <paramref name="destination"/> is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <remarks>
    /// Rows are taken in blocks of about 256 KiB of weights; within a block, tokens go four at a time
    /// and rows two at a time, so each weight row is loaded once per four tokens from cache and once
    /// per call from memory. A 16-bit weight is widened about 64 KiB of floats at a time, each row once per call, and
    /// gives the bits of the float32 product of the widened weight. A single token goes through
    /// <see cref="MatVec(in Matrix, ReadOnlySpan{float}, Span{float})"/>.
    /// </remarks>
    public static void MatMul(in Matrix w, ReadOnlySpan<float> x, int count, Span<float> destination)
    {
        RequireMatrix(w);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        RequireAtLeast(x, (long)count * w.Cols);
        RequireAtLeast(destination, (long)count * w.Rows);
        MatMulRows(w, x, count, destination, 0, w.Rows);
    }

    /// <summary>
    /// Rows <paramref name="rowStart"/> .. <paramref name="rowEnd"/> − 1 of every token of
    /// <see cref="MatMul(in Matrix, ReadOnlySpan{float}, int, Span{float})"/>; lengths unchecked. Each output is
    /// computed by the same instructions whatever the range, so splitting the rows among threads does not change a bit.
    /// </summary>
    internal static void MatMulRows(in Matrix w, ReadOnlySpan<float> x, int count, Span<float> destination, int rowStart, int rowEnd)
    {
        if (count == 1)
        {
            MatVecRows(w, x[..w.Cols], destination[..w.Rows], rowStart, rowEnd);
        }
        else if (Vector256.IsHardwareAccelerated && w.Cols >= Vector256<float>.Count)
        {
            MatMul<Simd256, Vector256<float>>(w, x, count, destination, rowStart, rowEnd);
        }
        else if (Vector128.IsHardwareAccelerated && w.Cols >= Vector128<float>.Count)
        {
            MatMul<Simd128, Vector128<float>>(w, x, count, destination, rowStart, rowEnd);
        }
        else
        {
            MatMul<SimdScalar, float>(w, x, count, destination, rowStart, rowEnd);
        }
    }

    /// <summary><see cref="MatMulRows"/> at one vector width, for two or more tokens.</summary>
    [SkipLocalsInit] // the 16-bit block buffer is written whole before it is read; no need to zero 64 KiB a call
    internal static unsafe void MatMul<TSimd, TVector>(in Matrix w, ReadOnlySpan<float> x, int count, Span<float> destination, int rowStart, int rowEnd)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        if (w.DType == TensorDType.F32)
        {
            MatMulFloatRows<TSimd, TVector>(w, 0, w.Rows, x, count, destination, rowStart, rowEnd);
            return;
        }

        // A 16-bit weight is widened a block of whole rows at a time into a buffer that stays in cache, and the block is
        // multiplied as a float32 weight: each row is widened once per call, not once per four tokens, and every output
        // has the bits of the float32 product of the widened weight.
        int cols = w.Cols;
        int block = Math.Max(2, MatMulWidenedFloats / cols) & ~1;
        Span<float> widened = stackalloc float[block * cols];
        fixed (float* buffer = widened)
        {
            for (int r0 = rowStart; r0 < rowEnd; r0 += block)
            {
                int rows = Math.Min(block, rowEnd - r0);
                Widen(new ReadOnlySpan<ushort>(w.Packed + ((long)r0 * cols), rows * cols), w.DType, widened[..(rows * cols)]);
                MatMulFloatRows<TSimd, TVector>(new Matrix(buffer, rows, cols), r0, w.Rows, x, count, destination, 0, rows);
            }
        }
    }

    /// <summary>
    /// Rows <paramref name="rowStart"/> .. <paramref name="rowEnd"/> − 1 of the float32 weight <paramref name="w"/>, whose row
    /// <c>r</c> gives output column <c>first + r</c> of a <c>[count, outputs]</c> <paramref name="destination"/>.
    /// </summary>
    private static void MatMulFloatRows<TSimd, TVector>(in Matrix w, int first, int outputs, ReadOnlySpan<float> x, int count, Span<float> destination,
        int rowStart, int rowEnd)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        if (typeof(TVector) == typeof(Vector256<float>) && Avx.IsSupported)
        {
            if (PrefetchFloatRows)
            {
                MatMulFloatRowsAvx<WithHints>(w, first, outputs, x, count, destination, rowStart, rowEnd);
            }
            else
            {
                MatMulFloatRowsAvx<WithoutHints>(w, first, outputs, x, count, destination, rowStart, rowEnd);
            }
            return;
        }
        int cols = w.Cols;
        int rowBlock = Math.Max(2, MatMulRowBlockBytes / Math.Max(1, cols * sizeof(float))) & ~1;
        Span<float> sums = stackalloc float[2 * MatMulTokenBlock];

        for (int blockStart = rowStart; blockStart < rowEnd; blockStart += rowBlock)
        {
            int blockEnd = Math.Min(blockStart + rowBlock, rowEnd);
            for (int t0 = 0; t0 < count; t0 += MatMulTokenBlock)
            {
                // A last block of fewer than four tokens repeats its last token: the repeated slots compute
                // the same sums bit for bit, so writing them again is harmless.
                int t1 = Math.Min(t0 + 1, count - 1), t2 = Math.Min(t0 + 2, count - 1), t3 = Math.Min(t0 + 3, count - 1);
                ReadOnlySpan<float> x0 = x.Slice(t0 * cols, cols), x1 = x.Slice(t1 * cols, cols);
                ReadOnlySpan<float> x2 = x.Slice(t2 * cols, cols), x3 = x.Slice(t3 * cols, cols);
                for (int r0 = blockStart; r0 < blockEnd; r0 += 2)
                {
                    // Likewise an odd last row is paired with itself (each row's sums are its own, whatever its partner).
                    int r1 = Math.Min(r0 + 1, blockEnd - 1);
                    sums.Clear();
                    DotTwoRowsFourTokens<TSimd, TVector>(w.Row(r0), w.Row(r1), x0, x1, x2, x3, sums);
                    int o0 = first + r0, o1 = first + r1;
                    destination[(t0 * outputs) + o0] = sums[0];
                    destination[(t1 * outputs) + o0] = sums[1];
                    destination[(t2 * outputs) + o0] = sums[2];
                    destination[(t3 * outputs) + o0] = sums[3];
                    destination[(t0 * outputs) + o1] = sums[4];
                    destination[(t1 * outputs) + o1] = sums[5];
                    destination[(t2 * outputs) + o1] = sums[6];
                    destination[(t3 * outputs) + o1] = sums[7];
                }
            }
        }
    }

    /// <summary>
    /// <see cref="MatMulFloatRows{TSimd, TVector}"/> at 256 bits with AVX, the same blocks, multiply-adds and sums (so the same
    /// bits), with less work around them: the eight horizontal sums of a two-row, four-token block in one reduction
    /// (<see cref="SumsOfEightAvx"/>, each lane with the bits of <see cref="Vector256.Sum{T}(Vector256{T})"/>), pointers
    /// instead of slices; and, on Intel cores (<see cref="PrefetchFloatRows"/>), the two rows prefetched
    /// <see cref="MatMulPrefetchFloats"/> ahead, since the block's rows come from L2 for every four tokens. jamba-128m f32
    /// prefill (<c>bench -p 128 -n 1 -r 5</c>, three interleaved rounds on the Xeon), one / two threads: 221–224 / 419–435
    /// tok/s before, 228–234 / 426–452 with the single reduction, 248–260 / 450–486 with the hints too. Its loop repeats
    /// <see cref="DotTwoRowsFourTokens{TSimd, TVector}"/>'s on purpose: the same reduction and hints put into that generic
    /// helper (a hints type argument, pointers for rows and outputs) measured 3–4% slower (jamba-128m f32 prefill of 256
    /// tokens, three interleaved rounds: 302–304 against 308–313 tok/s on one thread, 567–571 against 593–595 on two).
    /// </summary>
    private static unsafe void MatMulFloatRowsAvx<THints>(in Matrix w, int first, int outputs, ReadOnlySpan<float> x, int count, Span<float> destination,
        int rowStart, int rowEnd)
        where THints : struct, IPrefetchHints
    {
        int cols = w.Cols, body = cols & ~7;
        int rowBlock = Math.Max(2, MatMulRowBlockBytes / Math.Max(1, cols * sizeof(float))) & ~1;
        Span<float> sums = stackalloc float[2 * MatMulTokenBlock];
        fixed (float* xs = x, ds = destination)
        {
            for (int blockStart = rowStart; blockStart < rowEnd; blockStart += rowBlock)
            {
                int blockEnd = Math.Min(blockStart + rowBlock, rowEnd);
                int t0 = 0;
                if (Avx512F.IsSupported)
                {
                    for (; t0 + 8 <= count; t0 += 8)
                    {
                        for (int r0 = blockStart; r0 < blockEnd; r0 += 4)
                        {
                            // A last group of fewer than four rows repeats its last row, as the token blocks repeat tokens.
                            int r1 = Math.Min(r0 + 1, blockEnd - 1), r2 = Math.Min(r0 + 2, blockEnd - 1), r3 = Math.Min(r0 + 3, blockEnd - 1);
                            float* d = ds + ((long)t0 * outputs) + first;
                            FourRowsEightTokensAvx512<THints>(w.Data + ((long)r0 * cols), w.Data + ((long)r1 * cols), w.Data + ((long)r2 * cols), w.Data + ((long)r3 * cols),
                                xs + ((long)t0 * cols), cols, d + r0, d + r1, d + r2, d + r3, outputs);
                        }
                    }
                }
                for (; t0 < count; t0 += MatMulTokenBlock)
                {
                    // As in the general kernel, a last block of fewer than four tokens repeats its last token.
                    int t1 = Math.Min(t0 + 1, count - 1), t2 = Math.Min(t0 + 2, count - 1), t3 = Math.Min(t0 + 3, count - 1);
                    float* x0 = xs + ((long)t0 * cols), x1 = xs + ((long)t1 * cols), x2 = xs + ((long)t2 * cols), x3 = xs + ((long)t3 * cols);
                    for (int r0 = blockStart; r0 < blockEnd; r0 += 2)
                    {
                        int r1 = Math.Min(r0 + 1, blockEnd - 1);
                        float* w0 = w.Data + ((long)r0 * cols), w1 = w.Data + ((long)r1 * cols);
                        Vector256<float> s00 = default, s01 = default, s02 = default, s03 = default;
                        Vector256<float> s10 = default, s11 = default, s12 = default, s13 = default;
                        for (int i = 0; i < body; i += 8)
                        {
                            if (THints.Enabled)
                            {
                                Sse.Prefetch0(w0 + i + MatMulPrefetchFloats);
                                Sse.Prefetch0(w1 + i + MatMulPrefetchFloats);
                            }
                            var a = Vector256.Load(w0 + i);
                            var b = Vector256.Load(w1 + i);
                            var v = Vector256.Load(x0 + i);
                            s00 = Vector256.MultiplyAddEstimate(a, v, s00);
                            s10 = Vector256.MultiplyAddEstimate(b, v, s10);
                            v = Vector256.Load(x1 + i);
                            s01 = Vector256.MultiplyAddEstimate(a, v, s01);
                            s11 = Vector256.MultiplyAddEstimate(b, v, s11);
                            v = Vector256.Load(x2 + i);
                            s02 = Vector256.MultiplyAddEstimate(a, v, s02);
                            s12 = Vector256.MultiplyAddEstimate(b, v, s12);
                            v = Vector256.Load(x3 + i);
                            s03 = Vector256.MultiplyAddEstimate(a, v, s03);
                            s13 = Vector256.MultiplyAddEstimate(b, v, s13);
                        }
                        // 0 + sum, as the general kernel adds each sum to a cleared slot (a sum of −0 becomes +0).
                        (Vector256<float>.Zero + SumsOfEightAvx(s00, s01, s02, s03, s10, s11, s12, s13)).CopyTo(sums);
                        if (body < cols)
                        {
                            DotTwoRowsFourTokens<SimdScalar, float>(new ReadOnlySpan<float>(w0 + body, cols - body), new ReadOnlySpan<float>(w1 + body, cols - body),
                                new ReadOnlySpan<float>(x0 + body, cols - body), new ReadOnlySpan<float>(x1 + body, cols - body),
                                new ReadOnlySpan<float>(x2 + body, cols - body), new ReadOnlySpan<float>(x3 + body, cols - body), sums);
                        }
                        float* d0 = ds + first + r0, d1 = ds + first + r1;
                        d0[(long)t0 * outputs] = sums[0];
                        d0[(long)t1 * outputs] = sums[1];
                        d0[(long)t2 * outputs] = sums[2];
                        d0[(long)t3 * outputs] = sums[3];
                        d1[(long)t0 * outputs] = sums[4];
                        d1[(long)t1 * outputs] = sums[5];
                        d1[(long)t2 * outputs] = sums[6];
                        d1[(long)t3 * outputs] = sums[7];
                    }
                }
            }
        }
    }

    /// <summary>
    /// Four rows by eight consecutive tokens of <see cref="MatMulFloatRowsAvx{THints}"/> on 512-bit vectors (builds for
    /// AVX-512 CPUs), the same bits: each vector holds eight columns of two rows, so one multiply-add advances both rows'
    /// eight-lane chains for a token, exactly as two 256-bit ones would, and the halves are summed by
    /// <see cref="SumsOfEightAvx"/> as before. Per eight columns: two inserts and sixteen multiply-adds where the 256-bit
    /// blocks take thirty-two.
    /// </summary>
    private static unsafe void FourRowsEightTokensAvx512<THints>(float* w0, float* w1, float* w2, float* w3, float* x, int cols,
        float* d0, float* d1, float* d2, float* d3, int outputs)
        where THints : struct, IPrefetchHints
    {
        int body = cols & ~7;
        float* x0 = x, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols, x4 = x3 + cols, x5 = x4 + cols, x6 = x5 + cols, x7 = x6 + cols;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        for (int i = 0; i < body; i += 8)
        {
            if (THints.Enabled)
            {
                Sse.Prefetch0(w0 + i + MatMulPrefetchFloats);
                Sse.Prefetch0(w1 + i + MatMulPrefetchFloats);
                Sse.Prefetch0(w2 + i + MatMulPrefetchFloats);
                Sse.Prefetch0(w3 + i + MatMulPrefetchFloats);
            }
            var a = Avx512F.InsertVector256(Vector256.Load(w0 + i).ToVector512Unsafe(), Vector256.Load(w1 + i), 1);
            var b = Avx512F.InsertVector256(Vector256.Load(w2 + i).ToVector512Unsafe(), Vector256.Load(w3 + i), 1);
            var v = Both(x0 + i);
            a0 = Vector512.MultiplyAddEstimate(a, v, a0);
            b0 = Vector512.MultiplyAddEstimate(b, v, b0);
            v = Both(x1 + i);
            a1 = Vector512.MultiplyAddEstimate(a, v, a1);
            b1 = Vector512.MultiplyAddEstimate(b, v, b1);
            v = Both(x2 + i);
            a2 = Vector512.MultiplyAddEstimate(a, v, a2);
            b2 = Vector512.MultiplyAddEstimate(b, v, b2);
            v = Both(x3 + i);
            a3 = Vector512.MultiplyAddEstimate(a, v, a3);
            b3 = Vector512.MultiplyAddEstimate(b, v, b3);
            v = Both(x4 + i);
            a4 = Vector512.MultiplyAddEstimate(a, v, a4);
            b4 = Vector512.MultiplyAddEstimate(b, v, b4);
            v = Both(x5 + i);
            a5 = Vector512.MultiplyAddEstimate(a, v, a5);
            b5 = Vector512.MultiplyAddEstimate(b, v, b5);
            v = Both(x6 + i);
            a6 = Vector512.MultiplyAddEstimate(a, v, a6);
            b6 = Vector512.MultiplyAddEstimate(b, v, b6);
            v = Both(x7 + i);
            a7 = Vector512.MultiplyAddEstimate(a, v, a7);
            b7 = Vector512.MultiplyAddEstimate(b, v, b7);
        }
        // Every reduction before the first call, so that no accumulator lives across one (and is kept in memory in the loop).
        var a03 = SumsOfEightAvx(a0.GetLower(), a1.GetLower(), a2.GetLower(), a3.GetLower(), a0.GetUpper(), a1.GetUpper(), a2.GetUpper(), a3.GetUpper());
        var a47 = SumsOfEightAvx(a4.GetLower(), a5.GetLower(), a6.GetLower(), a7.GetLower(), a4.GetUpper(), a5.GetUpper(), a6.GetUpper(), a7.GetUpper());
        var b03 = SumsOfEightAvx(b0.GetLower(), b1.GetLower(), b2.GetLower(), b3.GetLower(), b0.GetUpper(), b1.GetUpper(), b2.GetUpper(), b3.GetUpper());
        var b47 = SumsOfEightAvx(b4.GetLower(), b5.GetLower(), b6.GetLower(), b7.GetLower(), b4.GetUpper(), b5.GetUpper(), b6.GetUpper(), b7.GetUpper());
        Span<float> sums = stackalloc float[2 * MatMulTokenBlock];
        long half = 4L * outputs;
        Finish(w0, w1, x0, cols, body, a03, sums, d0, d1, outputs);
        Finish(w0, w1, x4, cols, body, a47, sums, d0 + half, d1 + half, outputs);
        Finish(w2, w3, x0, cols, body, b03, sums, d2, d3, outputs);
        Finish(w2, w3, x4, cols, body, b47, sums, d2 + half, d3 + half, outputs);

        // The same eight columns of a token in both halves (a load, no shuffle).
        static Vector512<float> Both(float* source) => Avx512F.BroadcastVector256ToVector512((double*)source).AsSingle();

        // Two rows by four tokens, as MatMulFloatRowsAvx finishes them: 0 + the reduction, then the scalar tail. That kernel
        // keeps its own copy inline: one helper for both measured 3% slower there (jamba-128m f32 prefill of 256 tokens, one
        // thread, x86-64-v3: 317 against 325-328 tok/s, three interleaved runs), even inlined.
        static void Finish(float* w0, float* w1, float* x, int cols, int body, Vector256<float> reduced, Span<float> sums, float* d0, float* d1, int outputs)
        {
            (Vector256<float>.Zero + reduced).CopyTo(sums);
            if (body < cols)
            {
                DotTwoRowsFourTokens<SimdScalar, float>(new ReadOnlySpan<float>(w0 + body, cols - body), new ReadOnlySpan<float>(w1 + body, cols - body),
                    new ReadOnlySpan<float>(x + body, cols - body), new ReadOnlySpan<float>(x + cols + body, cols - body),
                    new ReadOnlySpan<float>(x + (2 * cols) + body, cols - body), new ReadOnlySpan<float>(x + (3 * cols) + body, cols - body), sums);
            }
            for (int t = 0; t < MatMulTokenBlock; t++)
            {
                d0[(long)t * outputs] = sums[t];
                d1[(long)t * outputs] = sums[MatMulTokenBlock + t];
            }
        }
    }

    /// <summary>Whether a kernel issues prefetch hints: a type argument, so the choice costs nothing inside its loop.</summary>
    private interface IPrefetchHints
    {
        static abstract bool Enabled { get; }
    }

    private readonly struct WithHints : IPrefetchHints
    {
        public static bool Enabled => true;
    }

    private readonly struct WithoutHints : IPrefetchHints
    {
        public static bool Enabled => false;
    }

    /// <summary>
    /// Adds the eight dot products of weight rows <paramref name="w0"/>, <paramref name="w1"/> with token
    /// rows <paramref name="x0"/>..<paramref name="x3"/> to <paramref name="sums"/>
    /// (<c>[w0·x0, w0·x1, w0·x2, w0·x3, w1·x0, ..., w1·x3]</c>). Each weight vector is loaded once
    /// for four fused multiply-adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DotTwoRowsFourTokens<TSimd, TVector>(
        ReadOnlySpan<float> w0, ReadOnlySpan<float> w1,
        ReadOnlySpan<float> x0, ReadOnlySpan<float> x1, ReadOnlySpan<float> x2, ReadOnlySpan<float> x3,
        Span<float> sums)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        ref float w0s = ref MemoryMarshal.GetReference(w0), w1s = ref MemoryMarshal.GetReference(w1);
        ref float x0s = ref MemoryMarshal.GetReference(x0), x1s = ref MemoryMarshal.GetReference(x1);
        ref float x2s = ref MemoryMarshal.GetReference(x2), x3s = ref MemoryMarshal.GetReference(x3);
        nuint length = (nuint)w0.Length;
        nuint count = (nuint)TSimd.Count;

        TVector s00 = TSimd.Zero, s01 = TSimd.Zero, s02 = TSimd.Zero, s03 = TSimd.Zero;
        TVector s10 = TSimd.Zero, s11 = TSimd.Zero, s12 = TSimd.Zero, s13 = TSimd.Zero;
        nuint i = 0;
        for (; i + count <= length; i += count)
        {
            TVector a = TSimd.Load(ref w0s, i), b = TSimd.Load(ref w1s, i);
            TVector v = TSimd.Load(ref x0s, i);
            s00 = TSimd.MultiplyAdd(a, v, s00);
            s10 = TSimd.MultiplyAdd(b, v, s10);
            v = TSimd.Load(ref x1s, i);
            s01 = TSimd.MultiplyAdd(a, v, s01);
            s11 = TSimd.MultiplyAdd(b, v, s11);
            v = TSimd.Load(ref x2s, i);
            s02 = TSimd.MultiplyAdd(a, v, s02);
            s12 = TSimd.MultiplyAdd(b, v, s12);
            v = TSimd.Load(ref x3s, i);
            s03 = TSimd.MultiplyAdd(a, v, s03);
            s13 = TSimd.MultiplyAdd(b, v, s13);
        }

        sums[0] += TSimd.Sum(s00);
        sums[1] += TSimd.Sum(s01);
        sums[2] += TSimd.Sum(s02);
        sums[3] += TSimd.Sum(s03);
        sums[4] += TSimd.Sum(s10);
        sums[5] += TSimd.Sum(s11);
        sums[6] += TSimd.Sum(s12);
        sums[7] += TSimd.Sum(s13);
        if (i < length)
        {
            int tail = (int)i;
            DotTwoRowsFourTokens<SimdScalar, float>(w0[tail..], w1[tail..], x0[tail..], x1[tail..], x2[tail..], x3[tail..], sums);
        }
    }
}
