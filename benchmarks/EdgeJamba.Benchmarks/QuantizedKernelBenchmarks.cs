using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using EdgeJamba.Layout;
using EdgeJamba.Runtime;

namespace EdgeJamba.Benchmarks;

/// <summary>
/// One decode projection ([2·1536, 768] · [768], the shape of <see cref="KernelBenchmarks.MatVecInProj"/>) in each weight
/// format: float32, q8_0 (int8 blocks of 32 with their scales, inputs quantized likewise) and ternary (2 bits per weight,
/// inputs quantized per token), the activation quantization included, so the figures compare whole projections.
/// </summary>
[MemoryDiagnoser]
public unsafe class QuantizedKernelBenchmarks
{
    private const int Rows = 2 * 1536, Cols = 768;
    private float* _weights;
    private byte* _ternary;
    private sbyte* _q8;
    private float* _q8Scales;
    private float[] _x = [], _y = [], _xScales = [];
    private sbyte[] _xq = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _weights = (float*)NativeMemory.AlignedAlloc((nuint)(Rows * Cols * sizeof(float)), 64);
        var span = new Span<float>(_weights, Rows * Cols);
        for (int i = 0; i < span.Length; i++)
        {
            span[i] = (float)(random.NextDouble() - 0.5);
        }
        var values = new sbyte[Rows * Cols];
        WeightQuantizer.Ternarize(span, values);
        long packed = TernaryMatrix.PackedBytes(Rows, Cols);
        _ternary = (byte*)NativeMemory.AlignedAlloc((nuint)packed, 64);
        TernaryMatrix.Pack(values, Rows, Cols, new Span<byte>(_ternary, (int)packed));
        int padded = QuantizedRows.PadColumns(Cols), blocks = padded / QuantizedRows.Q8Block;
        _q8 = (sbyte*)NativeMemory.AlignedAlloc((nuint)(Rows * padded), 64);
        _q8Scales = (float*)NativeMemory.AlignedAlloc((nuint)(Rows * blocks * sizeof(float)), 64);
        for (int r = 0; r < Rows; r++)
        {
            WeightQuantizer.QuantizeQ8Row(span.Slice(r * Cols, Cols), new Span<sbyte>(_q8 + (r * padded), padded), new Span<float>(_q8Scales + (r * blocks), blocks));
        }
        _x = Enumerable.Range(0, Cols).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        _y = new float[Rows];
        _xq = new sbyte[padded];
        _xScales = new float[blocks];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(_weights);
        NativeMemory.AlignedFree(_ternary);
        NativeMemory.AlignedFree(_q8);
        NativeMemory.AlignedFree(_q8Scales);
    }

    [Benchmark(Baseline = true)]
    public void F32() => Kernels.MatVec(new Matrix(_weights, Rows, Cols), _x, _y);

    [Benchmark]
    public void Q8_0()
    {
        Kernels.QuantizeQ8Rows(_x, 1, Cols, _xq, _xScales);
        Kernels.Q8MatMul(new Q8Matrix(_q8, _q8Scales, Rows, Cols), _xq, _xScales, 1, _y);
    }

    [Benchmark]
    public void Ternary()
    {
        Kernels.QuantizeInt8Rows(_x, 1, Cols, _xq, _xScales);
        Kernels.TernaryMatMul(new TernaryMatrix(_ternary, Rows, Cols, 1f), _xq, _xScales, 1, _y);
    }
}
