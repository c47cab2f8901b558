using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class TopKTests
{
    [Fact]
    public void TopK_RandomValues_MatchesStableSort()
    {
        var random = new Random(90);
        foreach (int n in Lengths)
        {
            // Few distinct values, so ties are common (+ 0f turns −0 into +0, which IEEE ranks equal but IndexOfMax does not).
            float[] x = Uniform(random, n).Select(v => MathF.Round(v * 4) + 0f).ToArray();
            int[] sorted = Enumerable.Range(0, n).OrderByDescending(i => x[i]).ThenBy(i => i).ToArray();
            foreach (int k in new[] { 0, 1, 2, 3, 8, n / 2, n }.Where(k => k <= n).Distinct())
            {
                var indices = new int[k];
                Kernels.TopK(x, indices);
                Assert.Equal(sorted[..k], indices);
            }
        }
    }

    [Fact]
    public void TopK_Ties_LowerIndexFirst()
    {
        float[] x = [1f, 3f, 3f, 2f, 3f];
        var indices = new int[4];
        Kernels.TopK(x, indices);
        Assert.Equal([1, 2, 4, 3], indices);
    }

    [Fact]
    public void TopK_NegativeInfinityAndEqualMaxima()
    {
        float[] x = [float.NegativeInfinity, -1f, float.NegativeInfinity, 5f, 5f];
        var indices = new int[5];
        Kernels.TopK(x, indices);
        Assert.Equal([3, 4, 1, 0, 2], indices);
    }

    [Fact]
    public void TopK_KLargerThanInput_Throws() => Assert.Throws<ArgumentException>(() => Kernels.TopK(new float[2], new int[3]));

    [Fact]
    public void ArgMax_RandomValues_FirstIndexOfMaximum()
    {
        var random = new Random(91);
        foreach (int n in Lengths.Concat([32000]))
        {
            float[] x = Uniform(random, n).Select(v => MathF.Round(v * 8) + 0f).ToArray();
            float max = x.Max();
            Assert.Equal(Array.IndexOf(x, max), Kernels.ArgMax(x));
        }
    }

    [Fact]
    public void ArgMax_Ties_FirstIndex() => Assert.Equal(1, Kernels.ArgMax([0f, 2f, 1f, 2f, 2f]));

    [Fact]
    public void ArgMax_Empty_Throws() => Assert.Throws<ArgumentException>(() => Kernels.ArgMax([]));
}
