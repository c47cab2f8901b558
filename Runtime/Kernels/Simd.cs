using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeJamba.Runtime;

/// <summary>
/// The operations a kernel needs on a vector of floats, for one vector width. Each kernel is written
/// once as a generic method over <c>TSimd : ISimd&lt;TVector&gt;</c>; the JIT compiles one specialized
/// copy per width (<see cref="Simd512"/>, <see cref="Simd256"/>, <see cref="Simd128"/>) and one for
/// single floats (<see cref="SimdScalar"/>), which serves both as the scalar path and for the tail of
/// the vector paths. Comparisons return masks (all bits set where true), as in <see cref="Vector128"/>.
/// </summary>
/// <typeparam name="TVector">The vector type: <see cref="Vector512{T}"/>, <see cref="Vector256{T}"/>,
/// <see cref="Vector128{T}"/> of float, or <see cref="float"/> itself.</typeparam>
internal interface ISimd<TVector>
    where TVector : struct
{
    /// <summary>Number of floats in one vector.</summary>
    static abstract int Count { get; }

    static abstract TVector Zero { get; }

    static abstract TVector Create(float value);

    /// <summary>Loads <see cref="Count"/> floats from <paramref name="source"/> + <paramref name="index"/>; no bounds check.</summary>
    static abstract TVector Load(ref float source, nuint index);

    /// <summary>Stores <see cref="Count"/> floats at <paramref name="destination"/> + <paramref name="index"/>; no bounds check.</summary>
    static abstract void Store(TVector value, ref float destination, nuint index);

    static abstract TVector Add(TVector x, TVector y);

    static abstract TVector Subtract(TVector x, TVector y);

    static abstract TVector Multiply(TVector x, TVector y);

    static abstract TVector Divide(TVector x, TVector y);

    /// <summary><c>x * y + addend</c>, fused (one rounding) where the hardware has FMA, else multiply then add.</summary>
    static abstract TVector MultiplyAdd(TVector x, TVector y, TVector addend);

    /// <summary>IEEE 754:2019 maximum (NaN propagates).</summary>
    static abstract TVector Max(TVector x, TVector y);

    static abstract TVector Abs(TVector x);

    static abstract TVector Exp(TVector x);

    /// <summary>
    /// <c>exp(x)</c> for <c>x ≤ 0</c> (a decay exponent, a softmax entry less its maximum, <c>−|x|</c> in a sigmoid): 0 below
    /// −87.33 (where the result would leave the normal range), NaN for NaN. Where the hardware has fused multiply-add
    /// (<see cref="SimdMath.UseExpPolynomial"/>) it is <see cref="SimdMath.ExpNonPositive{TSimd, TVector}"/>, a float
    /// polynomial within 1.3 ulp that gives the same bits at every width and for single floats, so a vector's tail and the
    /// split of a span between threads change nothing; elsewhere <see cref="Exp"/>.
    /// </summary>
    static abstract TVector ExpNonPositive(TVector x);

    /// <summary>
    /// <c>x * y + addend</c> with one rounding, always: unlike <see cref="MultiplyAdd"/> also in unoptimized code and where the
    /// hardware has no FMA (then in software, slowly).
    /// </summary>
    static abstract TVector FusedMultiplyAdd(TVector x, TVector y, TVector addend);

    /// <summary>Rounds to the nearest integer, ties to even.</summary>
    static abstract TVector RoundToEven(TVector x);

    /// <summary><c>2^n</c> for an integral <c>n</c> in [−126, 127], built in the exponent field.</summary>
    static abstract TVector PowerOfTwo(TVector n);

    static abstract TVector Log(TVector x);

    static abstract TVector CompareGreaterThan(TVector x, TVector y);

    static abstract TVector CompareEqual(TVector x, TVector y);

    /// <summary>Bitwise select: <paramref name="x"/> where <paramref name="mask"/> bits are set, else <paramref name="y"/>.</summary>
    static abstract TVector ConditionalSelect(TVector mask, TVector x, TVector y);

    /// <summary>Sum of the elements.</summary>
    static abstract float Sum(TVector x);
}

/// <summary>512-bit vectors (AVX-512). Also runs, emulated and slowly, where <see cref="Vector512.IsHardwareAccelerated"/> is false.</summary>
internal readonly struct Simd512 : ISimd<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;

    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Create(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float source, nuint index) => Vector512.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> x, Vector512<float> y) => x + y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> x, Vector512<float> y) => x - y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> x, Vector512<float> y) => x * y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Divide(Vector512<float> x, Vector512<float> y) => x / y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> x, Vector512<float> y, Vector512<float> addend) => Vector512.MultiplyAddEstimate(x, y, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Max(Vector512<float> x, Vector512<float> y) => Vector512.Max(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Abs(Vector512<float> x) => Vector512.Abs(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x) => Vector512.Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ExpNonPositive(Vector512<float> x) => SimdMath.UseExpPolynomial ? SimdMath.ExpNonPositive<Simd512, Vector512<float>>(x) : Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FusedMultiplyAdd(Vector512<float> x, Vector512<float> y, Vector512<float> addend) => Vector512.FusedMultiplyAdd(x, y, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> RoundToEven(Vector512<float> x) => Vector512.Round(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> PowerOfTwo(Vector512<float> n) =>
        Vector512.ShiftLeft(Vector512.ConvertToInt32Native(n) + Vector512.Create(127), 23).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Log(Vector512<float> x) => Vector512.Log(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> CompareGreaterThan(Vector512<float> x, Vector512<float> y) => Vector512.GreaterThan(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> CompareEqual(Vector512<float> x, Vector512<float> y) => Vector512.Equals(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ConditionalSelect(Vector512<float> mask, Vector512<float> x, Vector512<float> y) => Vector512.ConditionalSelect(mask, x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> x) => Vector512.Sum(x);
}

/// <summary>256-bit vectors (AVX2).</summary>
internal readonly struct Simd256 : ISimd<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;

    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Create(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref float source, nuint index) => Vector256.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> x, Vector256<float> y) => x + y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> x, Vector256<float> y) => x - y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> x, Vector256<float> y) => x * y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Divide(Vector256<float> x, Vector256<float> y) => x / y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> x, Vector256<float> y, Vector256<float> addend) => Vector256.MultiplyAddEstimate(x, y, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Max(Vector256<float> x, Vector256<float> y) => Vector256.Max(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Abs(Vector256<float> x) => Vector256.Abs(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x) => Vector256.Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ExpNonPositive(Vector256<float> x) => SimdMath.UseExpPolynomial ? SimdMath.ExpNonPositive<Simd256, Vector256<float>>(x) : Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FusedMultiplyAdd(Vector256<float> x, Vector256<float> y, Vector256<float> addend) => Vector256.FusedMultiplyAdd(x, y, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> RoundToEven(Vector256<float> x) => Vector256.Round(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> PowerOfTwo(Vector256<float> n) =>
        Vector256.ShiftLeft(Vector256.ConvertToInt32Native(n) + Vector256.Create(127), 23).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Log(Vector256<float> x) => Vector256.Log(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> CompareGreaterThan(Vector256<float> x, Vector256<float> y) => Vector256.GreaterThan(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> CompareEqual(Vector256<float> x, Vector256<float> y) => Vector256.Equals(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ConditionalSelect(Vector256<float> mask, Vector256<float> x, Vector256<float> y) => Vector256.ConditionalSelect(mask, x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> x) => Vector256.Sum(x);
}

/// <summary>128-bit vectors (SSE, AdvSimd).</summary>
internal readonly struct Simd128 : ISimd<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;

    public static Vector128<float> Zero => Vector128<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Create(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ref float source, nuint index) => Vector128.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> x, Vector128<float> y) => x + y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Subtract(Vector128<float> x, Vector128<float> y) => x - y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> x, Vector128<float> y) => x * y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Divide(Vector128<float> x, Vector128<float> y) => x / y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> x, Vector128<float> y, Vector128<float> addend) => Vector128.MultiplyAddEstimate(x, y, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Max(Vector128<float> x, Vector128<float> y) => Vector128.Max(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Abs(Vector128<float> x) => Vector128.Abs(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x) => Vector128.Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ExpNonPositive(Vector128<float> x) => SimdMath.UseExpPolynomial ? SimdMath.ExpNonPositive<Simd128, Vector128<float>>(x) : Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> FusedMultiplyAdd(Vector128<float> x, Vector128<float> y, Vector128<float> addend) => Vector128.FusedMultiplyAdd(x, y, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> RoundToEven(Vector128<float> x) => Vector128.Round(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> PowerOfTwo(Vector128<float> n) =>
        Vector128.ShiftLeft(Vector128.ConvertToInt32Native(n) + Vector128.Create(127), 23).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Log(Vector128<float> x) => Vector128.Log(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> CompareGreaterThan(Vector128<float> x, Vector128<float> y) => Vector128.GreaterThan(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> CompareEqual(Vector128<float> x, Vector128<float> y) => Vector128.Equals(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ConditionalSelect(Vector128<float> mask, Vector128<float> x, Vector128<float> y) => Vector128.ConditionalSelect(mask, x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> x) => Vector128.Sum(x);
}

/// <summary>
/// One float at a time: the scalar path, and the tail of every vector path. A mask is a float whose
/// bits are all set (true) or all clear (false).
/// </summary>
internal readonly struct SimdScalar : ISimd<float>
{
    public static int Count => 1;

    public static float Zero => 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Create(float value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(ref float source, nuint index) => Unsafe.Add(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float value, ref float destination, nuint index) => Unsafe.Add(ref destination, index) = value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Add(float x, float y) => x + y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Subtract(float x, float y) => x - y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Multiply(float x, float y) => x * y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Divide(float x, float y) => x / y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MultiplyAdd(float x, float y, float addend) => float.MultiplyAddEstimate(x, y, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Max(float x, float y) => float.Max(x, y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Abs(float x) => MathF.Abs(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x) => MathF.Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ExpNonPositive(float x) => SimdMath.UseExpPolynomial ? SimdMath.ExpNonPositive<SimdScalar, float>(x) : Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float FusedMultiplyAdd(float x, float y, float addend) => MathF.FusedMultiplyAdd(x, y, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float RoundToEven(float x) => MathF.Round(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float PowerOfTwo(float n) =>
        BitConverter.Int32BitsToSingle(((int)n + 127) << 23);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Log(float x) => MathF.Log(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float CompareGreaterThan(float x, float y) => x > y ? AllBitsSet : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float CompareEqual(float x, float y) => x == y ? AllBitsSet : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ConditionalSelect(float mask, float x, float y) => BitConverter.SingleToInt32Bits(mask) != 0 ? x : y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(float x) => x;

    private static float AllBitsSet => BitConverter.Int32BitsToSingle(-1);
}

/// <summary>Functions written once over <see cref="ISimd{TVector}"/>, the same bits at every width.</summary>
internal static class SimdMath
{
    /// <summary>
    /// Whether <see cref="ISimd{TVector}.ExpNonPositive"/> is the polynomial: where multiply-add is fused in hardware (it
    /// would be slow in software).
    /// </summary>
    public static bool UseExpPolynomial => Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;

    /// <summary>
    /// <c>exp(x)</c> for <c>x ≤ 0</c> in float arithmetic (Cephes <c>expf</c>): <c>x = n·ln 2 + r</c> with <c>n</c> rounded to
    /// even and <c>ln 2</c> in two parts, so <c>r</c> is exact to within an ulp of <c>x</c>; a degree-5 polynomial in
    /// <c>r</c>; then <c>2^n</c> by the exponent field. Within 1.3 ulp of the exact value (measured against double
    /// <see cref="Math.Exp(double)"/>); 0 below −87.33, where <c>2^n</c> would leave the normal range; NaN for NaN.
    /// Every operation is one IEEE rounding (the multiply-adds fused, <see cref="ISimd{TVector}.FusedMultiplyAdd"/>), so every
    /// width, and optimized and unoptimized code alike, give the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector ExpNonPositive<TSimd, TVector>(TVector x)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        TVector n = TSimd.RoundToEven(TSimd.Multiply(x, TSimd.Create(1.44269504088896341f)));
        TVector r = TSimd.FusedMultiplyAdd(n, TSimd.Create(-0.693359375f), x);
        r = TSimd.FusedMultiplyAdd(n, TSimd.Create(2.12194440e-4f), r);
        TVector p = TSimd.FusedMultiplyAdd(TSimd.Create(1.9875691500e-4f), r, TSimd.Create(1.3981999507e-3f));
        p = TSimd.FusedMultiplyAdd(p, r, TSimd.Create(8.3334519073e-3f));
        p = TSimd.FusedMultiplyAdd(p, r, TSimd.Create(4.1665795894e-2f));
        p = TSimd.FusedMultiplyAdd(p, r, TSimd.Create(1.6666665459e-1f));
        p = TSimd.FusedMultiplyAdd(p, r, TSimd.Create(5.0000001201e-1f));
        p = TSimd.FusedMultiplyAdd(p, TSimd.Multiply(r, r), TSimd.Add(r, TSimd.Create(1f)));
        TVector e = TSimd.Multiply(p, TSimd.PowerOfTwo(n));
        return TSimd.ConditionalSelect(TSimd.CompareGreaterThan(TSimd.Create(-87.33654f), x), TSimd.Zero, e);
    }
}
