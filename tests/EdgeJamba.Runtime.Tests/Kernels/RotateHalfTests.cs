using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class RotateHalfTests
{
    internal delegate void RotateHalfKernel(Span<float> x, int heads, int headDim, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin);

    [Fact]
    public void RotateHalf_ManyShapes_MatchesOracle() => Check(Kernels.RotateHalf);

    [Fact]
    public void RotateHalf_LeavesElementsAfterTheHeadsAlone()
    {
        float[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        Kernels.RotateHalf(x, 2, 4, [0f, 1f], [1f, 0f]);
        // head 0: i=0 rotates by 90° (a=1, b=3 -> -3, 1), i=1 by 0° (2, 4 unchanged).
        Assert.Equal([-3f, 2, 1, 4, -7, 6, 5, 8, 9], x);
    }

    [Fact]
    public void RotateHalf_BadArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => Kernels.RotateHalf(new float[8], 2, 4, new float[3], new float[3]));
        Assert.Throws<ArgumentException>(() => Kernels.RotateHalf(new float[8], 2, 4, new float[2], new float[1]));
        Assert.Throws<ArgumentException>(() => Kernels.RotateHalf(new float[7], 2, 4, new float[2], new float[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.RotateHalf(new float[8], -1, 4, new float[2], new float[2]));
    }

    /// <summary>Rotary halves 0..40 (every vector tail), full and partial rotary dimensions, 1..3 heads.</summary>
    internal static void Check(RotateHalfKernel rotateHalf)
    {
        var random = new Random(50);
        for (int half = 0; half <= 40; half++)
        {
            foreach (int headDim in new[] { 2 * half, (2 * half) + 1, (2 * half) + 6 }.Where(d => d > 0))
            {
                for (int heads = 1; heads <= 3; heads++)
                {
                    float[] x = Uniform(random, (heads * headDim) + 2, 3f);
                    double[] angles = Enumerable.Range(0, half).Select(_ => random.NextDouble() * 20).ToArray();
                    float[] cos = angles.Select(a => (float)Math.Cos(a)).ToArray(), sin = angles.Select(a => (float)Math.Sin(a)).ToArray();
                    float[] before = (float[])x.Clone();
                    rotateHalf(x, heads, headDim, cos, sin);
                    for (int h = 0; h < heads; h++)
                    {
                        int o = h * headDim;
                        for (int i = 0; i < half; i++)
                        {
                            double a = before[o + i], b = before[o + i + half];
                            // a·cos − b·sin: two products and a difference, at most 2u of |a·cos| + |b·sin|.
                            double magnitude = Math.Abs(a * cos[i]) + Math.Abs(b * sin[i]);
                            string what = $"half {half}, headDim {headDim}, head {h}, i {i}";
                            Near((a * cos[i]) - (b * sin[i]), x[o + i], (3 * U * magnitude) + 1e-30, what);
                            magnitude = Math.Abs(b * cos[i]) + Math.Abs(a * sin[i]);
                            Near((b * cos[i]) + (a * sin[i]), x[o + i + half], (3 * U * magnitude) + 1e-30, what);
                        }

                        for (int i = 2 * half; i < headDim; i++)
                        {
                            Assert.Equal(before[o + i], x[o + i]);
                        }
                    }

                    Assert.Equal(before[^2..], x[^2..]);
                }
            }
        }
    }
}
