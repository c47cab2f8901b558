using System.Numerics.Tensors;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>The index of the largest value of <paramref name="x"/>; the first one when several are equal (greedy decoding).</summary>
    /// <param name="x">The values, not empty.</param>
    /// <returns>The index; that of the first NaN if <paramref name="x"/> holds NaN.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/> is empty.</exception>
    public static int ArgMax(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty)
        {
            Throw(nameof(x), "x is empty.");
        }

        return TensorPrimitives.IndexOfMax(x);
    }
}
