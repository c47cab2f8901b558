using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class AttendTests
{
    internal delegate void AttendKernel(
        ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int length, int stride,
        float scale, Span<float> scores, Span<float> destination);

    [Fact]
    public void Attend_Lengths1To70_MatchesOracle() => Check(Kernels.Attend);

    [Fact]
    public void Attend_SinglePosition_ReturnsItsValue()
    {
        float[] values = [1f, -2f, 3f, 9f];
        var destination = new float[3];
        var scores = new float[1];
        Kernels.Attend([0.3f, 0.1f, 2f], [5f, 6f, 7f, 8f], values, 1, 4, 0.5f, scores, destination);
        Assert.Equal(1f, scores[0]);
        Assert.Equal(values[..3], destination);
    }

    /// <summary>
    /// However positions are grouped (eight scores at a time, a small head in registers) and however the weighted sum runs
    /// over the head, the result has the bits of the plain sequence: each score <c>scale·Dot(query, key)</c>,
    /// <see cref="Kernels.Softmax"/>, then every output element two chains of fused multiply-adds, over the even and the
    /// odd positions in order, added.
    /// </summary>
    [SkippableFact]
    public void Attend_has_the_bits_of_one_position_at_a_time()
    {
        Skip.IfNot(System.Runtime.Intrinsics.X86.Fma.IsSupported, "the plain sequence below uses fused multiply-adds, as the kernel does on this hardware");
        var random = new Random(61);
        foreach (int headDim in new[] { 3, 8, 16, 24, 32, 48, 64, 67, 128 })
        {
            int stride = 2 * headDim;
            foreach (int length in new[] { 1, 7, 8, 9, 16, 23, 40 })
            {
                float[] query = Uniform(random, headDim, 2f), keys = Uniform(random, length * stride, 2f), values = Uniform(random, length * stride);
                float scale = 1 / MathF.Sqrt(headDim);
                float[] scores = new float[length], destination = new float[headDim];
                Kernels.Attend(query, keys, values, length, stride, scale, scores, destination);

                var expectedScores = new float[length];
                for (int t = 0; t < length; t++)
                {
                    expectedScores[t] = scale * Kernels.Dot(query, keys.AsSpan(t * stride, headDim));
                }
                Kernels.Softmax(expectedScores);
                Assert.True(expectedScores.AsSpan().SequenceEqual(scores), $"head {headDim}, {length} positions: attention weights");
                for (int d = 0; d < headDim; d++)
                {
                    // Two chains of multiply-adds, over the even and over the odd positions, then their sum.
                    float even = 0, odd = 0;
                    for (int t = 0; t < length; t++)
                    {
                        if (t % 2 == 0)
                        {
                            even = MathF.FusedMultiplyAdd(values[(t * stride) + d], expectedScores[t], even);
                        }
                        else
                        {
                            odd = MathF.FusedMultiplyAdd(values[(t * stride) + d], expectedScores[t], odd);
                        }
                    }
                    float sum = even + odd;
                    Assert.True(BitConverter.SingleToInt32Bits(sum) == BitConverter.SingleToInt32Bits(destination[d]),
                        $"head {headDim}, {length} positions, element {d}: {destination[d]} vs {sum}");
                }
            }
        }
    }

    [Fact]
    public void Attend_BadArguments_Throw()
    {
        var q = new float[4];
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.Attend(q, new float[8], new float[8], 0, 4, 1f, new float[2], new float[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.Attend(q, new float[8], new float[8], 2, 3, 1f, new float[2], new float[4]));
        Assert.Throws<ArgumentException>(() => Kernels.Attend(q, new float[7], new float[8], 2, 4, 1f, new float[2], new float[4]));
        Assert.Throws<ArgumentException>(() => Kernels.Attend(q, new float[8], new float[7], 2, 4, 1f, new float[2], new float[4]));
        Assert.Throws<ArgumentException>(() => Kernels.Attend(q, new float[8], new float[8], 2, 4, 1f, new float[1], new float[4]));
        Assert.Throws<ArgumentException>(() => Kernels.Attend(q, new float[8], new float[8], 2, 4, 1f, new float[2], new float[5]));
    }

    /// <summary>
    /// Cache lengths 1..70 for head sizes around the vector widths, in a cache of three interleaved heads
    /// (stride = 3·headDim, this head being the middle one).
    /// </summary>
    internal static void Check(AttendKernel attend)
    {
        var random = new Random(60);
        foreach (int headDim in new[] { 1, 3, 8, 16, 20, 64, 67 })
        {
            int stride = 3 * headDim;
            float scale = 1 / MathF.Sqrt(headDim);
            for (int length = 1; length <= 70; length++)
            {
                float[] query = Uniform(random, headDim, 2f);
                float[] keys = Uniform(random, length * stride, 2f), values = Uniform(random, length * stride);
                ReadOnlySpan<float> headKeys = keys.AsSpan(headDim), headValues = values.AsSpan(headDim);
                var scores = new float[length + 3];
                var destination = new float[headDim];
                attend(query, headKeys, headValues, length, stride, scale, scores, destination);

                var weights = new double[length];
                double scoreError = 0;
                for (int t = 0; t < length; t++)
                {
                    (double dot, double magnitude) = Oracle.Dot(query, headKeys.Slice(t * stride, headDim));
                    weights[t] = scale * dot;
                    scoreError = Math.Max(scoreError, scale * SumBound(headDim, magnitude));
                }

                double maxLogit = weights.Max(), spread = maxLogit - weights.Min();
                double total = weights.Sum(logit => Math.Exp(logit - maxLogit));
                for (int t = 0; t < length; t++)
                {
                    weights[t] = Math.Exp(weights[t] - maxLogit) / total;
                }

                // A weight's relative error: twice the worst score error (its own and the max's) plus the
                // float softmax's (|s − max| + length + 8)·u; the weighted sum of values adds γ_length.
                double relative = (2 * scoreError) + ((spread + (2 * length) + 16) * U);
                for (int d = 0; d < headDim; d++)
                {
                    double expected = 0, magnitude = 0;
                    for (int t = 0; t < length; t++)
                    {
                        double v = headValues[(t * stride) + d];
                        expected += weights[t] * v;
                        magnitude += weights[t] * Math.Abs(v);
                    }

                    Near(expected, destination[d], (relative * magnitude) + 1e-30, $"headDim {headDim}, length {length}, d {d}");
                }

                for (int t = 0; t < length; t++)
                {
                    Near(weights[t], scores[t], (relative * weights[t]) + 1e-30, $"headDim {headDim}, length {length}, weight {t}");
                }
            }
        }
    }
}
