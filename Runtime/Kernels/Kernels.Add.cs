using System.Numerics.Tensors;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>Element-wise sum in place: <c>destination[i] += x[i]</c> (the residual connection).</summary>
    /// <param name="x">The addend.</param>
    /// <param name="destination">The accumulator, same length; must not partly overlap <paramref name="x"/>.</param>
    /// <exception cref="ArgumentException">The lengths differ, or the spans partly overlap.</exception>
    public static void Add(ReadOnlySpan<float> x, Span<float> destination)
    {
        RequireLength(destination, x.Length);
        TensorPrimitives.Add(destination, x, destination);
    }
}
