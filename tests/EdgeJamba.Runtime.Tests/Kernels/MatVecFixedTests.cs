using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

/// <summary>
/// The products built for one input width (<see cref="Kernels.MatVec{TColumns}"/>, <see cref="WorkerPool.MatMul{TColumns}"/>)
/// give every row the bits of <see cref="Kernels.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/> of that row alone: each
/// number of whole vectors from one to nine (the input in registers up to eight, which of the four accumulators a vector goes to
/// changing with the count), every scalar tail length, widths read from cache (72 and over), one too large for cache, and one
/// under a vector (the general kernel).
/// </summary>
public class MatVecFixedTests
{
    private static readonly int[] Rows = [1, 2, 7, 8, 11, 19, 100];

    [Fact] public void Width4() => Check<W4>();
    [Fact] public void Width8() => Check<W8>();
    [Fact] public void Width11() => Check<W11>();
    [Fact] public void Width16() => Check<W16>();
    [Fact] public void Width23() => Check<W23>();
    [Fact] public void Width24() => Check<W24>();
    [Fact] public void Width28() => Check<W28>();
    [Fact] public void Width32() => Check<W32>();
    [Fact] public void Width37() => Check<W37>();
    [Fact] public void Width40() => Check<W40>();
    [Fact] public void Width46() => Check<W46>();
    [Fact] public void Width48() => Check<W48>();
    [Fact] public void Width55() => Check<W55>();
    [Fact] public void Width56() => Check<W56>();
    [Fact] public void Width64() => Check<W64>();
    [Fact] public void Width71() => Check<W71>();
    [Fact] public void Width72() => Check<W72>();
    [Fact] public void Width100() => Check<W100>();
    [Fact] public void Width128() => Check<W128>();
    [Fact] public void Width172() => Check<W172>();
    [Fact] public void Width768() => Check<W768>();

    [Fact]
    public void A_weight_of_another_width_is_refused()
    {
        using var w = new NativeMatrix(8, 64, new Random(1));
        using var pool = new WorkerPool(1);
        var e = Assert.Throws<ArgumentException>(() => Kernels.MatVec<W72>(w.Matrix, new float[64], new float[8]));
        Assert.Contains("64 columns; this product is built for 72", e.Message);
        Assert.Throws<ArgumentException>(() => pool.MatMul<W72>(w.Matrix, new float[64], 1, new float[8]));
        Assert.Throws<ArgumentException>(() => Kernels.MatVec<W64>(w.Matrix, new float[63], new float[8]));
        Assert.Throws<ArgumentException>(() => Kernels.MatVec<W64>(w.Matrix, new float[64], new float[7]));
    }

    private static void Check<TColumns>()
        where TColumns : IColumnCount
    {
        int cols = TColumns.Count;
        var random = new Random(cols);
        using var pool = new WorkerPool(3, minMultiplyAddsPerThread: 1);
        foreach (int rows in Rows)
        {
            using var w = new NativeMatrix(rows, cols, random);
            float[] x = Uniform(random, cols);
            var expected = new int[rows];
            for (int r = 0; r < rows; r++)
            {
                expected[r] = BitConverter.SingleToInt32Bits(Kernels.Dot(w.Matrix.Row(r), x));
            }

            var alone = new float[rows];
            Kernels.MatVec<TColumns>(w.Matrix, x, alone);
            Same(expected, alone, $"{rows}x{cols}");

            var split = new float[rows];
            pool.MatMul<TColumns>(w.Matrix, x, 1, split);
            Same(expected, split, $"{rows}x{cols} on 3 threads");

            // Any range of rows: the odd rows before and after a block of eight come out the same.
            var part = new float[rows];
            int start = rows / 3, end = rows - (rows / 4);
            Kernels.MatVecRows<TColumns>(w.Matrix, x, part, start, end);
            Same(expected.AsSpan(start, end - start).ToArray(), part.AsSpan(start, end - start).ToArray(), $"{rows}x{cols}, rows {start}..{end}");

            // More than one token is the ordinary product.
            float[] tokens = Uniform(random, 3 * cols), batch = new float[3 * rows], ordinary = new float[3 * rows];
            pool.MatMul<TColumns>(w.Matrix, tokens, 3, batch);
            Kernels.MatMul(w.Matrix, tokens, 3, ordinary);
            Same(ordinary.Select(BitConverter.SingleToInt32Bits).ToArray(), batch, $"{rows}x{cols}, 3 tokens");
        }
    }

    private static void Same(int[] expected, float[] actual, string what)
    {
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.True(expected[r] == BitConverter.SingleToInt32Bits(actual[r]),
                $"{what}, row {r}: {actual[r]} vs {BitConverter.Int32BitsToSingle(expected[r])}");
        }
    }

    private readonly struct W4 : IColumnCount { public static int Count => 4; }
    private readonly struct W8 : IColumnCount { public static int Count => 8; }
    private readonly struct W11 : IColumnCount { public static int Count => 11; }
    private readonly struct W16 : IColumnCount { public static int Count => 16; }
    private readonly struct W23 : IColumnCount { public static int Count => 23; }
    private readonly struct W24 : IColumnCount { public static int Count => 24; }
    private readonly struct W28 : IColumnCount { public static int Count => 28; }
    private readonly struct W32 : IColumnCount { public static int Count => 32; }
    private readonly struct W37 : IColumnCount { public static int Count => 37; }
    private readonly struct W40 : IColumnCount { public static int Count => 40; }
    private readonly struct W46 : IColumnCount { public static int Count => 46; }
    private readonly struct W48 : IColumnCount { public static int Count => 48; }
    private readonly struct W55 : IColumnCount { public static int Count => 55; }
    private readonly struct W56 : IColumnCount { public static int Count => 56; }
    private readonly struct W64 : IColumnCount { public static int Count => 64; }
    private readonly struct W71 : IColumnCount { public static int Count => 71; }
    private readonly struct W72 : IColumnCount { public static int Count => 72; }
    private readonly struct W100 : IColumnCount { public static int Count => 100; }
    private readonly struct W128 : IColumnCount { public static int Count => 128; }
    private readonly struct W172 : IColumnCount { public static int Count => 172; }
    private readonly struct W768 : IColumnCount { public static int Count => 768; }
}
