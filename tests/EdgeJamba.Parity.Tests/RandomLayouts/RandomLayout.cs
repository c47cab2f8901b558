using System.Globalization;
using EdgeJamba.Layout;

namespace EdgeJamba.Parity.Tests.RandomLayouts;

/// <summary>Small random layouts of every supported family and hybrids of all layer kinds, drawn to reach the corners of what a spec can say.</summary>
internal static class RandomLayout
{
    private static readonly CheckpointFamily[] s_families = [CheckpointFamily.Llama, CheckpointFamily.Mamba, CheckpointFamily.Mixtral, CheckpointFamily.Jamba];

    private static readonly CheckpointFamily[] s_xlstmFamilies = [CheckpointFamily.Xlstm, CheckpointFamily.XlstmNxai, CheckpointFamily.Hybrid];

    /// <summary>Layouts before this index cycle through the attention/Mamba families, the ones from it through the xLSTM families and hybrids.</summary>
    public const int FirstXlstm = 40;

    /// <summary>Layout number <paramref name="index"/>: the families take turns, everything else is drawn from <paramref name="rng"/>.</summary>
    public static ModelLayout Create(int index, Random rng)
    {
        if (index >= FirstXlstm)
        {
            return CreateXlstm(index, s_xlstmFamilies[(index - FirstXlstm) % s_xlstmFamilies.Length], rng);
        }
        var family = s_families[index % s_families.Length];
        string name = string.Create(CultureInfo.InvariantCulture, $"Random{index:00}{family}");
        int hidden = rng.Next(4, 41);
        int layerCount = family == CheckpointFamily.Jamba ? rng.Next(2, 5) : rng.Next(1, 4);
        // Half of the models repeat one layer (the spec folds them into one entry), half vary every layer; Jamba always mixes.
        bool uniform = rng.Next(2) == 0 && family != CheckpointFamily.Jamba;
        var layers = new LayerLayout[layerCount];
        for (int i = 0; i < layerCount; i++)
        {
            layers[i] = uniform && i > 0 ? layers[0] with { Index = i } : new LayerLayout(i, Mixer(family, hidden, i, rng), Ffn(family, rng));
        }
        var layout = new ModelLayout(name, family, VocabSize: rng.Next(8, 97), hidden, MaxContext: rng.Next(12, 49), NormEps: rng.Next(2) == 0 ? 1e-5 : 1e-6,
            TieEmbeddings: rng.Next(2) == 0, WeightFormat.F32, TokenizerKind.None, new EquatableArray<LayerLayout>(layers));
        return Quantized(layout, index);
    }

    /// <summary>
    /// The projection format, drawn from its own generator so that the draws above stay those of the float layouts: every
    /// eighth layout (a Llama one) becomes BitNet (ternary, sub-norms), the others keep float projections or take q8_0 or
    /// ternary ones; a third of the non-BitNet layouts (drawn after that) classify with a q8_0 head.
    /// </summary>
    private static ModelLayout Quantized(ModelLayout layout, int index)
    {
        var rng = new Random((index * 31) + 7);
        if (index % 8 == 0)
        {
            return layout with
            {
                Name = layout.Name.Replace("Llama", "Bitnet", StringComparison.Ordinal),
                Family = CheckpointFamily.Bitnet,
                Projections = ProjectionFormat.Ternary,
                TernaryScale = rng.Next(2) == 0 ? TernaryScale.Multiply : TernaryScale.Divide,
            };
        }
        var quantized = rng.Next(4) switch
        {
            0 => layout with { Projections = ProjectionFormat.Q8_0 },
            1 => layout with { Projections = ProjectionFormat.Ternary },
            _ => layout,
        };
        return rng.Next(3) == 0 ? quantized with { LmHead = ProjectionFormat.Q8_0 } : quantized;
    }

    /// <summary>
    /// HF xLSTM (mLSTM large + SwiGLU, soft-capped logits), NX-AI (mLSTM without FFN and sLSTM with a fused gelu FFN or none,
    /// 1 + w LayerNorms) or a hybrid drawing every mixer and feed-forward kind per layer, with either norm.
    /// </summary>
    private static ModelLayout CreateXlstm(int index, CheckpointFamily family, Random rng)
    {
        string name = string.Create(CultureInfo.InvariantCulture, $"Random{index:00}{family}");
        int hidden = rng.Next(1, 5) * rng.Next(2, 11); // a product, so that sLSTM heads have divisors to choose from
        int layerCount = family switch
        {
            CheckpointFamily.Xlstm => rng.Next(1, 4),
            CheckpointFamily.XlstmNxai => rng.Next(2, 6),
            _ => rng.Next(5, 8),
        };
        // Hybrids: the first five layers are one of each mixer kind, in a drawn order; later ones any kind.
        int[] kinds = [0, 1, 2, 3, 4];
        rng.Shuffle(kinds);
        bool uniform = family == CheckpointFamily.Xlstm && rng.Next(2) == 0;
        var layers = new LayerLayout[layerCount];
        for (int i = 0; i < layerCount; i++)
        {
            if (uniform && i > 0)
            {
                layers[i] = layers[0] with { Index = i };
                continue;
            }
            layers[i] = family switch
            {
                CheckpointFamily.Xlstm => new LayerLayout(i, MLstmLarge(rng), new DenseFfnLayout(rng.Next(4, 65), EdgeJamba.Layout.Activation.Silu, Bias: false)),
                // NX-AI: the first two layers are one of each kind, so every model has both.
                CheckpointFamily.XlstmNxai => (i < 2 ? i == 1 : rng.Next(2) == 0)
                    ? new LayerLayout(i, SLstm(hidden, rng), rng.Next(3) == 0 ? new NoFfnLayout() : new DenseFfnLayout(rng.Next(4, 65), EdgeJamba.Layout.Activation.Gelu, Bias: false, FusedGateUp: true))
                    : new LayerLayout(i, MLstmNxai(rng), new NoFfnLayout()),
                _ => new LayerLayout(i, HybridMixer(i < kinds.Length ? kinds[i] : rng.Next(kinds.Length), hidden, rng), HybridFfn(rng)),
            };
        }
        var norm = family switch
        {
            CheckpointFamily.Xlstm => NormKind.RmsNorm,
            CheckpointFamily.XlstmNxai => NormKind.LayerNorm1p,
            _ => rng.Next(2) == 0 ? NormKind.RmsNorm : NormKind.LayerNorm1p,
        };
        double softCap = family == CheckpointFamily.XlstmNxai || rng.Next(3) == 0 ? 0 : 5 + (25 * rng.NextDouble());
        return new ModelLayout(name, family, VocabSize: rng.Next(8, 97), hidden, MaxContext: rng.Next(12, 49), NormEps: rng.Next(2) == 0 ? 1e-5 : 1e-6,
            TieEmbeddings: rng.Next(2) == 0, WeightFormat.F32, TokenizerKind.None, new EquatableArray<LayerLayout>(layers), norm, softCap);
    }

    /// <summary>A mixer of kind 0..4: HF mLSTM, NX-AI mLSTM, sLSTM, attention with or without RoPE, Mamba with or without dt/B/C norms.</summary>
    private static MixerLayout HybridMixer(int kind, int hidden, Random rng) => kind switch
    {
        0 => MLstmLarge(rng),
        1 => MLstmNxai(rng),
        2 => SLstm(hidden, rng),
        3 => rng.Next(2) == 0 ? Attention(rope: true, bias: rng.Next(2) == 0, rng) : Attention(rope: false, bias: false, rng),
        _ => Mamba(hidden, norms: rng.Next(2) == 0, rng),
    };

    private static FfnLayout HybridFfn(Random rng) => rng.Next(4) switch
    {
        0 => new NoFfnLayout(),
        1 => new DenseFfnLayout(rng.Next(4, 65), Activation(rng), Bias: false, FusedGateUp: true),
        2 => new DenseFfnLayout(rng.Next(4, 65), Activation(rng), Bias: rng.Next(2) == 0),
        _ => Moe(renormalize: rng.Next(2) == 0, rng),
    };

    /// <summary>1..4 heads with qk and v head sizes of 1..8 each (often different), gate soft cap around 15.</summary>
    private static MLstmLargeLayout MLstmLarge(Random rng)
    {
        int heads = rng.Next(1, 5);
        return new MLstmLargeLayout(heads, heads * rng.Next(1, 9), heads * rng.Next(1, 9), rng.Next(2) == 0 ? 15 : 3 + (20 * rng.NextDouble()), rng.Next(2) == 0 ? 1e-6 : 1e-4);
    }

    /// <summary>1..4 heads of 1..8, conv 1..5, qkv blocks of any divisor of the inner size (1 and the whole included).</summary>
    private static MLstmNxaiLayout MLstmNxai(Random rng)
    {
        int heads = rng.Next(1, 5);
        int inner = heads * rng.Next(1, 9);
        int[] divisors = [.. Enumerable.Range(1, inner).Where(b => inner % b == 0)];
        return new MLstmNxaiLayout(heads, inner, ConvKernel: rng.Next(1, 6), QkvBlockSize: divisors[rng.Next(divisors.Length)], Eps: 1e-6);
    }

    /// <summary>Heads a divisor of the hidden size, conv 0 (none) to 5, either parameter layout.</summary>
    private static SLstmLayout SLstm(int hidden, Random rng)
    {
        int[] divisors = [.. Enumerable.Range(1, Math.Min(hidden, 8)).Where(h => hidden % h == 0)];
        return new SLstmLayout(divisors[rng.Next(divisors.Length)], ConvKernel: rng.Next(4) == 0 ? 0 : rng.Next(1, 6),
            rng.Next(2) == 0 ? SLstmBackend.Cuda : SLstmBackend.Vanilla);
    }

    private static MixerLayout Mixer(CheckpointFamily family, int hidden, int index, Random rng)
    {
        switch (family)
        {
            case CheckpointFamily.Mamba:
                return Mamba(hidden, norms: false, rng);
            case CheckpointFamily.Jamba:
                {
                    // Jamba mixes both kinds; the first two layers are one of each so every model has both.
                    bool attention = index < 2 ? index == 1 : rng.Next(2) == 0;
                    return attention ? Attention(rope: false, bias: false, rng) : Mamba(hidden, norms: true, rng);
                }
            default:
                return Attention(rope: true, bias: rng.Next(2) == 0, rng);
        }
    }

    /// <summary>GQA with 1..4 KV heads and 1..4 query heads per KV head; head_dim even with RoPE (odd halves like 3 and 5 included), any without.</summary>
    private static AttentionLayout Attention(bool rope, bool bias, Random rng)
    {
        int kvHeads = rng.Next(1, 5);
        int heads = kvHeads * rng.Next(1, 5);
        int headDim = rope ? 2 * rng.Next(1, 10) : rng.Next(1, 17);
        return new AttentionLayout(heads, kvHeads, headDim, rope ? Rope(rng) : null, bias);
    }

    private static RopeLayout Rope(Random rng)
    {
        double theta = new[] { 100.0, 10000.0, 500000.0, 1e6 }[rng.Next(4)];
        return rng.Next(6) switch
        {
            0 => new RopeLayout(RopeType.Linear, theta, 1 + (3 * rng.NextDouble()), 0, 0, 0, 32, 1, 0),
            1 => new RopeLayout(RopeType.Llama3, theta, 8, 1, 4, rng.Next(8, 64), 32, 1, 0),
            2 => new RopeLayout(RopeType.Yarn, theta, 2 + (2 * rng.NextDouble()), 0, 0, rng.Next(8, 32), 32, 1, rng.Next(2) == 0 ? 0 : 1.25),
            _ => new RopeLayout(RopeType.Default, theta, 1, 0, 0, 0, 32, 1, 0),
        };
    }

    /// <summary>d_inner = expand (1..3) x hidden, d_state 1..17 (the ends often), d_conv 2..5, dt_rank 1..9 (odd values included).</summary>
    private static MambaLayout Mamba(int hidden, bool norms, Random rng) =>
        new(DInner: rng.Next(1, 4) * hidden, DState: rng.Next(4) == 0 ? 1 + (16 * rng.Next(2)) : rng.Next(2, 17), DConv: rng.Next(2, 6),
            DtRank: rng.Next(1, 10), norms, ConvBias: rng.Next(4) != 0, ProjBias: rng.Next(3) == 0);

    private static FfnLayout Ffn(CheckpointFamily family, Random rng) => family switch
    {
        CheckpointFamily.Mamba => new NoFfnLayout(),
        CheckpointFamily.Llama => new DenseFfnLayout(rng.Next(4, 65), Activation(rng), Bias: rng.Next(2) == 0),
        CheckpointFamily.Mixtral => Moe(renormalize: true, rng),
        _ => rng.Next(2) == 0 ? new DenseFfnLayout(rng.Next(4, 65), Activation(rng), Bias: false) : Moe(renormalize: false, rng),
    };

    private static MoeLayout Moe(bool renormalize, Random rng)
    {
        int experts = rng.Next(2, 7);
        return new MoeLayout(experts, rng.Next(1, Math.Min(experts, 3) + 1), renormalize, rng.Next(4, 49), Activation(rng));
    }

    /// <summary>Mostly SiLU (every family's default), sometimes the other gates the layout allows.</summary>
    private static Activation Activation(Random rng) => rng.Next(4) switch
    {
        0 => EdgeJamba.Layout.Activation.Gelu,
        1 => EdgeJamba.Layout.Activation.Relu2,
        _ => EdgeJamba.Layout.Activation.Silu,
    };
}
