using System.Globalization;
using System.Text;

namespace EdgeJamba.Layout;

/// <summary>
/// A canonical, culture-invariant description of a layout and its 64-bit FNV-1a hash. Two layouts
/// with equal hashes run on the same generated code; snapshots record the hash so that a state saved
/// for one layout is never loaded into another. The model's name is not part of it.
/// </summary>
static partial class LayoutHash
{
    public static string Describe(ModelLayout layout)
    {
        var sb = new StringBuilder();
        sb.Append("family=").Append(layout.Family)
          .Append(";vocab=").Append(Num(layout.VocabSize))
          .Append(";hidden=").Append(Num(layout.HiddenSize))
          .Append(";ctx=").Append(Num(layout.MaxContext))
          .Append(";eps=").Append(Num(layout.NormEps))
          .Append(";tie=").Append(layout.TieEmbeddings ? '1' : '0')
          .Append(";dtype=").Append(layout.WeightFormat);
        // Added with xLSTM; left out at their defaults so that the layouts before them keep their hashes.
        if (layout.Norm != NormKind.RmsNorm)
        {
            sb.Append(";norm=").Append(layout.Norm);
        }
        if (layout.LogitSoftCap > 0)
        {
            sb.Append(";softcap=").Append(Num(layout.LogitSoftCap));
        }
        // Added with BitNet, likewise.
        if (layout.Projections != ProjectionFormat.Dense)
        {
            sb.Append(";proj=").Append(layout.Projections).Append(",scale=").Append(layout.TernaryScale);
        }
        // Added with the quantized classifier, likewise.
        if (layout.LmHead != ProjectionFormat.Dense)
        {
            sb.Append(";head=").Append(layout.LmHead);
        }
        foreach (var layer in layout.Layers)
        {
            sb.Append("|L").Append(Num(layer.Index)).Append(':');
            switch (layer.Mixer)
            {
                case AttentionLayout a:
                    sb.Append("attn(").Append(Num(a.Heads)).Append(',').Append(Num(a.KvHeads)).Append(',').Append(Num(a.HeadDim))
                      .Append(",bias=").Append(a.Bias ? '1' : '0');
                    if (a.Rope is { } r)
                    {
                        sb.Append(",rope=").Append(r.Type).Append(',').Append(Num(r.Theta)).Append(',').Append(Num(r.Factor)).Append(',')
                          .Append(Num(r.LowFreqFactor)).Append(',').Append(Num(r.HighFreqFactor)).Append(',').Append(Num(r.OriginalMaxPositions))
                          .Append(',').Append(Num(r.BetaFast)).Append(',').Append(Num(r.BetaSlow)).Append(',').Append(Num(r.AttentionFactor));
                    }
                    sb.Append(')');
                    break;
                case MambaLayout m:
                    sb.Append("mamba(").Append(Num(m.DInner)).Append(',').Append(Num(m.DState)).Append(',').Append(Num(m.DConv)).Append(',')
                      .Append(Num(m.DtRank)).Append(",norms=").Append(m.DtBcNorms ? '1' : '0').Append(",convb=").Append(m.ConvBias ? '1' : '0')
                      .Append(",projb=").Append(m.ProjBias ? '1' : '0').Append(')');
                    break;
                case MLstmLargeLayout l:
                    sb.Append("mlstm(large,").Append(Num(l.Heads)).Append(',').Append(Num(l.QkDim)).Append(',').Append(Num(l.VDim))
                      .Append(",cap=").Append(Num(l.GateSoftCap)).Append(",eps=").Append(Num(l.Eps)).Append(')');
                    break;
                case MLstmNxaiLayout x:
                    sb.Append("mlstm(nxai,").Append(Num(x.Heads)).Append(',').Append(Num(x.InnerSize)).Append(',').Append(Num(x.ConvKernel))
                      .Append(',').Append(Num(x.QkvBlockSize)).Append(",eps=").Append(Num(x.Eps)).Append(')');
                    break;
                case SLstmLayout s:
                    sb.Append("slstm(").Append(Num(s.Heads)).Append(',').Append(Num(s.ConvKernel)).Append(',').Append(s.Backend).Append(')');
                    break;
            }
            switch (layer.Ffn)
            {
                case DenseFfnLayout f:
                    sb.Append("+dense(").Append(Num(f.IntermediateSize)).Append(',').Append(f.Activation).Append(",bias=").Append(f.Bias ? '1' : '0')
                      .Append(f.FusedGateUp ? ",fused" : "").Append(')');
                    break;
                case MoeLayout e:
                    sb.Append("+moe(").Append(Num(e.Experts)).Append(',').Append(Num(e.TopK)).Append(",renorm=").Append(e.Renormalize ? '1' : '0')
                      .Append(',').Append(Num(e.IntermediateSize)).Append(',').Append(e.Activation).Append(')');
                    break;
                default:
                    sb.Append("+none");
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>FNV-1a 64 of <see cref="Describe"/>, as 16 lowercase hex digits.</summary>
    public static string Compute(ModelLayout layout) => Fnv1a64(Describe(layout)).ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>FNV-1a 64 over the UTF-16 code units of <paramref name="text"/>.</summary>
    public static ulong Fnv1a64(string text)
    {
        ulong hash = 14695981039346656037UL;
        foreach (char c in text)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return hash;
    }

    /// <summary>FNV-1a 64 over bytes (snapshot checksums).</summary>
    public static ulong Fnv1a64Bytes(System.ReadOnlySpan<byte> bytes)
    {
        ulong hash = 14695981039346656037UL;
        foreach (byte b in bytes)
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return hash;
    }

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Num(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
