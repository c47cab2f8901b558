using System.Runtime.Intrinsics;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Matrix-vector product <c>destination = w·x</c>: <c>destination[r] = Σ_c w[r,c]·x[c]</c>, each row
    /// accumulated in float32 as by <see cref="Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>.
    /// </summary>
    /// <param name="w">The weight, <c>[Rows, Cols]</c> row-major (a linear layer's <c>[out, in]</c>).</param>
    /// <param name="x">The input, <c>w.Cols</c> elements.</param>
    /// <param name="destination">The output, <c>w.Rows</c> elements; must not overlap <paramref name="x"/>.</param>
    /// <exception cref="ArgumentException">A length does not match the matrix.</exception>
    public static void MatVec(in Matrix w, ReadOnlySpan<float> x, Span<float> destination)
    {
        RequireMatrix(w);
        RequireLength(x, w.Cols);
        RequireLength(destination, w.Rows);
        if (Vector512.IsHardwareAccelerated && w.Cols >= Vector512<float>.Count)
        {
            MatVec<Simd512, Vector512<float>>(w, x, destination);
        }
        else if (Vector256.IsHardwareAccelerated && w.Cols >= Vector256<float>.Count)
        {
            MatVec<Simd256, Vector256<float>>(w, x, destination);
        }
        else if (Vector128.IsHardwareAccelerated && w.Cols >= Vector128<float>.Count)
        {
            MatVec<Simd128, Vector128<float>>(w, x, destination);
        }
        else
        {
            MatVec<SimdScalar, float>(w, x, destination);
        }
    }

    /// <summary><see cref="MatVec(in Matrix, ReadOnlySpan{float}, Span{float})"/> at one vector width; lengths unchecked.</summary>
    internal static void MatVec<TSimd, TVector>(in Matrix w, ReadOnlySpan<float> x, Span<float> destination)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        for (int r = 0; r < destination.Length; r++)
        {
            destination[r] = Dot<TSimd, TVector>(w.Row(r), x);
        }
    }
}
