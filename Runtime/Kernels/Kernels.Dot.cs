using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>Dot product: <c>Σ_i x[i]·y[i]</c>, accumulated in float32.</summary>
    /// <param name="x">The first vector.</param>
    /// <param name="y">The second vector, of the same length.</param>
    /// <returns>The sum; 0 for empty vectors.</returns>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    /// <remarks>
    /// Uses four independent accumulators, so the summation order differs from a sequential loop. Like every reduction over
    /// weights or positions (<c>MatVec</c>, <c>MatMul</c>, <c>Attend</c>, <c>SelectiveScanStep</c>), it runs at 256 bits at
    /// most, also where 512-bit vectors are accelerated: measured on an AVX-512 CPU, the 512-bit paths decoded the default
    /// model and stories260K 5–21% slower (a product's rows reduced one at a time instead of eight at once, short rows in
    /// fewer, wider vectors) and prefilled jamba-128m 7% slower, and the kernels built for one width or state size are 256-bit.
    /// </remarks>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        RequireLength(y, x.Length);
        if (Vector256.IsHardwareAccelerated && x.Length >= Vector256<float>.Count)
        {
            return Dot<Simd256, Vector256<float>>(x, y);
        }

        if (Vector128.IsHardwareAccelerated && x.Length >= Vector128<float>.Count)
        {
            return Dot<Simd128, Vector128<float>>(x, y);
        }

        return Dot<SimdScalar, float>(x, y);
    }

    /// <summary><see cref="Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/> at one vector width; lengths unchecked.</summary>
    internal static float Dot<TSimd, TVector>(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
        where TSimd : ISimd<TVector>
        where TVector : struct
        => Dot<TSimd, TVector>(x, y, prefetchX: false);

    /// <summary>
    /// <see cref="Dot{TSimd, TVector}"/> of a weight row <paramref name="row"/> streamed from memory, whose cache lines are
    /// asked for <see cref="WeightPrefetchBytes"/> ahead as the product goes (see <see cref="PrefetchFloatRows"/>); same bits.
    /// </summary>
    internal static float DotPrefetched<TSimd, TVector>(ReadOnlySpan<float> row, ReadOnlySpan<float> x)
        where TSimd : ISimd<TVector>
        where TVector : struct
        => Dot<TSimd, TVector>(row, x, prefetchX: true);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot<TSimd, TVector>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, bool prefetchX)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        float sum = TSimd.Sum(DotLanes<TSimd, TVector>(x, y, out int done, prefetchX));
        return done == x.Length ? sum : sum + Dot<SimdScalar, float>(x[done..], y[done..]);
    }

    /// <summary>
    /// The vector part of <see cref="Dot{TSimd, TVector}"/>: four accumulators over blocks of four vectors, then one over
    /// single vectors, added as <c>(s0 + s1) + (s2 + s3)</c>; <paramref name="done"/> is the number of elements covered
    /// (the rest is the scalar tail). The dot product is the lanes' <see cref="ISimd{TVector}.Sum"/> plus that tail. With
    /// <paramref name="prefetchX"/> (a constant where inlined), each block first asks for the cache lines of
    /// <paramref name="x"/> <see cref="WeightPrefetchBytes"/> ahead of it into L2.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe TVector DotLanes<TSimd, TVector>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, out int done, bool prefetchX = false)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        nuint length = (nuint)x.Length;
        nuint count = (nuint)TSimd.Count;

        TVector sum0 = TSimd.Zero, sum1 = TSimd.Zero, sum2 = TSimd.Zero, sum3 = TSimd.Zero;
        nuint i = 0;
        for (; i + (4 * count) <= length; i += 4 * count)
        {
            if (prefetchX && Sse.IsSupported)
            {
                // One hint per 64-byte line of the block of 4 * count floats: one at 128 bits, two at 256.
                byte* ahead = (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref xs, i)) + WeightPrefetchBytes;
                Sse.Prefetch1(ahead);
                if (4 * count * sizeof(float) > 64)
                {
                    Sse.Prefetch1(ahead + 64);
                }
            }
            sum0 = TSimd.MultiplyAdd(TSimd.Load(ref xs, i), TSimd.Load(ref ys, i), sum0);
            sum1 = TSimd.MultiplyAdd(TSimd.Load(ref xs, i + count), TSimd.Load(ref ys, i + count), sum1);
            sum2 = TSimd.MultiplyAdd(TSimd.Load(ref xs, i + (2 * count)), TSimd.Load(ref ys, i + (2 * count)), sum2);
            sum3 = TSimd.MultiplyAdd(TSimd.Load(ref xs, i + (3 * count)), TSimd.Load(ref ys, i + (3 * count)), sum3);
        }

        for (; i + count <= length; i += count)
        {
            sum0 = TSimd.MultiplyAdd(TSimd.Load(ref xs, i), TSimd.Load(ref ys, i), sum0);
        }

        done = (int)i;
        return TSimd.Add(TSimd.Add(sum0, sum1), TSimd.Add(sum2, sum3));
    }

    /// <summary>
    /// <see cref="DotLanes"/> of two rows <paramref name="w0"/>, <paramref name="w1"/> with the same <paramref name="x"/>
    /// (returned for <paramref name="w0"/>, <paramref name="lanes1"/> for <paramref name="w1"/>), each vector of
    /// <paramref name="x"/> loaded once for both; every lane has the bits it has for the row alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector DotLanesTwoRows<TSimd, TVector>(ReadOnlySpan<float> x, ReadOnlySpan<float> w0, ReadOnlySpan<float> w1, out TVector lanes1, out int done)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        ref float w0s = ref MemoryMarshal.GetReference(w0), w1s = ref MemoryMarshal.GetReference(w1);
        ref float xs = ref MemoryMarshal.GetReference(x);
        nuint length = (nuint)x.Length;
        nuint count = (nuint)TSimd.Count;

        TVector a0 = TSimd.Zero, a1 = TSimd.Zero, a2 = TSimd.Zero, a3 = TSimd.Zero;
        TVector b0 = TSimd.Zero, b1 = TSimd.Zero, b2 = TSimd.Zero, b3 = TSimd.Zero;
        nuint i = 0;
        for (; i + (4 * count) <= length; i += 4 * count)
        {
            TVector v = TSimd.Load(ref xs, i);
            a0 = TSimd.MultiplyAdd(TSimd.Load(ref w0s, i), v, a0);
            b0 = TSimd.MultiplyAdd(TSimd.Load(ref w1s, i), v, b0);
            v = TSimd.Load(ref xs, i + count);
            a1 = TSimd.MultiplyAdd(TSimd.Load(ref w0s, i + count), v, a1);
            b1 = TSimd.MultiplyAdd(TSimd.Load(ref w1s, i + count), v, b1);
            v = TSimd.Load(ref xs, i + (2 * count));
            a2 = TSimd.MultiplyAdd(TSimd.Load(ref w0s, i + (2 * count)), v, a2);
            b2 = TSimd.MultiplyAdd(TSimd.Load(ref w1s, i + (2 * count)), v, b2);
            v = TSimd.Load(ref xs, i + (3 * count));
            a3 = TSimd.MultiplyAdd(TSimd.Load(ref w0s, i + (3 * count)), v, a3);
            b3 = TSimd.MultiplyAdd(TSimd.Load(ref w1s, i + (3 * count)), v, b3);
        }

        for (; i + count <= length; i += count)
        {
            TVector v = TSimd.Load(ref xs, i);
            a0 = TSimd.MultiplyAdd(TSimd.Load(ref w0s, i), v, a0);
            b0 = TSimd.MultiplyAdd(TSimd.Load(ref w1s, i), v, b0);
        }

        done = (int)i;
        lanes1 = TSimd.Add(TSimd.Add(b0, b1), TSimd.Add(b2, b3));
        return TSimd.Add(TSimd.Add(a0, a1), TSimd.Add(a2, a3));
    }

    /// <summary>
    /// The dot products of <paramref name="x"/> (eight floats or more) with eight rows, row <c>k</c> at
    /// <c>rows[k·stride ..]</c> (AVX): each row's lanes as <see cref="DotLanes"/> computes them (two rows per pass over <paramref name="x"/>), then the eight horizontal
    /// sums at once by pairwise adds in the order of <see cref="Vector256.Sum{T}(Vector256{T})"/>, so lane <c>k</c> has the
    /// bits of <see cref="Dot{TSimd, TVector}"/> of row <c>k</c> at 256 bits. Saves seven of every eight reductions, which
    /// dominate short rows (attention heads, the projections of small models).
    /// </summary>
    internal static Vector256<float> DotsOfEightAvx(ReadOnlySpan<float> x, ReadOnlySpan<float> rows, int stride)
    {
        int n = x.Length;
        var p0 = DotLanesTwoRows<Simd256, Vector256<float>>(x, rows.Slice(0, n), rows.Slice(stride, n), out var p1, out int done);
        var p2 = DotLanesTwoRows<Simd256, Vector256<float>>(x, rows.Slice(2 * stride, n), rows.Slice(3 * stride, n), out var p3, out _);
        var p4 = DotLanesTwoRows<Simd256, Vector256<float>>(x, rows.Slice(4 * stride, n), rows.Slice(5 * stride, n), out var p5, out _);
        var p6 = DotLanesTwoRows<Simd256, Vector256<float>>(x, rows.Slice(6 * stride, n), rows.Slice(7 * stride, n), out var p7, out _);
        var sums = SumsOfEightAvx(p0, p1, p2, p3, p4, p5, p6, p7);
        if (done == n)
        {
            return sums;
        }

        // The last n % 8 columns: each row's scalar tail, added to its sum as Dot adds it.
        ReadOnlySpan<float> tail = x[done..];
        return sums + Vector256.Create(
            TailDot(tail, rows, 0, done), TailDot(tail, rows, stride, done), TailDot(tail, rows, 2 * stride, done), TailDot(tail, rows, 3 * stride, done),
            TailDot(tail, rows, 4 * stride, done), TailDot(tail, rows, 5 * stride, done), TailDot(tail, rows, 6 * stride, done), TailDot(tail, rows, 7 * stride, done));
    }

    /// <summary>The scalar dot product of <paramref name="tail"/> with the columns from <paramref name="done"/> of the row at <paramref name="row"/>.</summary>
    private static float TailDot(ReadOnlySpan<float> tail, ReadOnlySpan<float> rows, int row, int done) =>
        Dot<SimdScalar, float>(tail, rows.Slice(row + done, tail.Length));

    /// <summary>
    /// The horizontal sums of eight vectors at once (AVX): lane <c>k</c> is <see cref="Vector256.Sum{T}(Vector256{T})"/> of
    /// <paramref name="p0"/> … <paramref name="p7"/>'s <c>k</c>-th, with its bits, by pairwise adds: per 128-bit half
    /// <c>(l0 + l1) + (l2 + l3)</c>, then the low half's sum plus the high half's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> SumsOfEightAvx(
        Vector256<float> p0, Vector256<float> p1, Vector256<float> p2, Vector256<float> p3,
        Vector256<float> p4, Vector256<float> p5, Vector256<float> p6, Vector256<float> p7)
    {
        var h0123 = Avx.HorizontalAdd(Avx.HorizontalAdd(p0, p1), Avx.HorizontalAdd(p2, p3));
        var h4567 = Avx.HorizontalAdd(Avx.HorizontalAdd(p4, p5), Avx.HorizontalAdd(p6, p7));
        return Avx.Permute2x128(h0123, h4567, 0x20) + Avx.Permute2x128(h0123, h4567, 0x31);
    }
}
