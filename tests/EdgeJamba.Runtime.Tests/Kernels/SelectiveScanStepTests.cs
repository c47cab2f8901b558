using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class SelectiveScanStepTests
{
    internal delegate void ScanKernel(
        ReadOnlySpan<float> x, ReadOnlySpan<float> dt, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c,
        ReadOnlySpan<float> d, ReadOnlySpan<float> z, Span<float> state, Span<float> destination);

    [Theory]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(1)]
    [InlineData(23)]
    public void SelectiveScanStep_SeveralSteps_MatchesRecurrence(int stateSize) => Check(Kernels.SelectiveScanStep, stateSize);

    [Fact]
    public void SelectiveScanStep_InPlace_MatchesOutOfPlace()
    {
        var random = new Random(85);
        (float[] x, float[] dt, float[] a, float[] b, float[] c, float[] d, float[] z) = Inputs(random, 9, 16);
        float[] state1 = Uniform(random, 9 * 16), state2 = (float[])state1.Clone();
        var expected = new float[9];
        Kernels.SelectiveScanStep(x, dt, a, b, c, d, z, state1, expected);
        Kernels.SelectiveScanStep(x, dt, a, b, c, d, z, state2, x);
        Assert.Equal(expected, x);
        Assert.Equal(state1, state2);
    }

    [Fact]
    public void SelectiveScanStep_BadArguments_Throw()
    {
        float[] e = new float[3], en = new float[6], n = new float[2];
        Assert.Throws<ArgumentException>(() => Kernels.SelectiveScanStep(e, e, [], [], [], e, e, [], e));
        Assert.Throws<ArgumentException>(() => Kernels.SelectiveScanStep(e, e, en, n, n, e, e, new float[5], e));
        Assert.Throws<ArgumentException>(() => Kernels.SelectiveScanStep(e, e, en, n, new float[3], e, e, en, e));
        Assert.Throws<ArgumentException>(() => Kernels.SelectiveScanStep(e, new float[2], en, n, n, e, e, en, e));
        Assert.Throws<ArgumentException>(() => Kernels.SelectiveScanStep(e, e, en, n, n, e, e, en, new float[4]));
    }

    /// <summary>E = 1..40 channels, six steps from a random state, against the double recurrence.</summary>
    internal static void Check(ScanKernel scan, int stateSize)
    {
        var random = new Random(80 + stateSize);
        for (int channels = 1; channels <= 40; channels++)
        {
            const int Steps = 6;
            var steps = Enumerable.Range(0, Steps).Select(_ => Inputs(random, channels, stateSize)).ToArray();
            (_, _, float[] a, _, _, float[] d, _) = steps[0];
            float[] state = Uniform(random, channels * stateSize);
            double[] oracleState = state.Select(v => (double)v).ToArray();
            (double[][] expected, double[][] magnitudes, double[] stateMagnitudes) = Oracle.SelectiveScan(
                steps.Select(s => s.X).ToArray(), steps.Select(s => s.Dt).ToArray(), a, steps.Select(s => s.B).ToArray(),
                steps.Select(s => s.C).ToArray(), d, steps.Select(s => s.Z).ToArray(), oracleState);

            var destination = new float[channels];
            for (int t = 0; t < Steps; t++)
            {
                (float[] x, float[] dt, _, float[] b, float[] c, _, float[] z) = steps[t];
                scan(x, dt, a, b, c, d, z, state, destination);
                for (int ch = 0; ch < channels; ch++)
                {
                    // Each step adds at most (|dt·a| + 8)·u to the state's relative error (the rounding of dt·a
                    // goes through exp; products, FMA), measured against the recurrence on absolute values;
                    // Σ_n state·c adds γ_N and the skip and gate a few roundings. |dt·a| ≤ 16 here.
                    double relative = ((t + 1) * 24 + stateSize + 16) * U;
                    Near(expected[t][ch], destination[ch], (relative * magnitudes[t][ch]) + 1e-30, $"N={stateSize}, E={channels}, t={t}, ch={ch}");
                }
            }

            for (int i = 0; i < state.Length; i++)
            {
                Near(oracleState[i], state[i], (Steps * 24 * U * stateMagnitudes[i]) + 1e-30, $"N={stateSize}, E={channels}, state {i}");
            }
        }
    }

    /// <summary>One token's inputs: dt in (0, 2] (after softplus), A = −exp(A_log) in [−8, −0.1].</summary>
    internal static (float[] X, float[] Dt, float[] A, float[] B, float[] C, float[] D, float[] Z) Inputs(Random random, int channels, int stateSize) =>
        (Uniform(random, channels, 2f),
         Uniform(random, channels).Select(v => 1f + v).Select(v => v == 0 ? 1f : v).ToArray(),
         Uniform(random, channels * stateSize).Select(v => -0.1f - (3.95f * (v + 1))).ToArray(),
         Uniform(random, stateSize),
         Uniform(random, stateSize),
         Uniform(random, channels),
         Uniform(random, channels, 4f));
}
