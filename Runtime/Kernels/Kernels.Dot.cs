using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>Dot product: <c>Σ_i x[i]·y[i]</c>, accumulated in float32.</summary>
    /// <param name="x">The first vector.</param>
    /// <param name="y">The second vector, of the same length.</param>
    /// <returns>The sum; 0 for empty vectors.</returns>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    /// <remarks>Uses four independent accumulators, so the summation order differs from a sequential loop.</remarks>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        RequireLength(y, x.Length);
        if (Vector512.IsHardwareAccelerated && x.Length >= Vector512<float>.Count)
        {
            return Dot<Simd512, Vector512<float>>(x, y);
        }

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
    {
        float sum = TSimd.Sum(DotLanes<TSimd, TVector>(x, y, out int done));
        return done == x.Length ? sum : sum + Dot<SimdScalar, float>(x[done..], y[done..]);
    }

    /// <summary>
    /// The vector part of <see cref="Dot{TSimd, TVector}"/>: four accumulators over blocks of four vectors, then one over
    /// single vectors, added as <c>(s0 + s1) + (s2 + s3)</c>; <paramref name="done"/> is the number of elements covered
    /// (the rest is the scalar tail). The dot product is the lanes' <see cref="ISimd{TVector}.Sum"/> plus that tail.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector DotLanes<TSimd, TVector>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, out int done)
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
}
