using System.Numerics.Tensors;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>Element-wise product added in place: <c>destination[i] += x[i]·y[i]</c> (fused multiply-add; the NX-AI mLSTM's learnable skip).</summary>
    /// <param name="x">The first factor.</param>
    /// <param name="y">The second factor, same length.</param>
    /// <param name="destination">The accumulator, same length; must not partly overlap the factors.</param>
    /// <exception cref="ArgumentException">The lengths differ, or the spans partly overlap.</exception>
    public static void AddProduct(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination)
    {
        RequireLength(y, x.Length);
        RequireLength(destination, x.Length);
        TensorPrimitives.FusedMultiplyAdd(x, y, destination, destination);
    }
}
