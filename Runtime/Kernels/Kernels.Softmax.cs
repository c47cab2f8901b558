using System.Numerics.Tensors;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Softmax in place, in float32: <c>x[i] = exp(x[i] − max) / Σ_j exp(x[j] − max)</c>.
    /// </summary>
    /// <param name="x">The logits; replaced by probabilities. Entries of −∞ (masked) become 0. An empty span is left alone.</param>
    /// <remarks>
    /// Subtracting the maximum keeps every exponent ≤ 0, so nothing overflows. If every entry is −∞,
    /// or any is NaN, the result is all NaN (as in PyTorch).
    /// </remarks>
    public static void Softmax(Span<float> x)
    {
        if (x.IsEmpty)
        {
            return;
        }

        float max = TensorPrimitives.Max<float>(x);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, x);
        TensorPrimitives.Divide(x, TensorPrimitives.Sum<float>(x), x);
    }
}
