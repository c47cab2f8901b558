using BenchmarkDotNet.Attributes;
using EdgeJamba.Runtime;

namespace EdgeJamba.Benchmarks;

/// <summary>
/// One decode attention head over 512 cached positions of a two-KV-head cache (stride 2·headDim), at the head sizes of
/// stories260K (8), the default model (32), stories15M (48) and the larger shapes (64): <see cref="Kernels.Attend"/> against the same
/// steps one position at a time (a <see cref="Kernels.Dot"/> per key, <see cref="Kernels.Softmax"/>, an
/// <see cref="Kernels.AddScaled"/> per value), which is what a straightforward implementation does.
/// </summary>
[MemoryDiagnoser]
public class AttendBenchmarks
{
    private const int Positions = 512;
    private float[] _query = [], _keys = [], _values = [], _scores = [], _output = [];

    /// <summary>Floats per head.</summary>
    [Params(8, 16, 32, 48, 64)]
    public int HeadDim { get; set; } = 8;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        float[] Uniform(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        _query = Uniform(HeadDim);
        _keys = Uniform(Positions * 2 * HeadDim);
        _values = Uniform(Positions * 2 * HeadDim);
        _scores = new float[Positions];
        _output = new float[HeadDim];
    }

    /// <summary>A dot product per key, softmax, a scaled add per value.</summary>
    [Benchmark(Baseline = true)]
    public void OnePositionAtATime()
    {
        int stride = 2 * HeadDim;
        float scale = 1 / MathF.Sqrt(HeadDim);
        for (int t = 0; t < Positions; t++)
        {
            _scores[t] = scale * Kernels.Dot(_query, _keys.AsSpan(t * stride, HeadDim));
        }
        Kernels.Softmax(_scores);
        Array.Clear(_output);
        for (int t = 0; t < Positions; t++)
        {
            Kernels.AddScaled(_values.AsSpan(t * stride, HeadDim), _scores[t], _output);
        }
    }

    /// <summary>The attention kernel.</summary>
    [Benchmark]
    public void Attend() =>
        Kernels.Attend(_query, _keys, _values, Positions, 2 * HeadDim, 1 / MathF.Sqrt(HeadDim), _scores, _output);
}
