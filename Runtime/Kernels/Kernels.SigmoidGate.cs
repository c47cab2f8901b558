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

    /// <summary><c>sigmoid(x) = 1 / (1 + exp(−x))</c>; tends to 1 for large x and to +0 for very negative x.</summary>
    internal readonly struct SigmoidOperator : IUnaryOperator
    {
        public static TVector Invoke<TSimd, TVector>(TVector x)
            where TSimd : ISimd<TVector>
            where TVector : struct =>
            TSimd.Divide(TSimd.Create(1f), TSimd.Add(TSimd.Create(1f), TSimd.Exp(TSimd.Subtract(TSimd.Zero, x))));
    }
}
