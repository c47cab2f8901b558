using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class CausalConv1dStepTests
{
    /// <summary>
    /// Steps through a sequence one token at a time from a zero state and compares every output with
    /// the full causal convolution of the sequence, zero-padded on the left (HF's prefill), then checks
    /// that the state holds the last K inputs.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void CausalConv1dStep_SeveralSteps_MatchesFullConvolution(int width)
    {
        var random = new Random(70 + width);
        foreach (int channels in new[] { 1, 2, 7, 16, 33 })
        {
            foreach (bool withBias in new[] { true, false })
            {
                const int Steps = 9;
                float[] weight = Uniform(random, channels * width);
                float[] bias = withBias ? Uniform(random, channels) : [];
                float[][] inputs = Enumerable.Range(0, Steps).Select(_ => Uniform(random, channels, 2f)).ToArray();
                var state = new float[channels * width];
                var destination = new float[channels];
                for (int t = 0; t < Steps; t++)
                {
                    Kernels.CausalConv1dStep(inputs[t], state, weight, bias, destination);
                    for (int c = 0; c < channels; c++)
                    {
                        double expected = withBias ? bias[c] : 0, magnitude = Math.Abs(expected);
                        for (int k = 0; k < width; k++)
                        {
                            int source = t - width + 1 + k;
                            double term = source < 0 ? 0 : (double)weight[(c * width) + k] * inputs[source][c];
                            expected += term;
                            magnitude += Math.Abs(term);
                        }

                        Near(expected, destination[c], SumBound(width + 1, magnitude), $"K={width}, C={channels}, bias={withBias}, t={t}, c={c}");
                    }
                }

                for (int c = 0; c < channels; c++)
                {
                    for (int k = 0; k < width; k++)
                    {
                        Assert.Equal(inputs[Steps - width + k][c], state[(c * width) + k]);
                    }
                }
            }
        }
    }

    [Fact]
    public void CausalConv1dStep_InPlace_MatchesOutOfPlace()
    {
        var random = new Random(75);
        float[] x = Uniform(random, 10), weight = Uniform(random, 40), bias = Uniform(random, 10);
        float[] state1 = Uniform(random, 40), state2 = (float[])state1.Clone();
        var expected = new float[10];
        Kernels.CausalConv1dStep(x, state1, weight, bias, expected);
        Kernels.CausalConv1dStep(x, state2, weight, bias, x);
        Assert.Equal(expected, x);
        Assert.Equal(state1, state2);
    }

    [Fact]
    public void CausalConv1dStep_BadArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => Kernels.CausalConv1dStep([], [], [], [], []));
        Assert.Throws<ArgumentException>(() => Kernels.CausalConv1dStep(new float[3], new float[10], new float[10], [], new float[3]));
        Assert.Throws<ArgumentException>(() => Kernels.CausalConv1dStep(new float[3], new float[9], new float[12], [], new float[3]));
        Assert.Throws<ArgumentException>(() => Kernels.CausalConv1dStep(new float[3], new float[12], new float[12], new float[2], new float[3]));
        Assert.Throws<ArgumentException>(() => Kernels.CausalConv1dStep(new float[3], new float[12], new float[12], [], new float[4]));
    }
}
