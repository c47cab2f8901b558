using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Softmax in place, in float32: <c>x[i] = exp(x[i] − max) / Σ_j exp(x[j] − max)</c>.
    /// </summary>
    /// <param name="x">The logits; replaced by probabilities. Entries of −∞ (masked) become 0. An empty span is left alone.</param>
    /// <remarks>
    /// Subtracting the maximum keeps every exponent ≤ 0, so nothing overflows, and the exponential is
    /// <see cref="ISimd{TVector}.ExpNonPositive"/>. If every entry is −∞,
    /// or any is NaN, the result is all NaN (as in PyTorch): the maximum is taken with the hardware's maximum, which may
    /// skip a NaN, but then that entry's exponential, and so the sum and every quotient, is NaN. Three passes over
    /// <paramref name="x"/>: the maximum, the exponentials with their sum, the division.
    /// </remarks>
    public static void Softmax(Span<float> x)
    {
        if (x.IsEmpty)
        {
            return;
        }

        ref float start = ref MemoryMarshal.GetReference(x);
        int i = 0;
        float max = float.NegativeInfinity, sum = 0f;
        if (Vector256.IsHardwareAccelerated && x.Length >= Vector256<float>.Count)
        {
            var maxes = Vector256.Create(float.NegativeInfinity);
            for (; i + Vector256<float>.Count <= x.Length; i += Vector256<float>.Count)
            {
                maxes = Vector256.MaxNative(maxes, Vector256.LoadUnsafe(ref start, (nuint)i));
            }
            var half = Vector128.MaxNative(maxes.GetLower(), maxes.GetUpper());
            half = Vector128.MaxNative(half, Vector128.Shuffle(half, Vector128.Create(2, 3, 0, 1)));
            max = Vector128.MaxNative(half, Vector128.Shuffle(half, Vector128.Create(1, 0, 3, 2))).ToScalar();
        }
        for (; i < x.Length; i++)
        {
            max = MathF.Max(max, x[i]);
        }

        i = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= Vector256<float>.Count)
        {
            var shift = Vector256.Create(max);
            Vector256<float> sums = default;
            for (; i + Vector256<float>.Count <= x.Length; i += Vector256<float>.Count)
            {
                var e = Simd256.ExpNonPositive(Vector256.LoadUnsafe(ref start, (nuint)i) - shift);
                e.StoreUnsafe(ref start, (nuint)i);
                sums += e;
            }
            sum = Vector256.Sum(sums);
        }
        for (; i < x.Length; i++)
        {
            x[i] = SimdScalar.ExpNonPositive(x[i] - max);
            sum += x[i];
        }
        TensorPrimitives.Divide(x, sum, x);
    }
}
