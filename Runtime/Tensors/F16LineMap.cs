using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace EdgeJamba.Runtime;

/// <summary>
/// What the AVX2 matrix products need to widen an F16 weight in four instructions per eight values instead of eleven
/// (.NET 10 has no F16C intrinsic). The short widening is exact for zeros and normal numbers only: a subnormal makes its
/// multiply take a microcode assist (about 30 times slower), an infinity or NaN comes out finite. So each row of the weight
/// is cut in lines of <see cref="LineColumns"/> whole columns (one 64-byte cache line; a partial last line is widened
/// exactly), and a line holding a subnormal (an irregular line: 7.5% of them in weights of standard deviation 0.02) is read
/// from a copy scaled by 2^<see cref="ScaleExponent"/>, where its subnormals are normal numbers; the product multiplies
/// that copy by 2^−<see cref="ScaleExponent"/> less. Choosing the line's source and multiplier takes no branch, so a
/// mixture of lines costs no mispredictions. The values, and so the results, are the same bits as the exact widening's.
/// A row with an infinity or NaN, or with a value of 64 or more in an irregular line (which would overflow once scaled),
/// is widened exactly throughout.
/// </summary>
/// <remarks>
/// Layout: for each row, a record of <see cref="RecordBytes"/> bytes: two <see cref="int"/>s, the index in
/// <see cref="ScaledLines"/> of the row's first scaled line (−1 for a row widened exactly) and the row's count of them, then
/// a bit per whole line, set for a regular line (read in place), lowest bit first, in whole 64-bit words. The scaled lines of
/// all rows follow each other in row order, <see cref="LineColumns"/> halves each.
/// </remarks>
public sealed unsafe class F16LineMap : IDisposable
{
    /// <summary>Columns per line: 32 halves, one 64-byte cache line.</summary>
    public const int LineColumns = 32;

    /// <summary>The irregular lines' copies are the values times 2^10, which makes every subnormal half normal.</summary>
    public const int ScaleExponent = 10;

    private byte* _records;
    private ushort* _scaled;

    private F16LineMap(byte* records, ushort* scaled, int rows, int cols, long scaledLines)
    {
        _records = records;
        _scaled = scaled;
        Rows = rows;
        Cols = cols;
        ScaledLineCount = scaledLines;
    }

    public int Rows { get; }

    public int Cols { get; }

    /// <summary>The records, one per row (see the remarks).</summary>
    public byte* Records => _records;

    /// <summary>The scaled copies of the irregular lines.</summary>
    public ushort* ScaledLines => _scaled;

    /// <summary>Lines held scaled.</summary>
    public long ScaledLineCount { get; }

    /// <summary>Native bytes held: the records and the scaled lines.</summary>
    public long Bytes => ((long)Rows * RecordBytes(Cols)) + (ScaledLineCount * LineColumns * sizeof(ushort));

    /// <summary>Bytes of one row's record: its first scaled line's index and their count, then a bit per whole line.</summary>
    public static int RecordBytes(int cols) => (2 * sizeof(int)) + (sizeof(ulong) * (((cols / LineColumns) + 63) / 64));

    /// <summary>The map of the F16 matrix <c>[rows, cols]</c> at <paramref name="data"/>, which it does not own or change.</summary>
    public static F16LineMap Create(ushort* data, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        int lines = cols / LineColumns, recordBytes = RecordBytes(cols);
        var records = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max((long)rows * recordBytes, 1), 64);
        long scaledLines = 0;
        for (int r = 0; r < rows; r++)
        {
            ushort* row = data + ((long)r * cols);
            byte* record = records + ((long)r * recordBytes);
            byte* bits = record + (2 * sizeof(int));
            new Span<byte>(bits, recordBytes - (2 * sizeof(int))).Clear();
            int irregular = 0;
            bool exact = false;
            for (int line = 0; line < lines; line++)
            {
                ushort* values = row + (line * LineColumns);
                if (Kernels.AllRegular32(values))
                {
                    bits[line >> 3] |= (byte)(1 << (line & 7));
                }
                else
                {
                    irregular++;
                    exact |= !Scalable(values);
                }
            }
            ((int*)record)[0] = exact ? -1 : checked((int)scaledLines);
            ((int*)record)[1] = exact ? 0 : irregular;
            scaledLines += exact ? 0 : irregular;
        }

        var scaled = (ushort*)NativeMemory.AlignedAlloc((nuint)Math.Max(scaledLines * LineColumns * sizeof(ushort), 1), 64);
        Span<float> widened = stackalloc float[LineColumns];
        ushort* next = scaled;
        for (int r = 0; r < rows; r++)
        {
            byte* record = records + ((long)r * recordBytes);
            if (*(int*)record < 0)
            {
                continue;
            }
            for (int line = 0; line < lines; line++)
            {
                if ((record[(2 * sizeof(int)) + (line >> 3)] & (1 << (line & 7))) == 0)
                {
                    var source = new ReadOnlySpan<Half>(data + ((long)r * cols) + (line * LineColumns), LineColumns);
                    TensorPrimitives.ConvertToSingle(source, widened);
                    TensorPrimitives.Multiply(widened, 1 << ScaleExponent, widened);
                    TensorPrimitives.ConvertToHalf(widened, new Span<Half>(next, LineColumns));
                    next += LineColumns;
                }
            }
        }
        return new F16LineMap(records, scaled, rows, cols, scaledLines);
    }

    /// <summary>Frees the map; matrices made with it must no longer be used.</summary>
    public void Dispose()
    {
        NativeMemory.AlignedFree(_records);
        NativeMemory.AlignedFree(_scaled);
        _records = null;
        _scaled = null;
    }

    /// <summary>
    /// Whether the 32 halves at <paramref name="values"/>, times 2^<see cref="ScaleExponent"/>, are exact halves: each
    /// magnitude below 64 (exponent field under 21; this also rules out infinities and NaN).
    /// </summary>
    private static bool Scalable(ushort* values)
    {
        for (int i = 0; i < LineColumns; i++)
        {
            if ((values[i] & 0x7FFF) >= 0x5400)
            {
                return false;
            }
        }
        return true;
    }
}
