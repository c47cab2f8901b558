using EdgeJamba.Layout;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// The gated feed-forward's element-wise step: <c>destination[i] = act(gate[i])·up[i]</c>, where
    /// <c>act</c> is <see cref="Activation.Silu"/> (<c>x·sigmoid(x)</c>), <see cref="Activation.Gelu"/>
    /// (exact, erf-based: <c>x·Φ(x) = ½·x·(1 + erf(x/√2))</c>) or <see cref="Activation.Relu2"/>
    /// (<c>max(x, 0)²</c>).
    /// </summary>
    /// <param name="activation">The activation applied to <paramref name="gate"/>.</param>
    /// <param name="gate">The gate projection.</param>
    /// <param name="up">The up projection, same length.</param>
    /// <param name="destination">The output, same length; may be <paramref name="gate"/> or <paramref name="up"/> itself.</param>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="activation"/> is not a defined value.</exception>
    public static void GatedActivation(Activation activation, ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> destination)
    {
        RequireLength(up, gate.Length);
        RequireLength(destination, gate.Length);
        switch (activation)
        {
            case Activation.Silu:
                MapGated<SiluOperator>(gate, up, destination);
                break;
            case Activation.Gelu:
                MapGated<GeluOperator>(gate, up, destination);
                break;
            case Activation.Relu2:
                MapGated<Relu2Operator>(gate, up, destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }
    }

    /// <summary>
    /// Exact GELU, <c>x·Φ(x) = ½·x·erfc(−x/√2)</c>. With <c>z = |x|/√2</c> and <c>t = 1/(1 + z/2)</c>,
    /// <c>erfc(z) ≈ t·exp(−z² + P(t))</c> with the Chebyshev-fitted polynomial <c>P</c> of Press et al.,
    /// Numerical Recipes (2nd ed., §6.2, <c>erfcc</c>), fractional error below 1.2e-7 for all z ≥ 0;
    /// <c>erfc(−z) = 2 − erfc(z)</c>. Working with erfc keeps full relative precision for negative x,
    /// where <c>1 + erf</c> would cancel. The relative error in float32 is about <c>1.2e-7 + x²·2^-24</c>,
    /// the second term from rounding the exponent <c>P(t) − x²/2</c>.
    /// </summary>
    internal readonly struct GeluOperator : IUnaryOperator
    {
        public static TVector Invoke<TSimd, TVector>(TVector x)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            TVector z = TSimd.Multiply(TSimd.Abs(x), TSimd.Create(0.707106781f));
            TVector t = TSimd.Divide(TSimd.Create(1f), TSimd.MultiplyAdd(z, TSimd.Create(0.5f), TSimd.Create(1f)));
            TVector p = TSimd.Create(0.17087277f);
            p = TSimd.MultiplyAdd(p, t, TSimd.Create(-0.82215223f));
            p = TSimd.MultiplyAdd(p, t, TSimd.Create(1.48851587f));
            p = TSimd.MultiplyAdd(p, t, TSimd.Create(-1.13520398f));
            p = TSimd.MultiplyAdd(p, t, TSimd.Create(0.27886807f));
            p = TSimd.MultiplyAdd(p, t, TSimd.Create(-0.18628806f));
            p = TSimd.MultiplyAdd(p, t, TSimd.Create(0.09678418f));
            p = TSimd.MultiplyAdd(p, t, TSimd.Create(0.37409196f));
            p = TSimd.MultiplyAdd(p, t, TSimd.Create(1.00002368f));
            p = TSimd.MultiplyAdd(p, t, TSimd.Create(-1.26551223f));
            TVector zSquared = TSimd.Multiply(TSimd.Multiply(x, x), TSimd.Create(0.5f)); // one rounding, unlike z·z
            TVector erfcZ = TSimd.Multiply(t, TSimd.Exp(TSimd.Subtract(p, zSquared)));
            TVector erfcMinusX = TSimd.ConditionalSelect(
                TSimd.CompareGreaterThan(TSimd.Zero, x),
                erfcZ,
                TSimd.Subtract(TSimd.Create(2f), erfcZ));
            return TSimd.Multiply(TSimd.Multiply(TSimd.Create(0.5f), x), erfcMinusX);
        }
    }

    /// <summary>Squared ReLU, <c>max(x, 0)²</c> (HF <c>ACT2FN["relu2"]</c>, BitNet).</summary>
    internal readonly struct Relu2Operator : IUnaryOperator
    {
        public static TVector Invoke<TSimd, TVector>(TVector x)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            TVector positive = TSimd.Max(x, TSimd.Zero);
            return TSimd.Multiply(positive, positive);
        }
    }
}
