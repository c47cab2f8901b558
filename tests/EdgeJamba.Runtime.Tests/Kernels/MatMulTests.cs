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

    /// <summary>
    /// With 256-bit vectors every output of two tokens or more sums in the documented order, bit for bit: eight-lane
    /// multiply-add chains over the row's whole vectors, their <see cref="System.Runtime.Intrinsics.Vector256.Sum{T}(System.Runtime.Intrinsics.Vector256{T})"/>
    /// added to zero, then a scalar chain over the last columns added; here written out one output at a time, for odd and
    /// even rows and token counts, column counts with and without a tail, and a weight larger than a row block. Where the
    /// process has AVX-512, blocks of eight tokens take the 512-bit kernel (two rows' lanes per vector), checked here too.
    /// </summary>
    [SkippableFact]
    public void MatMul_at_256_bits_sums_each_output_in_the_documented_order()
    {
        Skip.IfNot(System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated, "the order is the 256-bit one");
        var random = new Random(8);
        foreach ((int rows, int cols) in new[] { (1, 8), (2, 16), (3, 13), (7, 64), (9, 100), (5, 512), (70, 1001) })
        {
            using var w = new NativeMatrix(rows, cols, random);
            foreach (int count in new[] { 2, 3, 5, 8, 9 })
            {
                float[] x = Uniform(random, count * cols), destination = new float[count * rows];
                Kernels.MatMul(w.Matrix, x, count, destination);
                int body = cols & ~7;
                for (int t = 0; t < count; t++)
                {
                    for (int r = 0; r < rows; r++)
                    {
                        ReadOnlySpan<float> row = w.Matrix.Row(r), token = x.AsSpan(t * cols, cols);
                        var lanes = System.Runtime.Intrinsics.Vector256<float>.Zero;
                        for (int i = 0; i < body; i += 8)
                        {
                            lanes = System.Runtime.Intrinsics.Vector256.MultiplyAddEstimate(
                                System.Runtime.Intrinsics.Vector256.Create(row.Slice(i, 8)), System.Runtime.Intrinsics.Vector256.Create(token.Slice(i, 8)), lanes);
                        }
                        float tail = 0;
                        for (int i = body; i < cols; i++)
                        {
                            tail = float.MultiplyAddEstimate(row[i], token[i], tail);
                        }
                        float expected = (0f + System.Runtime.Intrinsics.Vector256.Sum(lanes)) + tail;
                        float actual = destination[(t * rows) + r];
                        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                            $"{rows}x{cols}, count {count}, token {t}, row {r}: {actual} vs {expected}");
                    }
                }
            }
        }
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
