namespace EdgeJamba.Runtime;

/// <summary>
/// A row-major float32 matrix <c>[Rows, Cols]</c> over memory that outlives it (a memory-mapped
/// checkpoint or an owned native buffer). Linear weights are <c>[out, in]</c>: <c>y = W·x</c>.
/// A vector is a matrix with one row.
/// </summary>
public readonly unsafe struct Matrix
{
    public Matrix(float* data, int rows, int cols)
    {
        Data = data;
        Rows = rows;
        Cols = cols;
    }

    public float* Data { get; }

    public int Rows { get; }

    public int Cols { get; }

    public long Length => (long)Rows * Cols;

    /// <summary>Row <paramref name="row"/>, <see cref="Cols"/> elements.</summary>
    public ReadOnlySpan<float> Row(int row) => new(Data + ((long)row * Cols), Cols);

    /// <summary>All elements; only for matrices under 2^31 elements.</summary>
    public ReadOnlySpan<float> AsSpan() => new(Data, checked((int)Length));

    /// <summary>Rows <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1.</summary>
    public Matrix Slice(int start, int count) => new(Data + ((long)start * Cols), count, Cols);
}
