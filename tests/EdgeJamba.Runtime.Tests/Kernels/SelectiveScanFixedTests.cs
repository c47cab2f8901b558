using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

/// <summary>
/// The scan step built for one state size (<see cref="Kernels.SelectiveScanStep{TState}"/>, <see cref="WorkerPool.SelectiveScan{TState}"/>)
/// gives the bits of <see cref="Kernels.SelectiveScanStep"/>, outputs and state, over several steps: one, two and four vectors
/// per state row, a size that is not whole vectors (the general kernel), channel counts around the blocks of eight, and the
/// output written over the input or the gate.
/// </summary>
public class SelectiveScanFixedTests
{
    [Fact] public void State8() => Check<N8>();
    [Fact] public void State12() => Check<N12>();
    [Fact] public void State16() => Check<N16>();
    [Fact] public void State32() => Check<N32>();

    [Fact]
    public void A_state_of_another_size_is_refused()
    {
        float[] e = new float[3];
        Assert.Throws<ArgumentException>(() => Kernels.SelectiveScanStep<N16>(e, e, new float[24], new float[8], new float[8], e, e, new float[24], e));
        Assert.Throws<ArgumentException>(() => Kernels.SelectiveScanStep<N16>(e, e, new float[48], new float[16], new float[8], e, e, new float[48], e));
        Assert.Throws<ArgumentException>(() => Kernels.SelectiveScanStep<N16>(e, e, new float[48], new float[16], new float[16], e, e, new float[48], new float[2]));
    }

    /// <summary>The pool's form given a state of another size than its type argument runs (and checks) the general scan.</summary>
    [Fact]
    public void The_pool_runs_a_state_of_another_size_as_the_general_scan()
    {
        using var pool = new WorkerPool(1);
        var (x, dt, a, b, c, d, z) = SelectiveScanStepTests.Inputs(new Random(3), 3, 8);
        float[] bc = [.. b, .. c], pooledState = new float[24], expectedState = new float[24], pooled = new float[3], expected = new float[3];
        pool.SelectiveScan<N16>(x, dt, a, bc, bc.AsSpan(8), 16, d, z, 3, pooledState, 1, pooled);
        Kernels.SelectiveScanStep(x, dt, a, b, c, d, z, expectedState, expected);
        Same(expected, pooled, "N 8 through Columns16");
        Same(expectedState, pooledState, "N 8 through Columns16, state");
        Assert.Throws<ArgumentException>(() => pool.SelectiveScan<N16>(x, dt, a, bc, bc.AsSpan(8), 16, d, z, 3, new float[25], 1, pooled));
    }

    private static void Check<TState>()
        where TState : IColumnCount
    {
        int n = TState.Count;
        var random = new Random(n);
        using var pool = new WorkerPool(3, minMultiplyAddsPerThread: 1);
        foreach (int channels in new[] { 1, 7, 8, 9, 16, 23, 40 })
        {
            float[] start = Uniform(random, channels * n);
            float[] expectedState = (float[])start.Clone(), fixedState = (float[])start.Clone(), pooledState = (float[])start.Clone();
            float[] inPlaceState = (float[])start.Clone(), gateState = (float[])start.Clone();
            for (int step = 0; step < 4; step++)
            {
                var (x, dt, a, b, c, d, z) = SelectiveScanStepTests.Inputs(random, channels, n);
                var expected = new float[channels];
                Kernels.SelectiveScanStep(x, dt, a, b, c, d, z, expectedState, expected);
                string what = $"N {n}, {channels} channels, step {step}";

                var got = new float[channels];
                Kernels.SelectiveScanStep<TState>(x, dt, a, b, c, d, z, fixedState, got);
                Same(expected, got, what);
                Same(expectedState, fixedState, what + ", state");

                // The pool's form: [dt | B | C] rows and [x | z] rows with their strides, one token.
                float[] bc = [.. b, .. c], pooled = new float[channels];
                pool.SelectiveScan<TState>(x, dt, a, bc, bc.AsSpan(n), 2 * n, d, z, channels, pooledState, 1, pooled);
                Same(expected, pooled, what + " (pool)");
                Same(expectedState, pooledState, what + ", state (pool)");

                float[] overInput = (float[])x.Clone(), overGate = (float[])z.Clone();
                Kernels.SelectiveScanStep<TState>(overInput, dt, a, b, c, d, z, inPlaceState, overInput);
                Same(expected, overInput, what + " (over x)");
                Kernels.SelectiveScanStep<TState>(x, dt, a, b, c, d, overGate, gateState, overGate);
                Same(expected, overGate, what + " (over z)");
            }
            CheckBatch<TState>(random, channels, pool);
        }
    }

    /// <summary>A batch of tokens through the pool's form (one thread and three) against the general step token by token.</summary>
    private static void CheckBatch<TState>(Random random, int channels, WorkerPool pool)
        where TState : IColumnCount
    {
        int n = TState.Count;
        const int count = 5;
        float[] start = Uniform(random, channels * n), a = SelectiveScanStepTests.Inputs(random, channels, n).A;
        float[] x = Uniform(random, count * channels), dt = new float[count * channels], z = Uniform(random, count * channels);
        float[] bc = Uniform(random, count * 2 * n), d = Uniform(random, channels);
        for (int i = 0; i < dt.Length; i++)
        {
            dt[i] = (float)(random.NextDouble() * 0.1);
        }
        float[] expectedState = (float[])start.Clone(), expected = new float[count * channels];
        for (int t = 0; t < count; t++)
        {
            Kernels.SelectiveScanStep(x.AsSpan(t * channels, channels), dt.AsSpan(t * channels, channels), a, bc.AsSpan(t * 2 * n, n),
                bc.AsSpan((t * 2 * n) + n, n), d, z.AsSpan(t * channels, channels), expectedState, expected.AsSpan(t * channels, channels));
        }
        using var single = new WorkerPool(1);
        foreach (var (threads, batchPool) in new[] { (1, single), (3, pool) })
        {
            float[] state = (float[])start.Clone(), got = new float[count * channels];
            batchPool.SelectiveScan<TState>(x, dt, a, bc, bc.AsSpan(n), 2 * n, d, z, channels, state, count, got);
            string what = $"N {n}, {channels} channels, {count} tokens, {threads} threads";
            Same(expected, got, what);
            Same(expectedState, state, what + ", state");
        }
    }

    private static void Same(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"{what}, element {i}: {actual[i]} vs {expected[i]}");
        }
    }

    private readonly struct N8 : IColumnCount { public static int Count => 8; }
    private readonly struct N12 : IColumnCount { public static int Count => 12; }
    private readonly struct N16 : IColumnCount { public static int Count => 16; }
    private readonly struct N32 : IColumnCount { public static int Count => 32; }
}
