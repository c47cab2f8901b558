namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>SiLU (swish) in place: <c>x[i] = x[i]·sigmoid(x[i]) = x[i] / (1 + exp(−x[i]))</c>.</summary>
    /// <param name="x">The values to transform.</param>
    public static void Silu(Span<float> x) => Map<SiluOperator>(x, x);

    /// <summary>
    /// <c>silu(x) = x / (1 + exp(−x))</c>, as <c>x·s</c> with <c>s = sigmoid(x)</c> from <c>t = exp(−|x|) ≤ 1</c>
    /// (<see cref="SigmoidOperator"/>), so the exponential is <see cref="ISimd{TVector}.ExpNonPositive"/>; tends to x for large
    /// x and to −0 for very negative x (below −87.3, where the true value is under 1e−35 in size).
    /// </summary>
    internal readonly struct SiluOperator : IUnaryOperator
    {
        public static TVector Invoke<TSimd, TVector>(TVector x)
            where TSimd : ISimd<TVector>
            where TVector : struct =>
            TSimd.Multiply(x, SigmoidOperator.Invoke<TSimd, TVector>(x));
    }
}
