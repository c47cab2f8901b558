namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>SiLU (swish) in place: <c>x[i] = x[i]·sigmoid(x[i]) = x[i] / (1 + exp(−x[i]))</c>.</summary>
    /// <param name="x">The values to transform.</param>
    public static void Silu(Span<float> x) => Map<SiluOperator>(x, x);

    /// <summary><c>silu(x) = x / (1 + exp(−x))</c>; tends to x for large x and to −0 for very negative x.</summary>
    internal readonly struct SiluOperator : IUnaryOperator
    {
        public static TVector Invoke<TSimd, TVector>(TVector x)
            where TSimd : ISimd<TVector>
            where TVector : struct =>
            TSimd.Divide(x, TSimd.Add(TSimd.Create(1f), TSimd.Exp(TSimd.Subtract(TSimd.Zero, x))));
    }
}
