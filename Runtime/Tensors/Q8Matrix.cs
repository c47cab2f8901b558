using EdgeJamba.Layout;

namespace EdgeJamba.Runtime;

/// <summary>
/// A q8_0 weight matrix <c>[Rows, Cols]</c> (llama.cpp's Q8_0 with float32 scales): each row is <see cref="PaddedCols"/> int8
/// values (zero past <see cref="Cols"/>) in blocks of <see cref="Block"/>, and block <c>b</c> of row <c>r</c> stands for
/// <c>Scales[r·Blocks + b] · Quants[r, b·32 + i]</c>. Over memory that outlives it (owned by a <see cref="Checkpoint"/>).
/// </summary>
public readonly unsafe struct Q8Matrix
{
    /// <summary>Values per block sharing one scale.</summary>
    public const int Block = QuantizedRows.Q8Block;

    public Q8Matrix(sbyte* quants, float* scales, int rows, int cols)
    {
        Quants = quants;
        Scales = scales;
        Rows = rows;
        Cols = cols;
    }

    public sbyte* Quants { get; }

    public float* Scales { get; }

    public int Rows { get; }

    public int Cols { get; }

    /// <summary><see cref="Cols"/> padded like int8 activation rows (<see cref="QuantizedRows.PadColumns"/>).</summary>
    public int PaddedCols => QuantizedRows.PadColumns(Cols);

    /// <summary>Blocks per row.</summary>
    public int Blocks => PaddedCols / Block;

    /// <summary>The int8 values of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<sbyte> Row(int row) => new(Quants + ((long)row * PaddedCols), PaddedCols);

    /// <summary>The block scales of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> RowScales(int row) => new(Scales + ((long)row * Blocks), Blocks);
}
