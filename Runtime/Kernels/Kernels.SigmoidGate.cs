namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>Sigmoid gating: <c>destination[i] = sigmoid(gate[i])·x[i]</c>, <c>sigmoid(g) = 1 / (1 + exp(−g))</c> (the mLSTM output gate).</summary>
    /// <param name="gate">The gate pre-activations.</param>
    /// <param name="x">The gated values, same length.</param>
    /// <param name="destination">The output, same length; may be <paramref name="gate"/> or <paramref name="x"/> itself.</param>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static void SigmoidGate(ReadOnlySpan<float> gate, ReadOnlySpan<float> x, Span<float> destination)
    {
        RequireLength(x, gate.Length);
        RequireLength(destination, gate.Length);
        MapGated<SigmoidOperator>(gate, x, destination);
    }

    /// <summary>
    /// <c>sigmoid(x) = 1 / (1 + exp(−x))</c>, computed from <c>t = exp(−|x|)</c> as <c>1 / (1 + t)</c> for <c>x ≥ 0</c> and
    /// <c>t / (1 + t)</c> below, so the exponential never exceeds 1 and is <see cref="ISimd{TVector}.ExpNonPositive"/>; tends
    /// to 1 for large x and to +0 for very negative x.
    /// </summary>
    internal readonly struct SigmoidOperator : IUnaryOperator
    {
        public static TVector Invoke<TSimd, TVector>(TVector x)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            TVector one = TSimd.Create(1f);
            TVector t = TSimd.ExpNonPositive(TSimd.Subtract(TSimd.Zero, TSimd.Abs(x)));
            return TSimd.Divide(TSimd.ConditionalSelect(TSimd.CompareGreaterThan(TSimd.Zero, x), t, one), TSimd.Add(one, t));
        }
    }
}
