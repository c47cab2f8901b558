using EdgeJamba.Layout;

namespace EdgeJamba.Runtime;

/// <summary>
/// Precomputed rotary-embedding cos/sin tables, <c>[max_context, head_dim / 2]</c> each, with the
/// inverse frequencies of HF's <c>rope_type</c> (default, linear, llama3, yarn) and its attention
/// scaling folded into both tables. Angles are computed in double and rounded once.
/// </summary>
public sealed class RopeTable
{
    private static readonly Dictionary<(RopeLayout, int, int), RopeTable> s_shared = [];

    /// <summary>
    /// The table for these parameters, built once per process and shared by every layer (and model) that
    /// asks for it: attention layers of one model almost always have identical RoPE.
    /// </summary>
    public static RopeTable Shared(RopeLayout rope, int headDim, int maxContext)
    {
        lock (s_shared)
        {
            if (!s_shared.TryGetValue((rope, headDim, maxContext), out var table))
            {
                table = new RopeTable(rope, headDim, maxContext);
                s_shared.Add((rope, headDim, maxContext), table);
            }
            return table;
        }
    }

    public RopeTable(RopeLayout rope, int headDim, int maxContext)
    {
        ArgumentNullException.ThrowIfNull(rope);
        Half = headDim / 2;
        var invFreq = InverseFrequencies(rope, headDim, out double scaling);
        Cos = new float[(long)maxContext * Half];
        Sin = new float[(long)maxContext * Half];
        for (int p = 0; p < maxContext; p++)
        {
            for (int i = 0; i < Half; i++)
            {
                // HF: freqs = position (fp32) * inv_freq (fp32); cos/sin then scaled.
                double angle = (float)p * (double)(float)invFreq[i];
                Cos[(p * Half) + i] = (float)(Math.Cos(angle) * scaling);
                Sin[(p * Half) + i] = (float)(Math.Sin(angle) * scaling);
            }
        }
    }

    /// <summary>Rotary pairs per head (head_dim / 2).</summary>
    public int Half { get; }

    public float[] Cos { get; }

    public float[] Sin { get; }

    public ReadOnlySpan<float> CosAt(int position) => Cos.AsSpan(position * Half, Half);

    public ReadOnlySpan<float> SinAt(int position) => Sin.AsSpan(position * Half, Half);

    /// <summary>inv_freq[i] for i in [0, dim/2) as transformers' <c>modeling_rope_utils</c> computes them.</summary>
    public static double[] InverseFrequencies(RopeLayout rope, int dim, out double attentionScaling)
    {
        ArgumentNullException.ThrowIfNull(rope);
        int half = dim / 2;
        var inv = new double[half];
        for (int i = 0; i < half; i++)
        {
            inv[i] = 1.0 / Math.Pow(rope.Theta, 2.0 * i / dim);
        }
        attentionScaling = 1.0;
        switch (rope.Type)
        {
            case RopeType.Linear:
                for (int i = 0; i < half; i++)
                {
                    inv[i] /= rope.Factor;
                }
                break;
            case RopeType.Llama3:
                {
                    double lowWavelen = rope.OriginalMaxPositions / rope.LowFreqFactor;
                    double highWavelen = rope.OriginalMaxPositions / rope.HighFreqFactor;
                    for (int i = 0; i < half; i++)
                    {
                        double wavelen = 2 * Math.PI / inv[i];
                        if (wavelen > lowWavelen)
                        {
                            inv[i] /= rope.Factor;
                        }
                        else if (wavelen >= highWavelen)
                        {
                            double smooth = ((rope.OriginalMaxPositions / wavelen) - rope.LowFreqFactor) / (rope.HighFreqFactor - rope.LowFreqFactor);
                            inv[i] = ((1 - smooth) * inv[i] / rope.Factor) + (smooth * inv[i]);
                        }
                    }
                    break;
                }
            case RopeType.Yarn:
                {
                    double Correction(double rotations) =>
                        dim * Math.Log(rope.OriginalMaxPositions / (rotations * 2 * Math.PI)) / (2 * Math.Log(rope.Theta));
                    double low = Math.Max(Math.Floor(Correction(rope.BetaFast)), 0);
                    double high = Math.Min(Math.Ceiling(Correction(rope.BetaSlow)), dim - 1);
                    if (low == high)
                    {
                        high += 0.001;
                    }
                    for (int i = 0; i < half; i++)
                    {
                        double ramp = Math.Clamp((i - low) / (high - low), 0, 1);
                        inv[i] = (inv[i] / rope.Factor * ramp) + (inv[i] * (1 - ramp));
                    }
                    attentionScaling = rope.AttentionFactor > 0 ? rope.AttentionFactor : rope.Factor <= 1 ? 1 : (0.1 * Math.Log(rope.Factor)) + 1;
                    break;
                }
        }
        return inv;
    }
}
