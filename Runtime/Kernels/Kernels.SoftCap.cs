namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Soft cap in place: <c>x[i] = cap·tanh(x[i] / cap)</c>, which keeps small values and bends large ones smoothly
    /// into <c>[−cap, cap]</c> (HF xLSTM: gate pre-activations at 15, logits at 30).
    /// </summary>
    /// <param name="x">The values to cap.</param>
    /// <param name="cap">The bound; positive.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cap"/> is not positive.</exception>
    /// <remarks>
    /// Scalar <see cref="MathF.Tanh"/> (correctly rounded to within an ulp): the vectorized tanh of TensorPrimitives is
    /// off by up to ~2e-6 relative near zero. The kernel runs once per token over the logits, a small cost next to the
    /// classifier's product that produced them.
    /// </remarks>
    public static void SoftCap(Span<float> x, float cap)
    {
        if (!(cap > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(cap), cap, "The soft cap must be positive.");
        }

        for (int i = 0; i < x.Length; i++)
        {
            x[i] = cap * MathF.Tanh(x[i] / cap);
        }
    }
}
