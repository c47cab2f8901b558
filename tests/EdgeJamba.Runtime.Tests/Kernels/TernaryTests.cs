using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using EdgeJamba.Layout;
using EdgeJamba.Runtime.Tests.Weights;
using static EdgeJamba.Runtime.Tests.Weights.SafetensorsWriter;

namespace EdgeJamba.Runtime.Tests.KernelTests;

/// <summary>
/// The BitNet pieces against straightforward implementations written here: the packed ternary × int8 dot product on every
/// path (exact integer sums), the per-token int8 quantization rule, the absmean ternarization, and HF's packed layout.
/// </summary>
public sealed unsafe class TernaryTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    internal delegate int DotKernel(ReadOnlySpan<byte> row, ReadOnlySpan<sbyte> x);

    public static TheoryData<string> Paths => new(["scalar", "vector128", "avx2", "sdot", "dispatch"]);

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void TernaryDot_on_every_path_is_the_exact_integer_sum(string path)
    {
        DotKernel dot = path switch
        {
            "scalar" => Kernels.TernaryDotScalar,
            "vector128" => Kernels.TernaryDotVector128,
            "avx2" => Kernels.TernaryDotAvx2,
            "sdot" => Kernels.TernaryDotSdot,
            _ => Kernels.TernaryDot,
        };
        Skip.If(path == "avx2" && !Avx2.IsSupported, "this CPU has no AVX2");
        Skip.If(path == "sdot" && !Dp.IsSupported, "this CPU has no Arm dot product (SDOT); the arm64 tests run it under qemu");
        Skip.If(path == "vector128" && !Vector128.IsHardwareAccelerated, "128-bit vectors are not accelerated here");
        var random = new Random(11);
        foreach (int cols in KernelTestData.Lengths.Concat([257, 383, 384, 1000, 2560, 6912]))
        {
            (sbyte[] values, byte[] packed) = RandomTernary(random, 1, cols);
            sbyte[] x = RandomCodes(random, cols, TernaryMatrix.PadColumns(cols));
            long expected = 0;
            for (int c = 0; c < cols; c++)
            {
                expected += values[c] * x[c];
            }
            Assert.True(expected == dot(packed, x), $"{path}, {cols} columns");
        }
    }

    [Fact]
    public void TernaryDot_extreme_codes_do_not_overflow_the_16_bit_block_sums()
    {
        const int cols = 6912;
        var values = new sbyte[cols];
        var x = new sbyte[TernaryMatrix.PadColumns(cols)];
        for (int c = 0; c < cols; c++)
        {
            values[c] = (sbyte)(c % 2 == 0 ? 1 : -1);
            x[c] = (sbyte)(c % 2 == 0 ? 127 : -127);
        }
        var packed = new byte[TernaryMatrix.PackedBytes(1, cols)];
        TernaryMatrix.Pack(values, 1, cols, packed);
        Assert.Equal(127 * cols, Kernels.TernaryDotScalar(packed, x));
        Assert.Equal(127 * cols, Kernels.TernaryDotVector128(packed, x));
        if (Avx2.IsSupported)
        {
            Assert.Equal(127 * cols, Kernels.TernaryDotAvx2(packed, x));
        }
        if (Dp.IsSupported)
        {
            Assert.Equal(127 * cols, Kernels.TernaryDotSdot(packed, x));
        }
    }

    [Fact]
    public void Pack_places_every_value_where_the_indexer_and_the_documented_layout_find_it()
    {
        var random = new Random(5);
        (sbyte[] values, byte[] packed) = RandomTernary(random, 3, 300);
        fixed (byte* data = packed)
        {
            var matrix = new TernaryMatrix(data, 3, 300, 1f);
            Assert.Equal(384 / 4, matrix.Stride);
            for (int r = 0; r < 3; r++)
            {
                for (int c = 0; c < 300; c++)
                {
                    Assert.Equal(values[(r * 300) + c], matrix[r, c]);
                    // Block c / 128, byte c % 32, bit pair (c % 128) / 32; code = value + 1.
                    int b = packed[(r * 96) + (c / 128 * 32) + (c % 32)];
                    Assert.Equal(values[(r * 300) + c] + 1, (b >> (2 * (c % 128 / 32))) & 3);
                }
                for (int c = 300; c < 384; c++)
                {
                    Assert.Equal(0, matrix[r, c]);
                }
            }
        }
        Assert.Throws<ArgumentException>(() => TernaryMatrix.Pack([2], 1, 1, new byte[32]));
    }

    [Fact]
    public void QuantizeInt8Rows_rounds_half_to_even_by_the_row_absmax_and_zeroes_the_padding()
    {
        // absmax 127 → s = 1: the codes are the values rounded half to even.
        float[] x = [127f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -127f, 3.49f, 0f, 0f, 0f, 0f];
        var codes = new sbyte[2 * 128];
        codes.AsSpan().Fill(99);
        var scales = new float[2];
        Kernels.QuantizeInt8Rows(x, 2, 6, codes, scales);
        Assert.Equal([127, 0, 2, 2, 0, -2], codes[..6].Select(c => (int)c));
        Assert.Equal([-127, 3, 0, 0, 0, 0], codes[128..134].Select(c => (int)c));
        Assert.All(codes[6..128].Concat(codes[134..]), c => Assert.Equal(0, c));
        Assert.Equal(1f, scales[0]);
        Assert.Equal(1f, scales[1]);

        // A row of zeros takes the 1e-5 floor: scale 1e-5 / 127, codes 0.
        Kernels.QuantizeInt8Rows(new float[5], 1, 5, codes, scales);
        Assert.Equal(1e-5f / 127f, scales[0]);

        // Random rows against the rule in float64 (positions near a rounding boundary excepted).
        var random = new Random(8);
        float[] row = KernelTestData.Uniform(random, 1000, 3f);
        var rowCodes = new sbyte[1024];
        Kernels.QuantizeInt8Rows(row, 1, 1000, rowCodes, scales);
        double absMax = row.Max(v => Math.Abs((double)v)), s = 127 / absMax;
        for (int i = 0; i < row.Length; i++)
        {
            double scaled = row[i] * s;
            if (Math.Abs(Math.Abs(scaled - Math.Floor(scaled)) - 0.5) > 1e-4)
            {
                Assert.Equal(Math.Round(scaled, MidpointRounding.ToEven), rowCodes[i]);
            }
        }
        Assert.Equal(absMax / 127, scales[0], 1e-9);
    }

    [Fact]
    public void QuantizeInt8Rows_rounds_each_float32_product_half_to_even_bit_for_bit()
    {
        var random = new Random(10);
        foreach (int cols in new[] { 5, 32, 77, 300 })
        {
            const int count = 3;
            float[] x = KernelTestData.Uniform(random, count * cols, 3f);
            // Row 0: its absmax is 127, so s = 1 and each product is the value itself: exact halves and the floats beside them.
            float[] halves = [127f, 2.5f, -2.5f, 0.5f, -0.5f, 126.5f, -126.5f, 0.49999997f, -0.49999997f, 1.5000001f, -1.4999999f, 3.5f, -0f];
            halves.AsSpan(0, Math.Min(cols, halves.Length)).CopyTo(x);
            x[0] = 127f;
            x[cols + (cols / 2)] = float.NaN; // row 1
            var codes = new sbyte[count * TernaryMatrix.PadColumns(cols)];
            var scales = new float[count];
            Kernels.QuantizeInt8Rows(x, count, cols, codes, scales);
            for (int t = 0; t < count; t++)
            {
                var row = x.AsSpan(t * cols, cols);
                float absMax = 0f;
                bool nan = false;
                foreach (float v in row)
                {
                    nan |= float.IsNaN(v);
                    absMax = Math.Abs(v) > absMax ? Math.Abs(v) : absMax;
                }
                float clamped = nan ? float.NaN : Math.Max(absMax, 1e-5f), s = 127f / clamped;
                Assert.True(nan ? float.IsNaN(scales[t]) : BitConverter.SingleToInt32Bits(clamped / 127f) == BitConverter.SingleToInt32Bits(scales[t]),
                    $"{cols} columns, row {t}: scale {scales[t]}");
                for (int i = 0; i < cols; i++)
                {
                    float product = row[i] * s;
                    // A NaN product gives code 0.
                    double expected = float.IsNaN(product) ? 0 : Math.Clamp(Math.Round((double)product, MidpointRounding.ToEven), -127, 127);
                    int at = (t * TernaryMatrix.PadColumns(cols)) + i;
                    Assert.True(expected == codes[at], $"{cols} columns, row {t}, value {row[i]}: code {codes[at]} vs {expected}");
                }
            }
            if (cols >= halves.Length)
            {
                Assert.Equal(new sbyte[] { 127, 2, -2, 0, 0, 126, -126, 0, 0, 2, -1, 4, 0 }, codes[..halves.Length]);
            }
        }
    }

    [Fact]
    public void TernaryMatMul_is_the_dequantized_product_for_every_token()
    {
        var random = new Random(9);
        const int rows = 37, cols = 300, count = 5;
        (sbyte[] values, byte[] packed) = RandomTernary(random, rows, cols);
        int stride = TernaryMatrix.PadColumns(cols);
        var x = new sbyte[count * stride];
        var scales = new float[count];
        for (int t = 0; t < count; t++)
        {
            RandomCodes(random, cols, stride).CopyTo(x, t * stride);
            scales[t] = (float)(random.NextDouble() + 0.01);
        }
        var destination = new float[count * rows];
        fixed (byte* data = packed)
        {
            var w = new TernaryMatrix(data, rows, cols, 0.75f);
            Kernels.TernaryMatMul(w, x, scales, count, destination);
            Assert.Throws<ArgumentException>(() => Kernels.TernaryMatMul(w, x.AsSpan(0, (count * stride) - 1), scales, count, destination));
        }
        for (int t = 0; t < count; t++)
        {
            for (int r = 0; r < rows; r++)
            {
                double sum = 0;
                for (int c = 0; c < cols; c++)
                {
                    sum += values[(r * cols) + c] * (double)x[(t * stride) + c];
                }
                double expected = sum * 0.75 * scales[t];
                Assert.True(Math.Abs(expected - destination[(t * rows) + r]) <= 4 * KernelTestData.U * Math.Abs(expected) + 1e-30,
                    $"token {t}, row {r}: {destination[(t * rows) + r]} vs {expected}");
            }
        }
    }

    /// <summary>
    /// Every four-row kernel gives each output as its exact integer sum times the two scales (written out here), for a range
    /// that starts off a group boundary and ends in a tail, one token (decode) and several, and the extreme codes.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(KernelTestData.RowGroups), MemberType = typeof(KernelTestData))]
    public void TernaryMatMulRows_on_every_row_group_kernel_is_the_exact_sum_times_the_scales(string groups)
    {
        Kernels.RowGroupKernel? kernel = KernelTestData.RowGroupKernel(groups);
        var random = new Random(12);
        const int rows = 11, cols = 300;
        int stride = TernaryMatrix.PadColumns(cols);
        (sbyte[] values, byte[] packed) = RandomTernary(random, rows, cols);
        // Row 2 all +1 and row 5 all −1, against a token of +127 and one of −127: the largest sums either way.
        values.AsSpan(2 * cols, cols).Fill(1);
        values.AsSpan(5 * cols, cols).Fill(-1);
        TernaryMatrix.Pack(values, rows, cols, packed);
        foreach (int count in new[] { 1, 3 })
        {
            var x = new sbyte[count * stride];
            var scales = new float[count];
            for (int t = 0; t < count; t++)
            {
                RandomCodes(random, cols, stride).CopyTo(x, t * stride);
                scales[t] = (float)(random.NextDouble() + 0.01);
            }
            x.AsSpan(0, cols).Fill(127);
            if (count > 1)
            {
                x.AsSpan(stride, cols).Fill(-127);
            }
            fixed (byte* data = packed)
            {
                var w = new TernaryMatrix(data, rows, cols, 0.75f);
                foreach (var (start, end) in new[] { (0, rows), (1, 10) })
                {
                    var destination = new float[count * rows];
                    if (kernel is { } kind)
                    {
                        Kernels.TernaryMatMulRows(w, x, scales, count, destination, start, end, kind);
                    }
                    else
                    {
                        Kernels.TernaryMatMulRows(w, x, scales, count, destination, start, end);
                    }
                    for (int t = 0; t < count; t++)
                    {
                        for (int r = 0; r < rows; r++)
                        {
                            int sum = 0;
                            for (int c = 0; c < cols; c++)
                            {
                                sum += values[(r * cols) + c] * x[(t * stride) + c];
                            }
                            float expected = r < start || r >= end ? 0f : sum * (0.75f * scales[t]);
                            float actual = destination[(t * rows) + r];
                            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                                $"{groups}, {count} tokens, rows {start}..{end}, token {t}, row {r}: {actual} vs {expected}");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void TernaryMatMul_on_a_worker_pool_has_the_bits_of_one_thread()
    {
        var random = new Random(19);
        const int rows = 200, cols = 300, count = 3;
        (_, byte[] packed) = RandomTernary(random, rows, cols);
        int stride = TernaryMatrix.PadColumns(cols);
        var x = new sbyte[count * stride];
        var scales = new float[count];
        for (int t = 0; t < count; t++)
        {
            RandomCodes(random, cols, stride).CopyTo(x, t * stride);
            scales[t] = (float)(random.NextDouble() + 0.01);
        }
        float[] one = new float[count * rows], many = new float[count * rows];
        fixed (byte* data = packed)
        {
            var w = new TernaryMatrix(data, rows, cols, 0.75f);
            Kernels.TernaryMatMul(w, x, scales, count, one);
            for (int threads = 2; threads <= 4; threads++)
            {
                using var pool = new WorkerPool(threads, minMultiplyAddsPerThread: 1);
                Array.Clear(many);
                pool.TernaryMatMul(w, x, scales, count, many);
                Assert.True(one.AsSpan().SequenceEqual(many), $"{threads} threads");
                Assert.Throws<ArgumentException>(() => pool.TernaryMatMul(w, x.AsSpan(0, (count * stride) - 1), scales, count, many));
            }
        }
        Assert.Contains(one, v => v != 0);
    }

    [Fact]
    public void Ternarize_is_absmean_round_half_to_even_clamped()
    {
        var random = new Random(4);
        float[] weights = KernelTestData.Uniform(random, 999, 0.2f);
        var values = new sbyte[weights.Length];
        float gamma = WeightQuantizer.Ternarize(weights, values);
        double mean = weights.Average(w => Math.Abs((double)w));
        Assert.Equal(mean, gamma, 1e-7);
        for (int i = 0; i < weights.Length; i++)
        {
            double scaled = weights[i] / mean;
            if (Math.Abs(Math.Abs(scaled - Math.Floor(scaled)) - 0.5) > 1e-4)
            {
                Assert.Equal(Math.Clamp(Math.Round(scaled, MidpointRounding.ToEven), -1, 1), values[i]);
            }
        }
        Assert.Equal(WeightQuantizer.TernaryEpsilon, WeightQuantizer.Ternarize(new float[3], new sbyte[3]));
    }

    [Theory]
    [InlineData(TernaryScale.Multiply)]
    [InlineData(TernaryScale.Divide)]
    public void Checkpoint_unpacks_hf_packed_weights_in_block_row_order_and_reads_the_scale(TernaryScale scale)
    {
        // Logical [8, 3]: row o = j·2 + r lives in packed row r, bits 2j..2j+1 (HF pack_weights).
        var random = new Random(6);
        var logical = new int[8, 3];
        var packedBytes = new byte[2 * 3];
        for (int o = 0; o < 8; o++)
        {
            for (int c = 0; c < 3; c++)
            {
                logical[o, c] = random.Next(-1, 2);
                packedBytes[(o % 2 * 3) + c] |= (byte)((logical[o, c] + 1) << (2 * (o / 2)));
            }
        }
        Write(_temp.File("model.safetensors"), [new Tensor("p.weight", "U8", [2, 3], packedBytes), F32("p.weight_scale", [1], [2f]),
            F32("f.weight", [4, 2], [0.1f, -0.3f, 0.02f, 0.2f, -0.2f, 0.25f, 0f, -0.05f])]);
        using Checkpoint checkpoint = Checkpoint.Open(_temp.Path);
        TernaryMatrix m = checkpoint.Ternary("p.weight", 8, 3, scale);
        for (int o = 0; o < 8; o++)
        {
            for (int c = 0; c < 3; c++)
            {
                Assert.Equal(logical[o, c], m[o, c]);
            }
        }
        Assert.Equal(scale == TernaryScale.Multiply ? 2f : 0.5f, m.Scale);

        // Float weights are ternarized at load: γ = mean |w| = 0.14; w / γ rounds to 1, -2 → -1, 0, 1, -1, 2 → 1, 0, 0.
        TernaryMatrix f = checkpoint.Ternary("f.weight", 4, 2, scale);
        Assert.Equal(0.14f, f.Scale, 1e-6f);
        Assert.Equal([1, -1, 0, 1, -1, 1, 0, 0], Enumerable.Range(0, 8).Select(i => f[i / 2, i % 2]));

        var error = Assert.Throws<EdgeJambaException>(() => checkpoint.Ternary("p.weight", 4, 3, scale));
        Assert.Contains("p.weight", error.Message, StringComparison.Ordinal);
    }

    private static (sbyte[] Values, byte[] Packed) RandomTernary(Random random, int rows, int cols)
    {
        var values = new sbyte[rows * cols];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (sbyte)random.Next(-1, 2);
        }
        var packed = new byte[TernaryMatrix.PackedBytes(rows, cols)];
        TernaryMatrix.Pack(values, rows, cols, packed);
        return (values, packed);
    }

    /// <summary>Codes in [−127, 127] for the first <paramref name="cols"/> of <paramref name="padded"/>, zero after.</summary>
    private static sbyte[] RandomCodes(Random random, int cols, int padded)
    {
        var x = new sbyte[padded];
        for (int c = 0; c < cols; c++)
        {
            x[c] = (sbyte)random.Next(-127, 128);
        }
        return x;
    }
}
