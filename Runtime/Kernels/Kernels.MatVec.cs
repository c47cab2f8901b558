using System.Runtime.Intrinsics;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>Columns of a 16-bit weight row widened at a time (2 KiB of floats: stays in L1).</summary>
    private const int PackedChunk = 512;

    /// <summary>
    /// Matrix-vector product <c>destination = w·x</c>: <c>destination[r] = Σ_c w[r,c]·x[c]</c>, each row
    /// accumulated in float32 as by <see cref="Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>.
    /// </summary>
    /// <param name="w">The weight, <c>[Rows, Cols]</c> row-major (a linear layer's <c>[out, in]</c>).</param>
    /// <param name="x">The input, <c>w.Cols</c> elements.</param>
    /// <param name="destination">The output, <c>w.Rows</c> elements; must not overlap <paramref name="x"/>.</param>
    /// <exception cref="ArgumentException">A length does not match the matrix.</exception>
    /// <remarks>On several threads: <see cref="WorkerPool.MatVec"/>, which gives the same bits.</remarks>
    public static void MatVec(in Matrix w, ReadOnlySpan<float> x, Span<float> destination)
    {
        RequireMatrix(w);
        RequireLength(x, w.Cols);
        RequireLength(destination, w.Rows);
        MatVecRows(w, x, destination, 0, w.Rows);
    }

    /// <summary>
    /// Rows <paramref name="rowStart"/> .. <paramref name="rowEnd"/> − 1 of <see cref="MatVec(in Matrix, ReadOnlySpan{float}, Span{float})"/>;
    /// lengths unchecked. Each row is computed by the same instructions whatever the range, so splitting the rows
    /// among threads does not change a bit.
    /// </summary>
    internal static void MatVecRows(in Matrix w, ReadOnlySpan<float> x, Span<float> destination, int rowStart, int rowEnd)
    {
        if (Vector512.IsHardwareAccelerated && w.Cols >= Vector512<float>.Count)
        {
            MatVec<Simd512, Vector512<float>>(w, x, destination, rowStart, rowEnd);
        }
        else if (Vector256.IsHardwareAccelerated && w.Cols >= Vector256<float>.Count)
        {
            MatVec<Simd256, Vector256<float>>(w, x, destination, rowStart, rowEnd);
        }
        else if (Vector128.IsHardwareAccelerated && w.Cols >= Vector128<float>.Count)
        {
            MatVec<Simd128, Vector128<float>>(w, x, destination, rowStart, rowEnd);
        }
        else
        {
            MatVec<SimdScalar, float>(w, x, destination, rowStart, rowEnd);
        }
    }

    /// <summary><see cref="MatVecRows"/> at one vector width.</summary>
    internal static void MatVec<TSimd, TVector>(in Matrix w, ReadOnlySpan<float> x, Span<float> destination, int rowStart, int rowEnd)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        if (w.DType != TensorDType.F32)
        {
            MatVecPacked<TSimd, TVector>(w, x, destination, rowStart, rowEnd);
            return;
        }
        for (int r = rowStart; r < rowEnd; r++)
        {
            destination[r] = Dot<TSimd, TVector>(w.Row(r), x);
        }
    }

    /// <summary>
    /// <see cref="MatVec{TSimd, TVector}"/> of a 16-bit weight: each row is widened <see cref="PackedChunk"/> columns at a
    /// time into a buffer that stays in L1, and the chunks' dot products are added in order (the weight is read from
    /// memory at 2 bytes an element).
    /// </summary>
    private static unsafe void MatVecPacked<TSimd, TVector>(in Matrix w, ReadOnlySpan<float> x, Span<float> destination, int rowStart, int rowEnd)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        int cols = w.Cols;
        Span<float> buffer = stackalloc float[PackedChunk];
        for (int r = rowStart; r < rowEnd; r++)
        {
            ushort* row = w.Packed + ((long)r * cols);
            float sum = 0;
            for (int c = 0; c < cols; c += PackedChunk)
            {
                int length = Math.Min(PackedChunk, cols - c);
                Span<float> widened = buffer[..length];
                Widen(new ReadOnlySpan<ushort>(row + c, length), w.DType, widened);
                sum += Dot<TSimd, TVector>(widened, x.Slice(c, length));
            }
            destination[r] = sum;
        }
    }
}
