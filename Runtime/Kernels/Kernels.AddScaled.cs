using System.Numerics.Tensors;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>Scaled accumulation in place: <c>destination[i] += scale * x[i]</c> (a weighted expert output into the residual).</summary>
    /// <param name="x">The addend.</param>
    /// <param name="scale">Its weight.</param>
    /// <param name="destination">The accumulator, same length; must not partly overlap <paramref name="x"/>.</param>
    /// <exception cref="ArgumentException">The lengths differ, or the spans partly overlap.</exception>
    public static void AddScaled(ReadOnlySpan<float> x, float scale, Span<float> destination)
    {
        RequireLength(destination, x.Length);
        TensorPrimitives.MultiplyAdd(x, scale, destination, destination);
    }
}
