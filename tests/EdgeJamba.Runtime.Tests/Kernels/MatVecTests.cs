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

    /// <summary>Widen gives every F16 bit pattern's value as <see cref="Half"/> converts it (NaN stays NaN), and BF16's as the upper half of a float.</summary>
    [Fact]
    public void Widen_is_exact_for_every_16_bit_pattern()
    {
        var patterns = Enumerable.Range(0, 65536).Select(i => (ushort)i).ToArray();
        var widened = new float[patterns.Length];
        Kernels.Widen(patterns, TensorDType.F16, widened);
        for (int i = 0; i < patterns.Length; i++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf(patterns[i]);
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(widened[i]) || (float.IsNaN(expected) && float.IsNaN(widened[i])),
                $"F16 0x{patterns[i]:X4}: {widened[i]} vs {expected}");
        }
        Kernels.Widen(patterns, TensorDType.BF16, widened);
        for (int i = 0; i < patterns.Length; i++)
        {
            Assert.Equal((uint)patterns[i] << 16, BitConverter.SingleToUInt32Bits(widened[i]));
        }
    }

    /// <summary>
    /// Float32 rows go eight at a time (AVX, eight columns or more, the last columns' scalar tail added per row), then two at a time, or one at a time for a weight over 256 KiB (100 × 768); each row still has the bits of <see cref="Kernels.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>
    /// of that row alone, whether it is the first or second of a pair or the odd last row, and whatever range of rows is asked for.
    /// </summary>
    [Fact]
    public void MatVec_of_float_rows_has_the_bits_of_each_row_alone()
    {
        var random = new Random(5);
        foreach (int cols in Lengths.Concat([128, 288, 768]))
        {
            foreach (int rows in new[] { 1, 2, 5, 8, 11, 19, 100 })
            {
                using var w = new NativeMatrix(rows, cols, random);
                float[] x = Uniform(random, cols), destination = new float[rows];
                Kernels.MatVec(w.Matrix, x, destination);
                for (int r = 0; r < rows; r++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(Kernels.Dot(w.Matrix.Row(r), x)) == BitConverter.SingleToInt32Bits(destination[r]),
                        $"{rows}x{cols}, row {r}: {destination[r]} vs {Kernels.Dot(w.Matrix.Row(r), x)}");
                }
            }
        }
    }

    /// <summary>
    /// A 16-bit row widened in registers (AVX2, eight at a time; sixteen at a time where AVX-512 is supported, and CI runs the
    /// test both ways) sums exactly as the 256-bit dot product of the row widened independently of the kernels (F16 by
    /// <see cref="Half"/>'s conversion, BF16 as a float's upper half), bit for bit: every F16 bit pattern but NaN, and BF16 ones,
    /// in rows of every length 8..107 (narrower rows take the 128-bit path).
    /// </summary>
    [SkippableTheory]
    [InlineData(TensorDType.F16)]
    [InlineData(TensorDType.BF16)]
    public unsafe void MatVec_of_16_bit_weights_has_the_bits_of_the_widened_dot_product(TensorDType dtype)
    {
        Skip.IfNot(System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported,
            "the in-register widening is the AVX2 path (256-bit vectors with FMA)");
        var random = new Random(4);
        var patterns = Enumerable.Range(0, 65536).Select(i => (ushort)i)
            .Where(h => dtype == TensorDType.BF16 ? (h & 0x7F80) != 0x7F80 : (h & 0x7C00) != 0x7C00 || (h & 0x3FF) == 0) // no NaN (F16 keeps ±inf)
            .ToArray();
        for (int start = 0, cols = 8; start < patterns.Length; start += cols, cols = 8 + ((cols - 7) % 100))
        {
            int n = Math.Max(8, Math.Min(cols, patterns.Length - start));
            start = Math.Min(start, patterns.Length - n);
            var row = patterns.AsSpan(start, n).ToArray();
            float[] x = Uniform(random, n), actual = new float[1];
            float[] widened = row.Select(h => dtype == TensorDType.F16 ? (float)BitConverter.UInt16BitsToHalf(h) : BitConverter.Int32BitsToSingle(h << 16)).ToArray();
            fixed (ushort* data = row)
            {
                Kernels.MatVec(new Matrix(data, dtype, 1, n), x, actual);
            }
            float expected = Kernels.Dot<Simd256, System.Runtime.Intrinsics.Vector256<float>>(widened, x);
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual[0]) || (float.IsNaN(expected) && float.IsNaN(actual[0])),
                $"{dtype}, patterns {start}..{start + n - 1}: {actual[0]} vs {expected}");
        }
    }

    /// <summary>
    /// An <see cref="F16LineMap"/> sets a line's bit exactly when its 32 halves are zeros or normal numbers, by
    /// <see cref="Half"/>'s own classification (lines of random normal halves, each with one F16 bit pattern planted, every
    /// pattern once, in rows of 11 lines and 5 columns more: a partial line has no bit); holds each irregular line of a row
    /// times 2^10, as <see cref="Half"/> multiplies, in row order; and leaves a row exact (−1) exactly when one of its
    /// irregular lines has an infinity, a NaN or a magnitude of 64 or more.
    /// </summary>
    [Fact]
    public unsafe void F16LineMap_marks_the_regular_lines_and_scales_the_others_by_2_to_the_10()
    {
        const int lines = 11, cols = (lines * F16LineMap.LineColumns) + 5, rows = (65536 + lines - 1) / lines;
        var random = new Random(6);
        var data = new ushort[rows * cols];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = BitConverter.HalfToUInt16Bits((Half)(((random.NextDouble() * 2) - 1) * 60));
        }
        for (int pattern = 0; pattern < 65536; pattern++)
        {
            int row = pattern / lines, line = pattern % lines;
            data[(row * cols) + (line * F16LineMap.LineColumns) + random.Next(F16LineMap.LineColumns)] = (ushort)pattern;
        }
        Assert.Equal(16, F16LineMap.RecordBytes(cols));
        fixed (ushort* weights = data)
        {
            using var map = F16LineMap.Create(weights, rows, cols);
            long expectedScaled = 0;
            int exactRows = 0;
            for (int row = 0; row < rows; row++)
            {
                Half[][] values = Enumerable.Range(0, lines)
                    .Select(line => data.AsSpan((row * cols) + (line * F16LineMap.LineColumns), F16LineMap.LineColumns).ToArray().Select(BitConverter.UInt16BitsToHalf).ToArray())
                    .ToArray();
                bool[] regular = values.Select(line => line.All(h => Half.IsFinite(h) && !Half.IsSubnormal(h))).ToArray();
                bool exact = values.Where((line, i) => !regular[i]).Any(line => line.Any(h => !Half.IsFinite(h) || Half.Abs(h) >= (Half)64));
                byte* record = map.Records + ((long)row * F16LineMap.RecordBytes(cols));
                ulong bits = *(ulong*)(record + 8);
                for (int line = 0; line < 64; line++)
                {
                    Assert.True((line < lines && regular[line]) == ((bits >> line & 1) == 1), $"row {row}, line {line}");
                }
                Assert.True(((int*)record)[0] == (exact ? -1 : expectedScaled), $"row {row}: first scaled line {((int*)record)[0]}, exact {exact}");
                Assert.Equal(exact ? 0 : regular.Count(r => !r), ((int*)record)[1]);
                if (exact)
                {
                    exactRows++;
                    continue;
                }
                foreach (Half[] line in values.Where((line, i) => !regular[i]))
                {
                    for (int k = 0; k < F16LineMap.LineColumns; k++)
                    {
                        ushort expected = BitConverter.HalfToUInt16Bits((Half)((float)line[k] * 1024));
                        Assert.True(expected == map.ScaledLines[(expectedScaled * F16LineMap.LineColumns) + k], $"row {row}, scaled line {expectedScaled}, column {k}");
                        Assert.False(Half.IsSubnormal(BitConverter.UInt16BitsToHalf(map.ScaledLines[(expectedScaled * F16LineMap.LineColumns) + k])));
                    }
                    expectedScaled++;
                }
            }
            Assert.Equal(expectedScaled, map.ScaledLineCount);
            Assert.InRange(exactRows, 100, rows - 100);
        }
    }

    /// <summary>
    /// F16 rows with an <see cref="F16LineMap"/> take the four-operation widening on every whole line (regular lines in
    /// place, the others from their scaled copies) and still sum exactly as the 256-bit dot product of the row widened by
    /// <see cref="Half"/>: rows with subnormal, infinite, large and zero halves planted in some lines (rows left exact among
    /// them), rows with no irregular line, a partial last line, rows of one to 70 lines (more than one word of bits), and a
    /// slice of the rows (its records start at its first row's).
    /// </summary>
    [SkippableFact]
    public unsafe void MatVec_of_F16_rows_with_a_line_map_keeps_the_bits()
    {
        Skip.IfNot(Kernels.UsesLineMaps, "the map is read only by the AVX2 products");
        var random = new Random(7);
        ushort[] planted = [0x0000, 0x8000, 0x0001, 0x83FF, 0x03FF, 0x8001, 0x0400, 0xBC00];
        foreach (int cols in new[] { 32, 64, 96, 300, 600, 1000, 2048, 2240, 2261 })
        {
            const int rows = 9;
            var data = new ushort[rows * cols];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = BitConverter.HalfToUInt16Bits((Half)((random.NextDouble() * 2) - 1));
            }
            for (int r = 0; r < 7; r++)
            {
                // Zeros, subnormals and normal numbers in rows 0-6, away from row 2's first line; rows 7 and 8 keep only normal numbers.
                for (int k = 0; k < Math.Max(1, cols / 40); k++)
                {
                    data[(r * cols) + (r == 2 && cols > 32 ? 32 : 0) + random.Next(r == 2 && cols > 32 ? cols - 32 : cols)] = planted[random.Next(planted.Length)];
                }
            }
            (data[0], data[1], data[cols], data[cols + 1], data[(2 * cols) + 3]) = (0x7C00, 0x0001, 0x5400, 0x8001, 0x7BFF);
            // Row 0 has an infinity and row 1 a 64 beside a subnormal (both left exact); row 2 has 65504 in a regular line.
            float[] x = Uniform(random, cols), actual = new float[rows], sliced = new float[rows - 2];
            fixed (ushort* weights = data)
            {
                using var map = F16LineMap.Create(weights, rows, cols);
                var w = new Matrix(weights, TensorDType.F16, rows, cols, map);
                Kernels.MatVec(w, x, actual);
                Kernels.MatVec(w.Slice(2, rows - 2), x, sliced);
                Assert.True(map.ScaledLineCount > 0, $"{rows}x{cols}: no scaled line");
            }
            for (int r = 0; r < rows; r++)
            {
                float[] widened = data.AsSpan(r * cols, cols).ToArray().Select(h => (float)BitConverter.UInt16BitsToHalf(h)).ToArray();
                float expected = Kernels.Dot<Simd256, System.Runtime.Intrinsics.Vector256<float>>(widened, x);
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual[r]) || (float.IsNaN(expected) && float.IsNaN(actual[r])),
                    $"{rows}x{cols}, row {r}: {actual[r]} vs {expected}");
                if (r >= 2)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(actual[r]) == BitConverter.SingleToInt32Bits(sliced[r - 2]) || (float.IsNaN(actual[r]) && float.IsNaN(sliced[r - 2])),
                        $"{rows}x{cols}, slice row {r - 2}: {sliced[r - 2]} vs {actual[r]}");
                }
            }
        }
    }

    /// <summary>A line map belongs to one shape of F16 matrix.</summary>
    [Fact]
    public unsafe void A_line_map_of_another_shape_or_on_a_float_matrix_is_refused()
    {
        nint weights = (nint)System.Runtime.InteropServices.NativeMemory.AllocZeroed(4 * 64, sizeof(ushort));
        try
        {
            using var map = F16LineMap.Create((ushort*)weights, 4, 64);
            Assert.Throws<ArgumentException>(() => new Matrix((void*)weights, TensorDType.F16, 2, 128, map));
            Assert.Throws<ArgumentException>(() => new Matrix((void*)weights, TensorDType.BF16, 4, 64, map));
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.Free((void*)weights);
        }
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
