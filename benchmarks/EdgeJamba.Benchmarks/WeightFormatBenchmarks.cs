using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using EdgeJamba.Layout;
using EdgeJamba.Runtime;

namespace EdgeJamba.Benchmarks;

/// <summary>
/// One projection with 768 inputs in each weight format, for one token (decode) or a batch of 64 (prefill): float32, BF16,
/// F16, q8_0 (int8 blocks of 32 with their scales, inputs quantized likewise) and ternary (2 bits per weight, inputs
/// quantized per token), the activation quantization included, so the figures compare whole projections. Two sizes: 3072 rows (a Mamba in_proj, [2·1536, 768],
/// held in cache between calls) and 49152 rows (37.7M weights read from memory: float32 151 MB, 16-bit 75 MB, q8_0 40 MB,
/// ternary 9.4 MB, which a 32 MB L3 still holds). Same weights in every format, so the ratio to F32 is how much faster a
/// format decodes the same model: the bandwidth the compact formats save against the instructions they spend per byte
/// (widening, or integer dot products). Each case allocates only its own copy; F16 has its <see cref="F16LineMap"/> where
/// the products read one, as a checkpoint's F16 weights do.
/// </summary>
[MemoryDiagnoser]
public unsafe class WeightFormatBenchmarks
{
    private const int Cols = 768;
    private void* _weights;
    private float* _scales;
    private F16LineMap? _lines;
    private float[] _x = [], _y = [], _xScales = [];
    private sbyte[] _xq = [];

    /// <summary>Output rows: 3072 (in cache) or 49152 (from memory).</summary>
    [Params(3072, 49152)]
    public int Rows { get; set; } = 3072;

    /// <summary>Tokens multiplied at once: 1 (decode) or 64 (a prefill batch).</summary>
    [Params(1, 64)]
    public int Tokens { get; set; } = 1;

    /// <summary>A weight format of the product.</summary>
    public enum WeightFormat
    {
        F32,
        BF16,
        F16,
        Q8_0,
        Ternary,
    }

    /// <summary>The weight format.</summary>
    [ParamsAllValues]
    public WeightFormat Format { get; set; } = WeightFormat.F32;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        var values = new float[(long)Rows * Cols];
        for (long i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() - 0.5) * 0.1);
        }
        int padded = QuantizedRows.PadColumns(Cols), blocks = padded / QuantizedRows.Q8Block;
        switch (Format)
        {
            case WeightFormat.F32:
                _weights = NativeMemory.AlignedAlloc((nuint)values.Length * sizeof(float), 64);
                values.CopyTo(new Span<float>(_weights, values.Length));
                break;
            case WeightFormat.BF16 or WeightFormat.F16:
                _weights = NativeMemory.AlignedAlloc((nuint)values.Length * sizeof(ushort), 64);
                var halves = new Span<ushort>(_weights, values.Length);
                for (int i = 0; i < values.Length; i++)
                {
                    halves[i] = Format == WeightFormat.F16
                        ? BitConverter.HalfToUInt16Bits((Half)values[i])
                        : (ushort)(BitConverter.SingleToUInt32Bits(values[i]) >> 16);
                }
                _lines = Format == WeightFormat.F16 && Kernels.UsesLineMaps ? F16LineMap.Create((ushort*)_weights, Rows, Cols) : null;
                break;
            case WeightFormat.Q8_0:
                _weights = NativeMemory.AlignedAlloc((nuint)((long)Rows * padded), 64);
                _scales = (float*)NativeMemory.AlignedAlloc((nuint)((long)Rows * blocks * sizeof(float)), 64);
                for (int r = 0; r < Rows; r++)
                {
                    WeightQuantizer.QuantizeQ8Row(values.AsSpan(r * Cols, Cols), new Span<sbyte>((sbyte*)_weights + ((long)r * padded), padded),
                        new Span<float>(_scales + ((long)r * blocks), blocks));
                }
                break;
            case WeightFormat.Ternary:
                var ternary = new sbyte[values.Length];
                WeightQuantizer.Ternarize(values, ternary);
                long bytes = TernaryMatrix.PackedBytes(Rows, Cols);
                _weights = NativeMemory.AlignedAlloc((nuint)bytes, 64);
                TernaryMatrix.Pack(ternary, Rows, Cols, new Span<byte>(_weights, (int)bytes));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(Format), Format, null);
        }
        _x = Enumerable.Range(0, Tokens * Cols).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        _y = new float[Tokens * Rows];
        _xq = new sbyte[Tokens * padded];
        _xScales = new float[Tokens * blocks];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(_weights);
        NativeMemory.AlignedFree(_scales);
        _lines?.Dispose();
    }

    /// <summary>The product in <see cref="Format"/> of <see cref="Tokens"/> tokens (one goes through the decode kernels).</summary>
    [Benchmark]
    public void Product()
    {
        switch (Format)
        {
            case WeightFormat.F32:
                Kernels.MatMul(new Matrix((float*)_weights, Rows, Cols), _x, Tokens, _y);
                break;
            case WeightFormat.BF16:
                Kernels.MatMul(new Matrix(_weights, TensorDType.BF16, Rows, Cols), _x, Tokens, _y);
                break;
            case WeightFormat.F16:
                Kernels.MatMul(new Matrix(_weights, TensorDType.F16, Rows, Cols, _lines), _x, Tokens, _y);
                break;
            case WeightFormat.Q8_0:
                Kernels.QuantizeQ8Rows(_x, Tokens, Cols, _xq, _xScales);
                Kernels.Q8MatMul(new Q8Matrix((sbyte*)_weights, _scales, Rows, Cols), _xq, _xScales, Tokens, _y);
                break;
            case WeightFormat.Ternary:
                Kernels.QuantizeInt8Rows(_x, Tokens, Cols, _xq, _xScales);
                Kernels.TernaryMatMul(new TernaryMatrix((byte*)_weights, Rows, Cols, 1f), _xq, _xScales, Tokens, _y);
                break;
        }
    }
}
