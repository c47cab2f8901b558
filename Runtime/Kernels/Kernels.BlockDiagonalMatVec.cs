namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Block-diagonal matrix-vector product (xLSTM's per-head "headwise" projections): with <c>B = blocks</c>,
    /// <c>I = x.Length / B</c> inputs and <c>O = destination.Length / B</c> outputs per block,
    /// <c>destination[b·O + o] = Σ_d w[b, o, d]·x[b·I + d]</c>, each sum as by <see cref="Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>.
    /// </summary>
    /// <param name="w">The blocks, <c>[B, O, I]</c> row-major (NX-AI <c>LinearHeadwiseExpand.weight</c>).</param>
    /// <param name="blocks">The number of blocks B; positive.</param>
    /// <param name="x">The input, B·I elements.</param>
    /// <param name="destination">The output, B·O elements; must not overlap <paramref name="x"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="blocks"/> is not positive, does not divide both vector lengths,
    /// or <paramref name="w"/> does not hold B·O·I elements.</exception>
    public static void BlockDiagonalMatVec(ReadOnlySpan<float> w, int blocks, ReadOnlySpan<float> x, Span<float> destination)
    {
        if (blocks <= 0 || x.Length % blocks != 0 || destination.Length % blocks != 0)
        {
            Throw(nameof(blocks), $"{blocks} blocks do not split the input of {x.Length} and the output of {destination.Length} elements evenly.");
        }

        int inputs = x.Length / blocks, outputs = destination.Length / blocks;
        RequireLength(w, blocks * outputs * inputs);
        for (int b = 0; b < blocks; b++)
        {
            ReadOnlySpan<float> xb = x.Slice(b * inputs, inputs);
            for (int o = 0; o < outputs; o++)
            {
                int row = (b * outputs) + o;
                destination[row] = Dot(w.Slice(row * inputs, inputs), xb);
            }
        }
    }
}
