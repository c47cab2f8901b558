using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using EdgeJamba.Layout;

namespace EdgeJamba.Runtime.Tests.KernelTests;

/// <summary>The q8_0 pieces against straightforward float64 implementations written here (llama.cpp's Q8_0 rules).</summary>
public sealed unsafe class Q8Tests
{
    internal delegate float DotKernel(ReadOnlySpan<sbyte> w, ReadOnlySpan<float> wScales, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> xScales);

    public static TheoryData<string> Paths => new(["scalar", "vector128", "avx2", "sdot", "dispatch"]);

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void Q8Dot_on_every_path_is_the_scaled_sum_of_exact_block_sums(string path)
    {
        DotKernel dot = path switch
        {
            "scalar" => Kernels.Q8DotScalar,
            "vector128" => Kernels.Q8DotVector128,
            "avx2" => Kernels.Q8DotAvx2,
            "sdot" => Kernels.Q8DotSdot,
            _ => Kernels.Q8Dot,
        };
        Skip.If(path == "avx2" && !Avx2.IsSupported, "this CPU has no AVX2");
        Skip.If(path == "sdot" && !Dp.IsSupported, "this CPU has no Arm dot product (SDOT); the arm64 tests run it under qemu");
        Skip.If(path == "vector128" && !Vector128.IsHardwareAccelerated, "128-bit vectors are not accelerated here");
        var random = new Random(21);
        foreach (int cols in KernelTestData.Lengths.Concat([1000, 2560, 6912]))
        {
            int padded = QuantizedRows.PadColumns(cols), blocks = padded / QuantizedRows.Q8Block;
            sbyte[] w = Codes(random, cols, padded), x = Codes(random, cols, padded);
            float[] ws = Scales(random, blocks), xs = Scales(random, blocks);
            double expected = 0, magnitude = 0;
            float inBlockOrder = 0f;
            for (int b = 0; b < blocks; b++)
            {
                long block = 0, absolute = 0;
                for (int i = b * 32; i < (b + 1) * 32; i++)
                {
                    block += w[i] * x[i];
                    absolute += Math.Abs(w[i] * x[i]);
                }
                expected += block * (double)ws[b] * xs[b];
                magnitude += absolute * (double)ws[b] * xs[b];
                inBlockOrder += block * (ws[b] * xs[b]);
            }
            float actual = dot(w, ws, x, xs);
            // Partial block sums (up to 8 lanes of 4 products each) are exact integers; each is scaled and added in float32.
            KernelTestData.Near(expected, actual, KernelTestData.SumBound((8 * blocks) + 2, magnitude), $"{path}, {cols} columns");
            if (path is "scalar" or "vector128" or "sdot")
            {
                // These add each block's exact sum times its scale product in block order: the same float32 result, bit for bit.
                Assert.True(BitConverter.SingleToInt32Bits(inBlockOrder) == BitConverter.SingleToInt32Bits(actual), $"{path}, {cols} columns: {actual} vs {inBlockOrder}");
            }
        }
    }

    [Fact]
    public void QuantizeQ8Row_is_llama_cpp_q8_0_per_block_with_zero_padding()
    {
        var random = new Random(22);
        float[] row = KernelTestData.Uniform(random, 70, 2f);
        row[5] = 0f;
        row[40] = 1.7f; // block 1's max
        var quants = new sbyte[128];
        var scales = new float[4];
        WeightQuantizer.QuantizeQ8Row(row, quants, scales);
        for (int b = 0; b < 3; b++)
        {
            var block = row.Skip(b * 32).Take(32).ToArray();
            double d = block.Max(v => Math.Abs((double)v)) / 127;
            Assert.Equal(d, scales[b], 1e-7);
            for (int i = 0; i < block.Length; i++)
            {
                double scaled = block[i] / d;
                if (Math.Abs(Math.Abs(scaled - Math.Truncate(scaled)) - 0.5) > 1e-4)
                {
                    Assert.Equal(Math.Round(scaled, MidpointRounding.AwayFromZero), quants[(b * 32) + i]);
                }
            }
        }
        Assert.Equal(0f, scales[3]);
        Assert.All(quants[70..], q => Assert.Equal(0, q));
        Assert.Contains(quants, q => q is 127 or -127);

        // An all-zero block has scale 0 and codes 0 (llama.cpp's id = 0).
        WeightQuantizer.QuantizeQ8Row(new float[3], quants, scales);
        Assert.Equal(0f, scales[0]);
        Assert.All(quants, q => Assert.Equal(0, q));
    }

    [Fact]
    public void QuantizeQ8Row_rounds_each_float32_quotient_half_away_from_zero_bit_for_bit()
    {
        var random = new Random(24);
        const int cols = 7 * 32 + 5;
        float[] row = KernelTestData.Uniform(random, cols, 3f);
        // Block 1: its maximum is 127, so d = 1 and each quotient is the value itself: exact halves and the floats beside them.
        float[] halves = [127f, 2.5f, -2.5f, 0.5f, -0.5f, 126.5f, -126.5f, 0.49999997f, -0.49999997f, 1.5000001f, -1.4999999f, 3.5f, -0f];
        halves.CopyTo(row, 32);
        row.AsSpan(64, 32).Clear(); // block 2: all zero
        row[100] = float.NaN; // block 3
        row[140] = float.PositiveInfinity; // block 4
        row[cols - 1] = -2.25f; // the partial last block
        var quants = new sbyte[QuantizedRows.PadColumns(cols)];
        var scales = new float[quants.Length / 32];
        WeightQuantizer.QuantizeQ8Row(row, quants, scales);
        for (int b = 0; b * 32 < cols; b++)
        {
            var block = row.AsSpan(b * 32, Math.Min(32, cols - (b * 32)));
            float absMax = 0f;
            bool nan = false;
            foreach (float v in block)
            {
                nan |= float.IsNaN(v);
                absMax = Math.Abs(v) > absMax ? Math.Abs(v) : absMax;
            }
            float d = nan ? float.NaN : absMax / 127f, inverse = d != 0 ? 1f / d : 0f;
            Assert.True(nan ? float.IsNaN(scales[b]) : BitConverter.SingleToInt32Bits(d) == BitConverter.SingleToInt32Bits(scales[b]), $"block {b}: scale {scales[b]} vs {d}");
            for (int i = 0; i < block.Length; i++)
            {
                float quotient = block[i] * inverse;
                // A NaN quotient (a NaN in the block, or an infinity times 0) gives code 0.
                double expected = float.IsNaN(quotient) ? 0 : Math.Round((double)quotient, MidpointRounding.AwayFromZero);
                Assert.True(expected == quants[(b * 32) + i], $"block {b}, value {block[i]}: code {quants[(b * 32) + i]} vs {expected}");
            }
        }
        Assert.Equal(new sbyte[] { 127, 3, -3, 1, -1, 127, -127, 0, 0, 2, -1, 4, 0 }, quants[32..45]);
        Assert.All(quants[cols..], q => Assert.Equal(0, q));
    }

    [Fact]
    public void Q8MatMul_with_quantized_inputs_approaches_the_float_product()
    {
        var random = new Random(23);
        const int rows = 9, cols = 200, count = 3;
        int padded = QuantizedRows.PadColumns(cols), blocks = padded / QuantizedRows.Q8Block;
        float[] weights = KernelTestData.Uniform(random, rows * cols), inputs = KernelTestData.Uniform(random, count * cols);
        var wq = new sbyte[rows * padded];
        var wScales = new float[rows * blocks];
        for (int r = 0; r < rows; r++)
        {
            WeightQuantizer.QuantizeQ8Row(weights.AsSpan(r * cols, cols), wq.AsSpan(r * padded, padded), wScales.AsSpan(r * blocks, blocks));
        }
        var xq = new sbyte[count * padded];
        var xScales = new float[count * blocks];
        Kernels.QuantizeQ8Rows(inputs, count, cols, xq, xScales);
        var destination = new float[count * rows];
        fixed (sbyte* q = wq)
        fixed (float* s = wScales)
        {
            Kernels.Q8MatMul(new Q8Matrix(q, s, rows, cols), xq, xScales, count, destination);
        }
        for (int t = 0; t < count; t++)
        {
            for (int r = 0; r < rows; r++)
            {
                double exact = 0, magnitude = 0;
                for (int c = 0; c < cols; c++)
                {
                    exact += weights[(r * cols) + c] * (double)inputs[(t * cols) + c];
                    magnitude += Math.Abs(weights[(r * cols) + c] * (double)inputs[(t * cols) + c]);
                }
                // Each factor is off by at most half a step (1/254 of its block's max ≤ 1): |error| ≤ Σ (|w| + |x| + 1/254) / 254.
                Assert.True(Math.Abs(exact - destination[(t * rows) + r]) <= 2.0 * cols / 254, $"token {t}, row {r}: {destination[(t * rows) + r]} vs {exact}");
                Assert.True(magnitude > 0);
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(KernelTestData.RowGroups), MemberType = typeof(KernelTestData))]
    public void Q8MatMul_rows_in_groups_of_four_have_the_bits_of_the_one_row_dot(string groups)
    {
        Kernels.RowGroupKernel? kernel = KernelTestData.RowGroupKernel(groups);
        var random = new Random(31);
        const int rows = 11, cols = 200, count = 3;
        int padded = QuantizedRows.PadColumns(cols), blocks = padded / QuantizedRows.Q8Block;
        sbyte[] wq = Codes(random, rows * padded, rows * padded), xq = new sbyte[count * padded];
        float[] wScales = Scales(random, rows * blocks), xScales = Scales(random, count * blocks);
        for (int t = 0; t < count; t++)
        {
            Codes(random, cols, padded).CopyTo(xq, t * padded);
        }
        // The extremes of the codes: a row and a token of +127, a row and a token of −127 (the largest lane sums either way).
        wq.AsSpan(2 * padded, cols).Fill(127);
        wq.AsSpan(5 * padded, cols).Fill(-127);
        xq.AsSpan(0, cols).Fill(127);
        xq.AsSpan(padded, cols).Fill(-127);
        for (int r = 0; r < rows; r++)
        {
            wq.AsSpan((r * padded) + cols, padded - cols).Clear();
        }
        fixed (sbyte* q = wq)
        fixed (float* s = wScales)
        {
            var w = new Q8Matrix(q, s, rows, cols);
            // All rows (two groups of four and a tail of three), then a range that starts off a group boundary.
            foreach (var (start, end) in new[] { (0, rows), (1, 10) })
            {
                var destination = new float[count * rows];
                if (kernel is { } kind)
                {
                    Kernels.Q8MatMulRows(w, xq, xScales, count, destination, start, end, kind);
                }
                else
                {
                    Kernels.Q8MatMulRows(w, xq, xScales, count, destination, start, end);
                }
                for (int t = 0; t < count; t++)
                {
                    for (int r = 0; r < rows; r++)
                    {
                        float expected = r < start || r >= end ? 0f
                            : Kernels.Q8Dot(w.Row(r), w.RowScales(r), xq.AsSpan(t * padded, padded), xScales.AsSpan(t * blocks, blocks));
                        float actual = destination[(t * rows) + r];
                        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                            $"{groups}, rows {start}..{end}, token {t}, row {r}: {actual} vs {expected}");
                    }
                }
                Assert.Contains(destination, v => v != 0);
            }
        }
    }

    [Fact]
    public void Q8MatMul_on_a_worker_pool_has_the_bits_of_one_thread()
    {
        var random = new Random(29);
        const int rows = 150, cols = 200, count = 3;
        int padded = QuantizedRows.PadColumns(cols), blocks = padded / QuantizedRows.Q8Block;
        float[] weights = KernelTestData.Uniform(random, rows * cols), inputs = KernelTestData.Uniform(random, count * cols);
        var wq = new sbyte[rows * padded];
        var wScales = new float[rows * blocks];
        for (int r = 0; r < rows; r++)
        {
            WeightQuantizer.QuantizeQ8Row(weights.AsSpan(r * cols, cols), wq.AsSpan(r * padded, padded), wScales.AsSpan(r * blocks, blocks));
        }
        var xq = new sbyte[count * padded];
        var xScales = new float[count * blocks];
        Kernels.QuantizeQ8Rows(inputs, count, cols, xq, xScales);
        float[] one = new float[count * rows], many = new float[count * rows];
        fixed (sbyte* q = wq)
        fixed (float* s = wScales)
        {
            var w = new Q8Matrix(q, s, rows, cols);
            Kernels.Q8MatMul(w, xq, xScales, count, one);
            for (int threads = 2; threads <= 4; threads++)
            {
                using var pool = new WorkerPool(threads, minMultiplyAddsPerThread: 1);
                Array.Clear(many);
                pool.Q8MatMul(w, xq, xScales, count, many);
                Assert.True(one.AsSpan().SequenceEqual(many), $"{threads} threads");
                Assert.Throws<ArgumentException>(() => pool.Q8MatMul(w, xq, xScales.AsSpan(0, (count * blocks) - 1), count, many));
            }
        }
        Assert.Contains(one, v => v != 0);
    }

    private static sbyte[] Codes(Random random, int cols, int padded)
    {
        var x = new sbyte[padded];
        for (int c = 0; c < cols; c++)
        {
            x[c] = (sbyte)random.Next(-127, 128);
        }
        return x;
    }

    private static float[] Scales(Random random, int blocks)
    {
        var s = new float[blocks];
        for (int b = 0; b < blocks; b++)
        {
            s[b] = (float)(random.NextDouble() * 0.02);
        }
        return s;
    }
}
