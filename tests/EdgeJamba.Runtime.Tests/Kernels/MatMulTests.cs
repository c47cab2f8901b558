using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class MatMulTests
{
    internal delegate void MatMulKernel(in Matrix w, ReadOnlySpan<float> x, int count, Span<float> destination);

    [Fact]
    public void MatMul_ShapesAndCounts_MatchOracle() => Check(Kernels.MatMul);

    [Fact]
    public void MatMul_WeightLargerThanRowBlock_MatchesOracle()
    {
        // 201 rows of 1000 floats span four row blocks of 64 rows (256 KiB); the last has 9 rows, an odd number.
        var random = new Random(5);
        using var w = new NativeMatrix(201, 1000, random);
        CheckOne(Kernels.MatMul, w, 6, random);
    }

    [Fact]
    public void MatMul_WritesOnlyCountRows()
    {
        var random = new Random(6);
        using var w = new NativeMatrix(5, 7, random);
        float[] x = Uniform(random, 4 * 7);
        float[] destination = Enumerable.Repeat(42f, 4 * 5).ToArray();
        Kernels.MatMul(w.Matrix, x, 3, destination);
        Assert.All(destination[15..], v => Assert.Equal(42f, v));
        Assert.DoesNotContain(42f, destination[..15]);
    }

    [Fact]
    public void MatMul_WrongLengths_Throw()
    {
        using var w = new NativeMatrix(3, 5, new Random(7));
        Matrix m = w.Matrix;
        Assert.Throws<ArgumentException>(() => Kernels.MatMul(m, new float[9], 2, new float[6]));
        Assert.Throws<ArgumentException>(() => Kernels.MatMul(m, new float[10], 2, new float[5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.MatMul(m, new float[10], -1, new float[6]));
    }

    /// <summary>Counts 0..9 (full and partial token blocks) on odd and even shapes, every column count 1..64.</summary>
    internal static void Check(MatMulKernel matMul)
    {
        var random = new Random(4);
        var shapes = new List<(int Rows, int Cols)> { (1, 1), (2, 3), (7, 33), (8, 64), (13, 100), (64, 257), (300, 1000) };
        shapes.AddRange(Enumerable.Range(1, 64).Select(cols => (5, cols)));
        foreach ((int rows, int cols) in shapes)
        {
            using var w = new NativeMatrix(rows, cols, random);
            for (int count = 0; count <= 9; count++)
            {
                CheckOne(matMul, w, count, random);
            }
        }
    }

    private static void CheckOne(MatMulKernel matMul, NativeMatrix w, int count, Random random)
    {
        int rows = w.Matrix.Rows, cols = w.Matrix.Cols;
        float[] x = Uniform(random, count * cols);
        var destination = new float[count * rows];
        matMul(w.Matrix, x, count, destination);
        for (int t = 0; t < count; t++)
        {
            for (int r = 0; r < rows; r++)
            {
                (double expected, double magnitude) = Oracle.Dot(w.Matrix.Row(r), x.AsSpan(t * cols, cols));
                Near(expected, destination[(t * rows) + r], SumBound(cols, magnitude), $"{rows}x{cols}, count {count}, token {t}, row {r}");
            }
        }
    }
}
