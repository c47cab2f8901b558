using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class DotTests
{
    internal delegate float DotKernel(ReadOnlySpan<float> x, ReadOnlySpan<float> y);

    [Fact]
    public void Dot_EveryLength_MatchesOracle() => Check(Kernels.Dot);

    [Fact]
    public void Dot_Empty_IsZero() => Assert.Equal(0f, Kernels.Dot([], []));

    [Fact]
    public void Dot_LengthsDiffer_Throws() =>
        Assert.Throws<ArgumentException>(() => Kernels.Dot(new float[3], new float[4]));

    internal static void Check(DotKernel dot)
    {
        var random = new Random(1);
        foreach (int n in Lengths.Concat([1000, 4099]))
        {
            float[] x = Uniform(random, n), y = Uniform(random, n);
            (double expected, double magnitude) = Oracle.Dot(x, y);
            Near(expected, dot(x, y), SumBound(n, magnitude), $"n={n}");
        }
    }
}
