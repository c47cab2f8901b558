using System.Diagnostics.CodeAnalysis;

namespace EdgeJamba.Runtime;

/// <summary>
/// A row-major matrix <c>[Rows, Cols]</c> over memory that outlives it (a memory-mapped checkpoint or an owned
/// native buffer). Linear weights are <c>[out, in]</c>: <c>y = W·x</c>. A vector is a matrix with one row.
/// Elements are float32, or, for weights kept in their stored 16-bit form (<see cref="Checkpoint.Weight"/>), F16 or
/// BF16, which only <see cref="Kernels.MatVec"/>, <see cref="Kernels.MatMul"/> and <see cref="CopyRowTo"/> read
/// (widening on the fly). An F16 weight may carry a map of its regular lines (<see cref="RegularLines"/>).
/// </summary>
public readonly unsafe struct Matrix
{
    /// <summary>Columns per line of <see cref="RegularLines"/>: 32 halves, one 64-byte cache line.</summary>
    public const int LineColumns = 32;

    private readonly void* _data;

    public Matrix(float* data, int rows, int cols)
        : this(data, TensorDType.F32, rows, cols)
    {
    }

    /// <param name="data">The first element.</param>
    /// <param name="dtype"><see cref="TensorDType.F32"/>, <see cref="TensorDType.F16"/> or <see cref="TensorDType.BF16"/>.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="cols">Columns.</param>
    /// <param name="regularLines">
    /// Optional, F16 only: the <see cref="RegularLines"/> map, <see cref="RegularLineBytes(int, int)"/> bytes that outlive the
    /// matrix (see <see cref="Kernels.MapRegularLines"/>).
    /// </param>
    public Matrix(void* data, TensorDType dtype, int rows, int cols, byte* regularLines = null)
    {
        if (dtype is not (TensorDType.F32 or TensorDType.F16 or TensorDType.BF16))
        {
            throw new ArgumentException($"a matrix holds F32, F16 or BF16 elements, not {dtype}", nameof(dtype));
        }
        if (regularLines != null && dtype != TensorDType.F16)
        {
            throw new ArgumentException($"only an F16 matrix has a map of regular lines, not {dtype}", nameof(regularLines));
        }
        _data = data;
        DType = dtype;
        Rows = rows;
        Cols = cols;
        RegularLines = regularLines;
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
    /// Null, or a bit per line of <see cref="LineColumns"/> whole columns of each row (a partial last line has none), set when
    /// the line is regular: its 32 halves are zeros or normal numbers, no subnormal, infinity or NaN. Each row's bits start a byte
    /// (<see cref="RegularLineBytesPerRow(int)"/>), lowest bit first. The AVX2 products widen such lines in four operations
    /// instead of eleven; the map only chooses between two exact widenings, so results do not depend on it.
    /// </summary>
    public byte* RegularLines { get; }

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
            RegularLines == null ? null : RegularLines + ((long)start * RegularLineBytesPerRow(Cols)));

    /// <summary>Bytes of one row's bits in <see cref="RegularLines"/>.</summary>
    public static int RegularLineBytesPerRow(int cols) => ((cols / LineColumns) + 7) / 8;

    /// <summary>Bytes of a <see cref="RegularLines"/> map of <paramref name="rows"/> × <paramref name="cols"/>.</summary>
    public static long RegularLineBytes(int rows, int cols) => (long)rows * RegularLineBytesPerRow(cols);

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
