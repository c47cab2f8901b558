using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

/// <summary>The small element-wise kernels of the xLSTM layers: soft cap, sigmoid gate, product accumulation.</summary>
public class XlstmElementwiseTests
{
    [Theory]
    [InlineData(15f)]
    [InlineData(30f)]
    [InlineData(0.5f)]
    public void SoftCap_EveryLength_MatchesOracle(float cap)
    {
        var random = new Random(30);
        foreach (int n in Lengths)
        {
            // Values well inside and well beyond the cap.
            float[] x = Uniform(random, n, 4 * cap), original = (float[])x.Clone();
            Kernels.SoftCap(x, cap);
            for (int i = 0; i < n; i++)
            {
                double expected = cap * Math.Tanh(original[i] / (double)cap);
                // The division, tanh (an ulp or two) and the product.
                Near(expected, x[i], (4 * U * Math.Abs(expected)) + 1e-30, $"cap={cap}, n={n}, i={i}");
                Assert.True(Math.Abs(x[i]) <= cap, "a soft-capped value stays within the cap");
            }
        }
    }

    [Fact]
    public void SoftCap_NonPositiveCap_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.SoftCap(new float[3], 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.SoftCap(new float[3], float.NaN));
    }

    [Fact]
    public void SigmoidGate_EveryLength_MatchesOracle()
    {
        var random = new Random(31);
        foreach (int n in Lengths)
        {
            float[] gate = Uniform(random, n, 20f), x = Uniform(random, n, 3f);
            var destination = new float[n];
            Kernels.SigmoidGate(gate, x, destination);
            for (int i = 0; i < n; i++)
            {
                double expected = x[i] / (1 + Math.Exp(-(double)gate[i]));
                Near(expected, destination[i], (8 * U * Math.Abs(expected)) + 1e-30, $"n={n}, i={i}");
            }
        }
    }

    [Fact]
    public void SigmoidGate_InPlace_MatchesOutOfPlace()
    {
        var random = new Random(32);
        float[] gate = Uniform(random, 45, 5f), x = Uniform(random, 45);
        var expected = new float[45];
        Kernels.SigmoidGate(gate, x, expected);
        Kernels.SigmoidGate(gate, x, x);
        Assert.Equal(expected, x);
    }

    [Fact]
    public void AddProduct_EveryLength_MatchesOracle()
    {
        var random = new Random(33);
        foreach (int n in Lengths)
        {
            float[] x = Uniform(random, n, 2f), y = Uniform(random, n, 2f), destination = Uniform(random, n), original = (float[])destination.Clone();
            Kernels.AddProduct(x, y, destination);
            for (int i = 0; i < n; i++)
            {
                double expected = original[i] + ((double)x[i] * y[i]);
                // Fused: one rounding; unfused: two.
                Near(expected, destination[i], 2 * U * (Math.Abs(original[i]) + Math.Abs((double)x[i] * y[i])) + 1e-30, $"n={n}, i={i}");
            }
        }
    }

    [Fact]
    public void Elementwise_WrongLengths_Throw()
    {
        Assert.Throws<ArgumentException>(() => Kernels.SigmoidGate(new float[3], new float[2], new float[3]));
        Assert.Throws<ArgumentException>(() => Kernels.SigmoidGate(new float[3], new float[3], new float[2]));
        Assert.Throws<ArgumentException>(() => Kernels.AddProduct(new float[3], new float[2], new float[3]));
        Assert.Throws<ArgumentException>(() => Kernels.AddProduct(new float[3], new float[3], new float[4]));
    }
}
