using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class MatVecTests
{
    internal delegate void MatVecKernel(in Matrix w, ReadOnlySpan<float> x, Span<float> destination);

    [Fact]
    public void MatVec_EveryLength_MatchesOracle() => Check(Kernels.MatVec);

    [Fact]
    public unsafe void MatVec_WrongLengthsOrNoData_Throw()
    {
        using var w = new NativeMatrix(3, 5, new Random(2));
        Matrix m = w.Matrix, empty = new(null, 2, 2);
        Assert.Throws<ArgumentException>(() => Kernels.MatVec(m, new float[4], new float[3]));
        Assert.Throws<ArgumentException>(() => Kernels.MatVec(m, new float[5], new float[4]));
        Assert.Throws<ArgumentException>(() => Kernels.MatVec(empty, new float[2], new float[2]));
    }

    /// <summary>Every column count 1..256 (3 rows) plus large and odd shapes.</summary>
    internal static void Check(MatVecKernel matVec)
    {
        var random = new Random(3);
        var shapes = Lengths.Select(cols => (Rows: 3, Cols: cols)).Concat([(300, 1000), (1, 4099), (37, 17), (64, 64)]);
        foreach ((int rows, int cols) in shapes)
        {
            using var w = new NativeMatrix(rows, cols, random);
            float[] x = Uniform(random, cols);
            var destination = new float[rows];
            matVec(w.Matrix, x, destination);
            for (int r = 0; r < rows; r++)
            {
                (double expected, double magnitude) = Oracle.Dot(w.Matrix.Row(r), x);
                Near(expected, destination[r], SumBound(cols, magnitude), $"{rows}x{cols}, row {r}");
            }
        }
    }
}
