using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using EdgeJamba.Runtime;

namespace EdgeJamba.Benchmarks;

/// <summary>
/// The kernels that dominate decode and prefill, at shapes of a ~100M-parameter hybrid (hidden 768, Mamba d_inner
/// 1536, d_state 16): one matrix-vector product, the same product for a block of 32 prompt tokens, and one
/// Mamba scan step. Compare a kernel change before and after in one run.
/// </summary>
[MemoryDiagnoser]
public unsafe class KernelBenchmarks
{
    private const int Hidden = 768, Inner = 1536, State = 16, Tokens = 32;
    private float* _weights;
    private float[] _x = [], _xs = [], _y = [], _ys = [];
    private float[] _dt = [], _a = [], _b = [], _c = [], _d = [], _z = [], _state = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _weights = (float*)NativeMemory.AlignedAlloc((nuint)(2 * Inner * Hidden * sizeof(float)), 64);
        for (int i = 0; i < 2 * Inner * Hidden; i++)
        {
            _weights[i] = (float)(random.NextDouble() - 0.5);
        }
        _x = Fill(Hidden, random);
        _xs = Fill(Tokens * Hidden, random);
        _y = new float[2 * Inner];
        _ys = new float[Tokens * 2 * Inner];
        _dt = Fill(Inner, random);
        _a = Fill(Inner * State, random).Select(v => -Math.Abs(v)).ToArray();
        _b = Fill(State, random);
        _c = Fill(State, random);
        _d = Fill(Inner, random);
        _z = Fill(Inner, random);
        _state = new float[Inner * State];
    }

    [GlobalCleanup]
    public void Cleanup() => NativeMemory.AlignedFree(_weights);

    /// <summary>in_proj of one token: [2·1536, 768] · [768].</summary>
    [Benchmark]
    public void MatVecInProj() => Kernels.MatVec(new Matrix(_weights, 2 * Inner, Hidden), _x, _y);

    /// <summary>in_proj of 32 prompt tokens at once (divide by 32 for the per-token cost).</summary>
    [Benchmark]
    public void MatMulInProj32Tokens() => Kernels.MatMul(new Matrix(_weights, 2 * Inner, Hidden), _xs, Tokens, _ys);

    /// <summary>One Mamba selective-scan step over 1536 channels of 16 states.</summary>
    [Benchmark]
    public void SelectiveScanStep() => Kernels.SelectiveScanStep(_d, _dt, _a, _b, _c, _d, _z, _state, _y.AsSpan(0, Inner));

    private static float[] Fill(int length, Random random) => Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
}
