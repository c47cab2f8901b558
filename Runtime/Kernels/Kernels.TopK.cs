namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// The indices of the <c>k = indices.Length</c> largest values of <paramref name="x"/>, in descending
    /// order of value; equal values are ordered by index, lower first (so the result is deterministic).
    /// </summary>
    /// <param name="x">The values (router logits or probabilities); must not contain NaN, whose rank is unspecified.</param>
    /// <param name="indices">Receives the k indices; <c>k ≤ x.Length</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="indices"/> is longer than <paramref name="x"/>.</exception>
    /// <remarks>Insertion into a sorted list of k: <c>O(x.Length·k)</c> at worst, near <c>O(x.Length)</c> for small k.</remarks>
    public static void TopK(ReadOnlySpan<float> x, Span<int> indices)
    {
        int k = indices.Length;
        if (k > x.Length)
        {
            Throw(nameof(indices), $"Cannot take the top {k} of {x.Length} values.");
        }

        int filled = 0;
        for (int i = 0; i < x.Length; i++)
        {
            float value = x[i];
            if (filled == k && (k == 0 || !(value > x[indices[k - 1]])))
            {
                continue;
            }

            // Later indices go after equal values, so ties keep the lower index first.
            int position = Math.Min(filled, k - 1);
            while (position > 0 && value > x[indices[position - 1]])
            {
                indices[position] = indices[position - 1];
                position--;
            }

            indices[position] = i;
            filled = Math.Min(filled + 1, k);
        }
    }
}
