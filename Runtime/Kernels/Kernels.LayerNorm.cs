using System.Numerics.Tensors;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Bias-free layer normalization: <c>destination[i] = weight[i]·((x[i] − μ)·r)</c> with <c>μ = mean(x)</c> and
    /// <c>r = 1/sqrt(mean((x − μ)²) + eps)</c> (biased variance, two passes), all in float32. xLSTM applies it per head
    /// (HF <c>multihead_norm</c> with the weight slice of the head; NX-AI <c>outnorm</c>/<c>group_norm</c> and its block
    /// norms with <c>1 + weight</c>, precomputed by <see cref="NormWeights.OnePlus"/>).
    /// </summary>
    /// <param name="x">The input vector.</param>
    /// <param name="weight">The per-element scale, same length as <paramref name="x"/>.</param>
    /// <param name="eps">Added to the variance inside the square root.</param>
    /// <param name="destination">The output, same length; may be <paramref name="x"/> itself (but must not partly overlap it).</param>
    /// <exception cref="ArgumentException">The lengths differ, or the spans partly overlap.</exception>
    public static void LayerNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> destination)
    {
        RequireLength(weight, x.Length);
        RequireLength(destination, x.Length);
        if (x.IsEmpty)
        {
            return;
        }

        float mean = TensorPrimitives.Sum(x) / x.Length;
        TensorPrimitives.Subtract(x, mean, destination);
        float r = 1f / MathF.Sqrt((Dot(destination, destination) / x.Length) + eps);
        TensorPrimitives.Multiply(destination, r, destination);
        TensorPrimitives.Multiply(weight, destination, destination);
    }
}
