using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class AddTests
{
    [Fact]
    public void Add_EveryLength_AddsIntoDestination()
    {
        var random = new Random(20);
        foreach (int n in Lengths)
        {
            float[] x = Uniform(random, n), destination = Uniform(random, n);
            float[] before = (float[])destination.Clone();
            Kernels.Add(x, destination);
            for (int i = 0; i < n; i++)
            {
                // One float addition: correctly rounded, so within half an ulp of the exact sum.
                double expected = (double)before[i] + x[i];
                Near(expected, destination[i], U * Math.Abs(expected), $"n={n}, i={i}");
            }
        }
    }

    [Fact]
    public void AddScaled_EveryLength_AddsScaledIntoDestination()
    {
        var random = new Random(21);
        foreach (int n in Lengths)
        {
            float[] x = Uniform(random, n), destination = Uniform(random, n);
            float[] before = (float[])destination.Clone();
            float scale = (float)random.NextDouble();
            Kernels.AddScaled(x, scale, destination);
            for (int i = 0; i < n; i++)
            {
                // A product and a sum (fused or not): at most two roundings of the terms' magnitudes.
                double product = (double)scale * x[i];
                Near(before[i] + product, destination[i], 2 * U * (Math.Abs(before[i]) + Math.Abs(product)), $"n={n}, i={i}");
            }
        }
    }

    [Fact]
    public void AddScaled_LengthsDiffer_Throws() =>
        Assert.Throws<ArgumentException>(() => Kernels.AddScaled(new float[3], 2f, new float[4]));

    [Fact]
    public void Add_LengthsDiffer_Throws() =>
        Assert.Throws<ArgumentException>(() => Kernels.Add(new float[3], new float[4]));
}
