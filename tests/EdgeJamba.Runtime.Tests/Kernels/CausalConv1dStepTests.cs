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

    /// <summary>
    /// K = 4 sums each channel's products in the order its documentation gives, <c>((k0·s0 + k1·s1) + k2·s2) + k3·s3</c>, then
    /// adds the bias: every output has the bits of that sum written out in single floats, and the state the last four inputs.
    /// </summary>
    [Fact]
    public void CausalConv1dStep_Width4_HasTheBitsOfTheOrderedSum()
    {
        var random = new Random(76);
        foreach (int channels in new[] { 1, 3, 8, 37 })
        {
            foreach (bool withBias in new[] { true, false })
            {
                float[] weight = Uniform(random, channels * 4), bias = withBias ? Uniform(random, channels) : [];
                float[] state = Uniform(random, channels * 4), x = Uniform(random, channels, 2f), destination = new float[channels];
                float[] before = (float[])state.Clone();
                Kernels.CausalConv1dStep(x, state, weight, bias, destination);
                for (int c = 0; c < channels; c++)
                {
                    float s0 = before[(4 * c) + 1], s1 = before[(4 * c) + 2], s2 = before[(4 * c) + 3], s3 = x[c];
                    float p0 = weight[4 * c] * s0, p1 = weight[(4 * c) + 1] * s1, p2 = weight[(4 * c) + 2] * s2, p3 = weight[(4 * c) + 3] * s3;
                    float sum = ((p0 + p1) + p2) + p3;
                    float expected = withBias ? sum + bias[c] : sum;
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(destination[c]),
                        $"C={channels}, bias={withBias}, c={c}: {destination[c]} vs {expected}");
                    Assert.Equal([s0, s1, s2, s3], state.AsSpan(4 * c, 4).ToArray());
                }
            }
        }
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
