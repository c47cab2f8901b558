using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using EdgeJamba.Runtime;

namespace EdgeJamba.Benchmarks;

/// <summary>
/// One float32 decode projection at the shapes of small models: stories260K's query [64, 64], up [172, 64] and down
/// [64, 172] projections, the default model's Mamba in_proj [512, 128], an expert's up projection [256, 128] and down
/// projection [128, 256] (in cache), a stories15M feed-forward [768, 288] and its classifier [32000, 288] (37 MB, streamed
/// from memory). The product <see cref="Kernels.MatVec"/>, and the product built for the weight's width that generated code
/// calls (<see cref="Kernels.MatVec{TColumns}"/>), against the same rows taken one <see cref="Kernels.Dot"/> at a time; all
/// three give the same bits.
/// </summary>
[MemoryDiagnoser]
public unsafe class MatVecShapeBenchmarks
{
    private float* _weights;
    private float[] _x = [], _y = [];
    private int _rows, _cols;

    /// <summary>Rows × columns of the projection.</summary>
    [Params("64x64", "172x64", "64x172", "512x128", "256x128", "128x256", "768x288", "32000x288")]
    public string Shape { get; set; } = "512x128";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _rows = int.Parse(Shape.Split('x')[0], System.Globalization.CultureInfo.InvariantCulture);
        _cols = int.Parse(Shape.Split('x')[1], System.Globalization.CultureInfo.InvariantCulture);
        _weights = (float*)NativeMemory.AlignedAlloc((nuint)(_rows * _cols * sizeof(float)), 64);
        for (int i = 0; i < _rows * _cols; i++)
        {
            _weights[i] = (float)(random.NextDouble() - 0.5);
        }
        _x = Enumerable.Range(0, _cols).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        _y = new float[_rows];
    }

    [GlobalCleanup]
    public void Cleanup() => NativeMemory.AlignedFree(_weights);

    /// <summary>Each row by itself.</summary>
    [Benchmark(Baseline = true)]
    public void RowByRow()
    {
        var w = new Matrix(_weights, _rows, _cols);
        for (int r = 0; r < w.Rows; r++)
        {
            _y[r] = Kernels.Dot(w.Row(r), _x);
        }
    }

    /// <summary>The product kernel.</summary>
    [Benchmark]
    public void MatVec() => Kernels.MatVec(new Matrix(_weights, _rows, _cols), _x, _y);

    /// <summary>The product built for the weight's width.</summary>
    [Benchmark]
    public void MatVecForItsWidth()
    {
        var w = new Matrix(_weights, _rows, _cols);
        switch (_cols)
        {
            case 64:
                Kernels.MatVec<Columns64>(w, _x, _y);
                break;
            case 128:
                Kernels.MatVec<Columns128>(w, _x, _y);
                break;
            case 172:
                Kernels.MatVec<Columns172>(w, _x, _y);
                break;
            case 256:
                Kernels.MatVec<Columns256>(w, _x, _y);
                break;
            default:
                Kernels.MatVec<Columns288>(w, _x, _y);
                break;
        }
    }

    private readonly struct Columns64 : IColumnCount { public static int Count => 64; }
    private readonly struct Columns128 : IColumnCount { public static int Count => 128; }
    private readonly struct Columns172 : IColumnCount { public static int Count => 172; }
    private readonly struct Columns256 : IColumnCount { public static int Count => 256; }
    private readonly struct Columns288 : IColumnCount { public static int Count => 288; }
}
