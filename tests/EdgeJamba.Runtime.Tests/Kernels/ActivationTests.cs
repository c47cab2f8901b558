using EdgeJamba.Layout;
using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class ActivationTests
{
    /// <summary>
    /// Where the exact result is below ~1e-35 in magnitude (silu(x) for x &lt; −88, gelu(x) for x &lt; −13,
    /// softplus(x) for x &lt; −80) float's exp over- or underflows and the kernels return ±0; this absolute
    /// slack admits that and nothing else.
    /// </summary>
    private const double Tiny = 1e-35;

    /// <summary>Values around the formulas' switch points and overflow limits, beside the random ones.</summary>
    private static readonly float[] s_specials =
    [
        0f, -0f, 1e-7f, -1e-7f, 0.5f, -0.5f, 3f, -3f, 5.6f, -5.6f, 13f, -13f, 19.999f, 20f, 20.0001f, -20f, 30f, -30f,
        80f, -80f, 87f, -87f, 88.8f, -88.8f, 100f, -100f, 1e18f, -1e18f,
    ];

    internal delegate void MapKernel(ReadOnlySpan<float> x, Span<float> destination);

    internal delegate void GatedKernel(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> destination);

    public static TheoryData<Activation> Activations => new(Enum.GetValues<Activation>());

    [Fact]
    public void Silu_EveryLengthAndSpecialValues_MatchOracle() => CheckSilu(SiluCopy);

    [Fact]
    public void Softplus_EveryLengthAndSpecialValues_MatchOracle() => CheckSoftplus(SoftplusCopy);

    [Theory]
    [MemberData(nameof(Activations))]
    public void GatedActivation_EveryLengthAndSpecialValues_MatchOracle(Activation activation) =>
        CheckGated((gate, up, destination) => Kernels.GatedActivation(activation, gate, up, destination), activation);

    [Fact]
    public void Softplus_Threshold_FollowsTorch()
    {
        float[] x = [20f, 20.0001f, -30f, 100f, float.PositiveInfinity, float.NegativeInfinity];
        Kernels.Softplus(x);
        Assert.Equal((float)Oracle.Log1p(Math.Exp(20)), x[0]);  // log1p(exp(20)) = 20 + 2e-9, which rounds to 20f
        Assert.Equal(20.0001f, x[1]);                             // above the threshold: x itself
        Near(9.357622968839299e-14, x[2], 16 * U * 9.4e-14, "softplus(-30)"); // log(1 + exp(-30)) would round to 0
        Assert.Equal(100f, x[3]);
        Assert.Equal(float.PositiveInfinity, x[4]);
        Assert.Equal(0f, x[5]);
    }

    [Fact]
    public void GatedActivation_InPlace_MatchesOutOfPlace()
    {
        var random = new Random(40);
        float[] gate = Uniform(random, 37, 4f), up = Uniform(random, 37);
        var expected = new float[37];
        Kernels.GatedActivation(Activation.Gelu, gate, up, expected);
        Kernels.GatedActivation(Activation.Gelu, gate, up, gate);
        Assert.Equal(expected, gate);
    }

    [Fact]
    public void GatedActivation_BadArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => Kernels.GatedActivation(Activation.Silu, new float[3], new float[4], new float[3]));
        Assert.Throws<ArgumentException>(() => Kernels.GatedActivation(Activation.Silu, new float[3], new float[3], new float[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.GatedActivation((Activation)99, new float[3], new float[3], new float[3]));
    }

    [Fact]
    public void Oracle_Erfc_MatchesTabulatedValues()
    {
        // Values from Abramowitz & Stegun table 7.1 and standard references, to 1e-13 relative.
        double[] z = [0, 1, 3, 5, 10];
        double[] erfc = [1, 1 - 0.8427007929497149, 2.209049699858544e-05, 1.5374597944280349e-12, 2.088487583762545e-45];
        for (int i = 0; i < z.Length; i++)
        {
            Assert.InRange(Oracle.Erfc(z[i]) / erfc[i], 1 - 1e-13, 1 + 1e-13);
        }
    }

    internal static void CheckSilu(MapKernel silu) => CheckMap(silu, Reference(Activation.Silu));

    // exp, log and the log1p quotient: a few roundings, relative.
    internal static void CheckSoftplus(MapKernel softplus) => CheckMap(softplus, (Oracle.Softplus, _ => 16 * U));

    internal static void CheckGated(GatedKernel kernel, Activation activation)
    {
        (Func<double, double> oracle, Func<double, double> relativeBound) = Reference(activation);
        var random = new Random(42 + (int)activation);
        foreach (float[] gate in Inputs(random))
        {
            float[] up = Uniform(random, gate.Length, 2f);
            var destination = new float[gate.Length];
            kernel(gate, up, destination);
            for (int i = 0; i < gate.Length; i++)
            {
                // One more rounding for the product with up.
                double expected = oracle(gate[i]) * up[i];
                double bound = ((relativeBound(gate[i]) + U) * Math.Abs(expected)) + (Tiny * Math.Abs(up[i]));
                Near(expected, destination[i], bound, $"{activation}, n={gate.Length}, gate={gate[i]:R}, up={up[i]:R}");
            }
        }
    }

    /// <summary>The oracle of an activation and the relative error bound of its float32 evaluation.</summary>
    private static (Func<double, double> Oracle, Func<double, double> RelativeBound) Reference(Activation activation) => activation switch
    {
        // exp, add, divide: a few roundings, relative.
        Activation.Silu => (Oracle.Silu, _ => 16 * U),

        // The erfc fit is good to 1.2e-7 relative; exp(P(t) − z²) inherits the rounding of its argument
        // (z² = x²/2 rounded once, then the difference: about 2·z²·u = x²·u), the rest is a few roundings.
        Activation.Gelu => (Oracle.Gelu, x => 1.2e-7 + (((x * x) + 32) * U)),
        Activation.Relu2 => (Oracle.Relu2, _ => U),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    private static void CheckMap(MapKernel kernel, (Func<double, double> Oracle, Func<double, double> RelativeBound) reference)
    {
        (Func<double, double> oracle, Func<double, double> relativeBound) = reference;
        var random = new Random(41);
        foreach (float[] x in Inputs(random))
        {
            var destination = new float[x.Length];
            kernel(x, destination);
            for (int i = 0; i < x.Length; i++)
            {
                double expected = oracle(x[i]);
                Near(expected, destination[i], (relativeBound(x[i]) * Math.Abs(expected)) + Tiny, $"n={x.Length}, x={x[i]:R}");
            }
        }
    }

    /// <summary>Random inputs in [−12, 12) of every length 1..256, then the special values.</summary>
    private static IEnumerable<float[]> Inputs(Random random) =>
        Lengths.Select(n => Uniform(random, n, 12f)).Append(s_specials);

    private static void SiluCopy(ReadOnlySpan<float> x, Span<float> destination)
    {
        x.CopyTo(destination);
        Kernels.Silu(destination);
    }

    private static void SoftplusCopy(ReadOnlySpan<float> x, Span<float> destination)
    {
        x.CopyTo(destination);
        Kernels.Softplus(destination);
    }
}
