using System.Numerics.Tensors;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// RMS normalization (HF <c>LlamaRMSNorm</c> and its copies):
    /// <c>destination[i] = weight[i]·(x[i]·r)</c> with <c>r = 1/sqrt(mean(x²) + eps)</c>, all in float32.
    /// </summary>
    /// <param name="x">The input vector.</param>
    /// <param name="weight">The per-element scale, same length as <paramref name="x"/>.</param>
    /// <param name="eps">Added to the mean square inside the square root.</param>
    /// <param name="destination">The output, same length; may be <paramref name="x"/> itself (but must not partly overlap it).</param>
    /// <exception cref="ArgumentException">The lengths differ, or the spans partly overlap.</exception>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> destination)
    {
        RequireLength(weight, x.Length);
        RequireLength(destination, x.Length);
        if (x.IsEmpty)
        {
            return;
        }

        float r = 1f / MathF.Sqrt((Dot(x, x) / x.Length) + eps);
        TensorPrimitives.Multiply(x, r, destination);
        TensorPrimitives.Multiply(weight, destination, destination);
    }
}
