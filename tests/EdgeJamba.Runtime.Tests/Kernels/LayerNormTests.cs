using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class LayerNormTests
{
    [Fact]
    public void LayerNorm_EveryLength_MatchesOracle()
    {
        var random = new Random(20);
        foreach (int n in Lengths.Concat([1000, 4096]))
        {
            // An offset mean, so that a kernel forgetting to centre (or centring twice) is far off.
            float[] x = Uniform(random, n, 3f).Select(v => v + 1.5f).ToArray(), weight = Uniform(random, n, 2f);
            const float eps = 1e-5f;
            var destination = new float[n];
            Kernels.LayerNorm(x, weight, eps, destination);

            double mean = x.Sum(v => (double)v) / n;
            double variance = x.Sum(v => (v - mean) * (v - mean)) / n;
            double r = 1 / Math.Sqrt(variance + eps);
            double meanAbs = x.Sum(v => Math.Abs((double)v)) / n;
            for (int i = 0; i < n; i++)
            {
                double expected = weight[i] * ((x[i] - mean) * r);
                // The centred value carries the rounding of the mean (γ_n of the mean magnitude) and of the subtraction;
                // the variance γ_n relative error reaches r halved; the products a few roundings more.
                double centredError = (n + 4) * U * (meanAbs + Math.Abs(x[i]));
                double bound = (Math.Abs(weight[i]) * r * centredError) + ((n + 8) * U * Math.Abs(expected));
                Near(expected, destination[i], bound, $"n={n}, i={i}");
            }
        }
    }

    [Fact]
    public void LayerNorm_InPlace_MatchesOutOfPlace()
    {
        var random = new Random(21);
        float[] x = Uniform(random, 77), weight = Uniform(random, 77);
        var expected = new float[77];
        Kernels.LayerNorm(x, weight, 1e-6f, expected);
        Kernels.LayerNorm(x, weight, 1e-6f, x);
        Assert.Equal(expected, x);
    }

    [Fact]
    public void LayerNorm_ConstantInput_GivesZeroThroughEps()
    {
        var destination = new float[4];
        Kernels.LayerNorm([2.5f, 2.5f, 2.5f, 2.5f], [1, 2, 3, 4], 1e-5f, destination);
        Assert.All(destination, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void LayerNorm_WrongLengths_Throw()
    {
        Assert.Throws<ArgumentException>(() => Kernels.LayerNorm(new float[3], new float[2], 1e-5f, new float[3]));
        Assert.Throws<ArgumentException>(() => Kernels.LayerNorm(new float[3], new float[3], 1e-5f, new float[4]));
    }
}
