namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Softplus in place with PyTorch's defaults (β = 1, threshold 20):
    /// <c>x[i] = x[i] &gt; 20 ? x[i] : log1p(exp(x[i]))</c>.
    /// </summary>
    /// <param name="x">The values to transform (Mamba's <c>dt</c>).</param>
    /// <remarks><c>log1p</c> keeps full relative precision for very negative inputs, where <c>log(1 + exp(x))</c> would round to 0.</remarks>
    public static void Softplus(Span<float> x) => Map<SoftplusOperator>(x, x);

    /// <summary>
    /// <c>x &gt; 20 ? x : log1p(exp(x))</c>, as <c>max(x, 0) + log1p(e)</c> with <c>e = exp(−|x|) ≤ 1</c>
    /// (<see cref="ISimd{TVector}.ExpNonPositive"/>), and <c>log1p(e)</c> computed as <c>log(u)·e/(u − 1)</c> for
    /// <c>u = 1 + e</c> (exact <c>e</c> when <c>u</c> rounds to 1): the rounding error of <c>u</c> cancels in the quotient
    /// (Goldberg, "What every computer scientist should know about floating-point arithmetic", 1991, Theorem 4).
    /// </summary>
    internal readonly struct SoftplusOperator : IUnaryOperator
    {
        public static TVector Invoke<TSimd, TVector>(TVector x)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            TVector one = TSimd.Create(1f);
            TVector e = TSimd.ExpNonPositive(TSimd.Subtract(TSimd.Zero, TSimd.Abs(x)));
            TVector u = TSimd.Add(one, e);
            TVector log1p = TSimd.ConditionalSelect(
                TSimd.CompareEqual(u, one),
                e,
                TSimd.Multiply(TSimd.Log(u), TSimd.Divide(e, TSimd.Subtract(u, one))));
            return TSimd.ConditionalSelect(TSimd.CompareGreaterThan(x, TSimd.Create(20f)), x, TSimd.Add(TSimd.Max(x, TSimd.Zero), log1p));
        }
    }
}
