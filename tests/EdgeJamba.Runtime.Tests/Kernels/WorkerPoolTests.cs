using System.Runtime.InteropServices;
using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class WorkerPoolTests
{
    private static readonly (int Rows, int Cols)[] s_shapes = [(300, 1000), (1, 4099), (37, 17), (64, 64), (1000, 64), (513, 1030)];

    /// <summary>Split among 2..4 threads (even the smallest products), every output has the bits of the one-thread kernel.</summary>
    [Fact]
    public void Products_OnAnyThreadCount_AreBitIdenticalToOneThread()
    {
        var random = new Random(11);
        for (int threads = 2; threads <= 4; threads++)
        {
            using var pool = new WorkerPool(threads, minMultiplyAddsPerThread: 1);
            foreach ((int rows, int cols) in s_shapes)
            {
                using var w = new NativeMatrix(rows, cols, random);
                foreach (int count in new[] { 1, 2, 5 })
                {
                    float[] x = Uniform(random, count * cols);
                    float[] expected = new float[count * rows], got = new float[count * rows];
                    Kernels.MatMul(w.Matrix, x, count, expected);
                    pool.MatMul(w.Matrix, x, count, got);
                    Assert.True(expected.AsSpan().SequenceEqual(got), $"MatMul {rows}x{cols}, {count} tokens, {threads} threads");
                }
                float[] v = Uniform(random, cols);
                float[] one = new float[rows], many = new float[rows];
                Kernels.MatVec(w.Matrix, v, one);
                pool.MatVec(w.Matrix, v, many);
                Assert.True(one.AsSpan().SequenceEqual(many), $"MatVec {rows}x{cols}, {threads} threads");
            }
        }
    }

    [Fact]
    public void WrongLengths_Throw_AsTheKernelsDo()
    {
        using var pool = new WorkerPool(2, minMultiplyAddsPerThread: 1);
        using var w = new NativeMatrix(64, 64, new Random(1));
        Assert.Throws<ArgumentException>(() => pool.MatVec(w.Matrix, new float[63], new float[64]));
        Assert.Throws<ArgumentException>(() => pool.MatMul(w.Matrix, new float[64 * 2], 3, new float[64 * 3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerPool(0));
    }

    /// <summary>
    /// BF16 and F16 weights, widened on the fly, against a float64 oracle of the same values widened by plain scalar code;
    /// every seventh weight is a special value (zeros of both signs, subnormals, the smallest normal, F16's largest finite).
    /// </summary>
    [Theory]
    [InlineData(TensorDType.BF16)]
    [InlineData(TensorDType.F16)]
    public unsafe void SixteenBitProducts_MatchTheOracle(TensorDType dtype)
    {
        var random = new Random(5);
        ushort[] specials = dtype == TensorDType.F16
            ? [0x0000, 0x8000, 0x0001, 0x8001, 0x0200, 0x03FF, 0x83FF, 0x0400, 0x8400, 0x7BFF, 0xFBFF]
            : [0x0000, 0x8000, 0x0001, 0x8001, 0x007F, 0x0080, 0x8080];
        using var pool = new WorkerPool(3, minMultiplyAddsPerThread: 1);
        foreach ((int rows, int cols) in s_shapes.Concat(Lengths.Select(c => (3, c))))
        {
            ushort* data = (ushort*)NativeMemory.AlignedAlloc((nuint)((long)rows * cols * sizeof(ushort)), 64);
            try
            {
                var wide = new float[rows * cols];
                for (int i = 0; i < wide.Length; i++)
                {
                    float value = (float)((random.NextDouble() * 2) - 1);
                    data[i] = i % 7 == 3 ? specials[random.Next(specials.Length)]
                        : dtype == TensorDType.F16 ? BitConverter.HalfToUInt16Bits((Half)value) : (ushort)(BitConverter.SingleToUInt32Bits(value) >> 16);
                    wide[i] = dtype == TensorDType.F16 ? (float)BitConverter.UInt16BitsToHalf(data[i]) : BitConverter.UInt32BitsToSingle((uint)data[i] << 16);
                }
                var w = new Matrix(data, dtype, rows, cols);
                const int count = 3;
                float[] x = Uniform(random, count * cols);
                float[] single = new float[rows], batch = new float[count * rows], threaded = new float[count * rows];
                Kernels.MatVec(w, x.AsSpan(0, cols), single);
                Kernels.MatMul(w, x, count, batch);
                pool.MatMul(w, x, count, threaded);
                Assert.True(batch.AsSpan().SequenceEqual(threaded), $"{dtype} {rows}x{cols}: threads changed bits");
                fixed (float* widened = wide)
                {
                    var asFloat = new float[count * rows];
                    Kernels.MatMul(new Matrix(widened, rows, cols), x, count, asFloat);
                    Assert.True(batch.AsSpan().SequenceEqual(asFloat), $"{dtype} {rows}x{cols}: not the bits of the float32 product of the widened weight");
                }
                for (int r = 0; r < rows; r++)
                {
                    for (int t = 0; t < count; t++)
                    {
                        (double expected, double magnitude) = Oracle.Dot(wide.AsSpan(r * cols, cols), x.AsSpan(t * cols, cols));
                        Near(expected, batch[(t * rows) + r], SumBound(cols, magnitude), $"{dtype} MatMul {rows}x{cols}, row {r}, token {t}");
                        if (t == 0)
                        {
                            Near(expected, single[r], SumBound(cols, magnitude), $"{dtype} MatVec {rows}x{cols}, row {r}");
                        }
                    }
                }
                var row = new float[cols];
                w.CopyRowTo(rows - 1, row);
                Assert.True(row.AsSpan().SequenceEqual(wide.AsSpan((rows - 1) * cols, cols)), $"{dtype} CopyRowTo");
                Assert.Throws<InvalidOperationException>(() => w.Row(0));
            }
            finally
            {
                NativeMemory.AlignedFree(data);
            }
        }
    }
}
