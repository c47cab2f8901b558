using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class SoftmaxTests
{
    [Fact]
    public void Softmax_EveryLength_MatchesOracle()
    {
        var random = new Random(30);
        foreach (int n in Lengths.Concat([5000]))
        {
            float[] x = Uniform(random, n, 10f);
            double[] expected = Oracle.Softmax(x);
            float max = x.Max();
            Kernels.Softmax(x);
            for (int i = 0; i < n; i++)
            {
                // exp(x − max) inherits the rounding of x − max (relative |x − max|·u), the sum of n
                // positive terms γ_n, plus a few roundings for exp and the division.
                double bound = (Math.Abs(x[i] - max) + n + 8) * U * expected[i];
                Near(expected[i], x[i], bound + 1e-30, $"n={n}, i={i}");
            }
        }
    }

    [Fact]
    public void Softmax_NegativeInfinity_BecomesZero()
    {
        float[] x = [0f, float.NegativeInfinity, 1f, float.NegativeInfinity];
        Kernels.Softmax(x);
        double e = Math.E;
        Near(1 / (1 + e), x[0], 4 * U, "x[0]");
        Assert.Equal(0f, x[1]);
        Near(e / (1 + e), x[2], 4 * U, "x[2]");
        Assert.Equal(0f, x[3]);
    }

    [Fact]
    public void Softmax_LargeLogits_DoNotOverflow()
    {
        float[] x = [1000f, 1000f, 999f];
        Kernels.Softmax(x);
        double e = Math.E;
        Near(e / (1 + (2 * e)), x[0], 8 * U, "x[0]");
        Near(1 / (1 + (2 * e)), x[2], 8 * U, "x[2]");
    }

    [Theory]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(40)]
    public void Softmax_AnyNaN_GivesAllNaN(int n)
    {
        foreach (int at in new[] { 0, n / 2, n - 1 })
        {
            float[] x = Enumerable.Range(0, n).Select(i => (float)i).ToArray();
            x[at] = float.NaN;
            Kernels.Softmax(x);
            Assert.All(x, value => Assert.True(float.IsNaN(value), $"n={n}, NaN at {at}: got {value}"));
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(16)]
    public void Softmax_AllNegativeInfinity_GivesAllNaN(int n)
    {
        float[] x = Enumerable.Repeat(float.NegativeInfinity, n).ToArray();
        Kernels.Softmax(x);
        Assert.All(x, value => Assert.True(float.IsNaN(value)));
    }

    [Fact]
    public void Softmax_Empty_DoesNothing() => Kernels.Softmax([]);
}
