using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class MLstmStepTests
{
    /// <summary>
    /// Key sizes 1..24 and value sizes 1..40 (every vector tail), eight steps from the zero state, the query scaled (HF)
    /// or the key (NX-AI), against the stabilized recurrence in double. Gates span both regimes of the stabilizer (the
    /// input gate winning the max and the decayed m winning it).
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MLstmStep_SeveralSteps_MatchesRecurrence(bool scaleQuery)
    {
        var random = new Random(scaleQuery ? 40 : 41);
        for (int keys = 1; keys <= 24; keys += 1 + (keys / 6))
        {
            for (int values = 1; values <= 40; values++)
            {
                float scale = 1f / MathF.Sqrt(keys);
                float queryScale = scaleQuery ? scale : 1f, keyScale = scaleQuery ? 1f : scale;
                const float Eps = 1e-6f;
                var c = new float[keys * values];
                var n = new float[keys];
                float m = 0f;
                var oc = new double[keys * values];
                var absC = new double[keys * values];
                var on = new double[keys];
                var absN = new double[keys];
                double om = 0;
                var destination = new float[values];
                for (int t = 0; t < 8; t++)
                {
                    float[] q = Uniform(random, keys, 2f), k = Uniform(random, keys, 2f), v = Uniform(random, values, 2f);
                    float inputGate = (float)((random.NextDouble() * 12) - 6), forgetGate = (float)((random.NextDouble() * 10) - 3);
                    Kernels.MLstmStep(q, k, v, inputGate, forgetGate, queryScale, keyScale, Eps, c, n, ref m, destination);

                    double logForget = -Math.Log(1 + Math.Exp(-(double)forgetGate));
                    double mNew = Math.Max(logForget + om, inputGate);
                    double fa = Math.Exp(logForget + om - mNew), ia = Math.Exp(inputGate - mNew);
                    double qn = 0, qnMagnitude = 0;
                    for (int r = 0; r < keys; r++)
                    {
                        double kr = (double)keyScale * k[r];
                        on[r] = (fa * on[r]) + (ia * kr);
                        absN[r] = (fa * absN[r]) + (ia * Math.Abs(kr));
                        for (int j = 0; j < values; j++)
                        {
                            oc[(r * values) + j] = (fa * oc[(r * values) + j]) + (ia * kr * v[j]);
                            absC[(r * values) + j] = (fa * absC[(r * values) + j]) + Math.Abs(ia * kr * v[j]);
                        }

                        qn += (double)queryScale * q[r] * on[r];
                        qnMagnitude += Math.Abs((double)queryScale * q[r]) * absN[r];
                    }

                    double denominator = Math.Max(Math.Abs(qn), Math.Exp(-mNew)) + Eps;
                    om = mNew;
                    Assert.Equal((float)mNew, m, (float)(1e-6 * Math.Max(1, Math.Abs(mNew))));
                    // Each step adds a few roundings (exp, log, the products) relative to the magnitudes of the state;
                    // the sums over keys γ_K; the denominator carries its own γ_K over the |q|·|n| magnitude.
                    double relative = ((t + 1) * 16 + keys + 8) * U;
                    for (int j = 0; j < values; j++)
                    {
                        double numerator = 0, magnitude = 0;
                        for (int r = 0; r < keys; r++)
                        {
                            numerator += (double)queryScale * q[r] * oc[(r * values) + j];
                            magnitude += Math.Abs((double)queryScale * q[r]) * absC[(r * values) + j];
                        }

                        double expected = numerator / denominator;
                        double bound = relative * ((magnitude / denominator) + (Math.Abs(expected) * (qnMagnitude + Eps) / denominator)) + 1e-30;
                        Near(expected, destination[j], bound, $"K={keys}, V={values}, t={t}, j={j}");
                    }
                }
            }
        }
    }

    [Fact]
    public void MLstmStep_FirstStepFromZeroState_IsNormalizedValue()
    {
        // From the zero state with m = 0: m' = max(logsigmoid(f), i); with i large, ia = 1 and h = (q·k) v / max(|q·k|, e^-i).
        float[] q = [1f, 2f], k = [0.5f, 0.25f], v = [3f, -1f, 2f];
        var c = new float[6];
        var n = new float[2];
        float m = 0f;
        var destination = new float[3];
        Kernels.MLstmStep(q, k, v, 5f, 2f, 1f, 1f, 0f, c, n, ref m, destination);
        Assert.Equal(5f, m);
        Assert.Equal(v, destination);
    }

    [Fact]
    public void MLstmStep_BadArguments_Throw()
    {
        float m = 0;
        Assert.Throws<ArgumentException>(() => Kernels.MLstmStep(new float[2], new float[3], new float[4], 0, 0, 1, 1, 1e-6f, new float[12], new float[3], ref m, new float[4]));
        Assert.Throws<ArgumentException>(() => Kernels.MLstmStep(new float[3], new float[3], new float[4], 0, 0, 1, 1, 1e-6f, new float[11], new float[3], ref m, new float[4]));
        Assert.Throws<ArgumentException>(() => Kernels.MLstmStep(new float[3], new float[3], new float[4], 0, 0, 1, 1, 1e-6f, new float[12], new float[2], ref m, new float[4]));
        Assert.Throws<ArgumentException>(() => Kernels.MLstmStep(new float[3], new float[3], new float[4], 0, 0, 1, 1, 1e-6f, new float[12], new float[3], ref m, new float[5]));
    }
}
