using EdgeJamba.Layout;

namespace EdgeJamba.Runtime;

/// <summary>
/// A ternary weight matrix <c>[Rows, Cols]</c>: values in {−1, 0, +1} times one <see cref="Scale"/>, over memory that outlives
/// it (owned by a <see cref="Checkpoint"/>). Each row is <see cref="Stride"/> bytes: blocks of <see cref="BlockColumns"/> columns
/// in 32 bytes, where bits <c>2j..2j+1</c> of byte <c>b</c> of block <c>k</c> hold the code (value + 1: 0, 1, 2) of column
/// <c>k·128 + j·32 + b</c>; columns past <see cref="Cols"/> hold code 1 (zero). One 32-byte load thus yields, after a shift
/// and a mask, the codes of 32 consecutive columns per bit pair.
/// </summary>
public readonly unsafe struct TernaryMatrix
{
    /// <summary>Columns per packed block (32 bytes).</summary>
    public const int BlockColumns = QuantizedRows.Alignment;

    /// <summary>Bytes per packed block.</summary>
    public const int BlockBytes = BlockColumns / 4;

    public TernaryMatrix(byte* data, int rows, int cols, float scale)
    {
        Data = data;
        Rows = rows;
        Cols = cols;
        Scale = scale;
    }

    public byte* Data { get; }

    public int Rows { get; }

    public int Cols { get; }

    /// <summary>The dequantized weight is <c>Scale · value</c> (γ = mean|W| of the original matrix).</summary>
    public float Scale { get; }

    /// <summary><see cref="Cols"/> rounded up to whole blocks: the row stride of int8 activations multiplied with this matrix.</summary>
    public int PaddedCols => PadColumns(Cols);

    /// <summary>Bytes per packed row.</summary>
    public int Stride => PaddedCols / 4;

    /// <summary><paramref name="cols"/> rounded up to a multiple of <see cref="BlockColumns"/>.</summary>
    public static int PadColumns(int cols) => QuantizedRows.PadColumns(cols);

    /// <summary>Bytes of a packed <c>[rows, cols]</c> matrix.</summary>
    public static long PackedBytes(int rows, int cols) => (long)rows * (PadColumns(cols) / 4);

    /// <summary>
    /// Packs <paramref name="values"/> (<c>[rows, cols]</c> row-major, each −1, 0 or +1) into <paramref name="destination"/>
    /// (<see cref="PackedBytes"/> bytes) in the layout described above.
    /// </summary>
    /// <exception cref="ArgumentException">A length does not match, or a value is not −1, 0 or +1.</exception>
    public static void Pack(ReadOnlySpan<sbyte> values, int rows, int cols, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if (values.Length != (long)rows * cols || destination.Length != PackedBytes(rows, cols))
        {
            throw new ArgumentException($"{rows}x{cols} ternary values need {(long)rows * cols} values and {PackedBytes(rows, cols)} packed bytes, " +
                $"not {values.Length} and {destination.Length}.", nameof(values));
        }
        int stride = PadColumns(cols) / 4;
        destination.Fill(0x55); // code 1 (zero) in all four bit pairs
        for (int r = 0; r < rows; r++)
        {
            Span<byte> row = destination.Slice(r * stride, stride);
            ReadOnlySpan<sbyte> source = values.Slice(r * cols, cols);
            for (int c = 0; c < cols; c++)
            {
                int value = source[c];
                if (value is < -1 or > 1)
                {
                    throw new ArgumentException($"value {value} at [{r}, {c}] is not -1, 0 or +1.", nameof(values));
                }
                int within = c % BlockColumns, shift = 2 * (within / BlockBytes);
                ref byte b = ref row[(c / BlockColumns * BlockBytes) + (within % BlockBytes)];
                b = (byte)((b & ~(3 << shift)) | ((value + 1) << shift));
            }
        }
    }

    /// <summary>The packed bytes of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<byte> Row(int row) => new(Data + ((long)row * Stride), Stride);

    /// <summary>The value (−1, 0 or +1) at <paramref name="row"/>, <paramref name="col"/>.</summary>
    public int this[int row, int col]
    {
        get
        {
            int block = col / BlockColumns, within = col % BlockColumns;
            byte b = Data[((long)row * Stride) + (block * BlockBytes) + (within % BlockBytes)];
            return ((b >> (2 * (within / BlockBytes))) & 3) - 1;
        }
    }
}
