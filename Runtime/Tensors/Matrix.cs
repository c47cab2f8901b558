using System.Diagnostics.CodeAnalysis;

namespace EdgeJamba.Runtime;

/// <summary>
/// A row-major matrix <c>[Rows, Cols]</c> over memory that outlives it (a memory-mapped checkpoint or an owned
/// native buffer). Linear weights are <c>[out, in]</c>: <c>y = W·x</c>. A vector is a matrix with one row.
/// Elements are float32, or, for weights kept in their stored 16-bit form (<see cref="Checkpoint.Weight"/>), F16 or
/// BF16, which only <see cref="Kernels.MatVec"/>, <see cref="Kernels.MatMul"/> and <see cref="CopyRowTo"/> read
/// (widening on the fly). An F16 weight may carry an <see cref="F16LineMap"/> (<see cref="LineRecords"/>, <see cref="ScaledLines"/>).
/// </summary>
public readonly unsafe struct Matrix
{
    private readonly void* _data;

    public Matrix(float* data, int rows, int cols)
        : this(data, TensorDType.F32, rows, cols)
    {
    }

    /// <param name="data">The first element.</param>
    /// <param name="dtype"><see cref="TensorDType.F32"/>, <see cref="TensorDType.F16"/> or <see cref="TensorDType.BF16"/>.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="cols">Columns.</param>
    /// <param name="lines">Optional, F16 only: the map of these <paramref name="rows"/> × <paramref name="cols"/> halves, which outlives the matrix.</param>
    public Matrix(void* data, TensorDType dtype, int rows, int cols, F16LineMap? lines = null)
        : this(data, dtype, rows, cols, lines?.Records, lines?.ScaledLines)
    {
        if (lines != null && (lines.Rows != rows || lines.Cols != cols))
        {
            throw new ArgumentException($"the line map is of {lines.Rows}x{lines.Cols} halves, not {rows}x{cols}", nameof(lines));
        }
    }

    private Matrix(void* data, TensorDType dtype, int rows, int cols, byte* lineRecords, ushort* scaledLines)
    {
        if (dtype is not (TensorDType.F32 or TensorDType.F16 or TensorDType.BF16))
        {
            throw new ArgumentException($"a matrix holds F32, F16 or BF16 elements, not {dtype}", nameof(dtype));
        }
        if (lineRecords != null && dtype != TensorDType.F16)
        {
            throw new ArgumentException($"only an F16 matrix has a line map, not {dtype}", nameof(dtype));
        }
        _data = data;
        DType = dtype;
        Rows = rows;
        Cols = cols;
        LineRecords = lineRecords;
        ScaledLines = scaledLines;
    }

    /// <summary>The element type: F32, or F16/BF16 for a weight kept 16-bit.</summary>
    public TensorDType DType { get; }

    /// <summary>The float32 elements (<see cref="DType"/> F32).</summary>
    public float* Data => (float*)_data;

    /// <summary>The 16-bit elements (<see cref="DType"/> F16 or BF16).</summary>
    public ushort* Packed => (ushort*)_data;

    public int Rows { get; }

    public int Cols { get; }

    /// <summary>
    /// Null, or the records of this matrix's rows in an <see cref="F16LineMap"/> (<see cref="F16LineMap.RecordBytes"/> each,
    /// the first row's first), which the AVX2 products read; results do not depend on it.
    /// </summary>
    public byte* LineRecords { get; }

    /// <summary>With <see cref="LineRecords"/>: the map's scaled lines (of all its rows, whatever the slice).</summary>
    public ushort* ScaledLines { get; }

    public long Length => (long)Rows * Cols;

    /// <summary>Row <paramref name="row"/>, <see cref="Cols"/> elements; float32 matrices only.</summary>
    public ReadOnlySpan<float> Row(int row)
    {
        RequireFloat();
        return new(Data + ((long)row * Cols), Cols);
    }

    /// <summary>All elements; float32 matrices under 2^31 elements only.</summary>
    public ReadOnlySpan<float> AsSpan()
    {
        RequireFloat();
        return new(Data, checked((int)Length));
    }

    /// <summary>Row <paramref name="row"/> as float32 into <paramref name="destination"/> (<see cref="Cols"/> elements), widened if 16-bit.</summary>
    public void CopyRowTo(int row, Span<float> destination)
    {
        if (DType == TensorDType.F32)
        {
            Row(row).CopyTo(destination);
        }
        else
        {
            Kernels.Widen(new ReadOnlySpan<ushort>(Packed + ((long)row * Cols), Cols), DType, destination[..Cols]);
        }
    }

    /// <summary>Rows <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1.</summary>
    public Matrix Slice(int start, int count) =>
        new((byte*)_data + ((long)start * Cols * (DType == TensorDType.F32 ? sizeof(float) : sizeof(ushort))), DType, count, Cols,
            LineRecords == null ? null : LineRecords + ((long)start * F16LineMap.RecordBytes(Cols)), ScaledLines);

    private void RequireFloat()
    {
        if (DType != TensorDType.F32)
        {
            ThrowPacked();
        }
    }

    [DoesNotReturn]
    private void ThrowPacked() => throw new InvalidOperationException($"this {Rows}x{Cols} matrix holds {DType} weights; only the matrix products read them");
}
