using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class RmsNormTests
{
    [Fact]
    public void RmsNorm_EveryLength_MatchesOracle()
    {
        var random = new Random(10);
        foreach (int n in Lengths.Concat([1000, 4096]))
        {
            float[] x = Uniform(random, n, 3f), weight = Uniform(random, n, 2f);
            const float eps = 1e-5f;
            var destination = new float[n];
            Kernels.RmsNorm(x, weight, eps, destination);

            double meanSquare = x.Sum(v => (double)v * v) / n;
            double r = 1 / Math.Sqrt(meanSquare + eps);
            for (int i = 0; i < n; i++)
            {
                double expected = weight[i] * (x[i] * r);
                // Σx² carries γ_n relative error; half of it reaches r through the square root, and the
                // remaining divide, add, sqrt, reciprocal and two products add a few roundings.
                Near(expected, destination[i], (n + 8) * U * Math.Abs(expected), $"n={n}, i={i}");
            }
        }
    }

    [Fact]
    public void RmsNorm_InPlace_MatchesOutOfPlace()
    {
        var random = new Random(11);
        float[] x = Uniform(random, 77), weight = Uniform(random, 77);
        var expected = new float[77];
        Kernels.RmsNorm(x, weight, 1e-6f, expected);
        Kernels.RmsNorm(x, weight, 1e-6f, x);
        Assert.Equal(expected, x);
    }

    [Fact]
    public void RmsNorm_ZeroInput_GivesZeroThroughEps()
    {
        var destination = new float[4];
        Kernels.RmsNorm(new float[4], [1, 2, 3, 4], 1e-5f, destination);
        Assert.All(destination, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void RmsNorm_WrongLengths_Throw()
    {
        Assert.Throws<ArgumentException>(() => Kernels.RmsNorm(new float[3], new float[2], 1e-5f, new float[3]));
        Assert.Throws<ArgumentException>(() => Kernels.RmsNorm(new float[3], new float[3], 1e-5f, new float[4]));
    }
}
