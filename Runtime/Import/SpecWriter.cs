using System.Text;
using System.Text.Json;
using EdgeJamba.Layout;

namespace EdgeJamba.Runtime.Import;

/// <summary>
/// Writes a <see cref="ModelLayout"/> as a model-layout spec (the format <see cref="Spec.SpecReader"/> reads),
/// folding runs of identical consecutive layers into one entry with <c>repeat</c>. Deterministic.
/// </summary>
public static class SpecWriter
{
    public static string Write(ModelLayout layout)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("name", layout.Name);
            w.WriteString("family", Family(layout.Family));
            w.WriteNumber("vocab_size", layout.VocabSize);
            w.WriteNumber("hidden_size", layout.HiddenSize);
            w.WriteNumber("max_context", layout.MaxContext);
            w.WriteNumber("norm_eps", layout.NormEps);
            w.WriteBoolean("tie_embeddings", layout.TieEmbeddings);
            w.WriteString("weight_dtype", layout.WeightFormat switch
            {
                WeightFormat.F16 => "f16",
                WeightFormat.BF16 => "bf16",
                WeightFormat.Q8_0 => "q8_0",
                WeightFormat.Ternary => "ternary",
                _ => "f32",
            });
            w.WriteString("tokenizer", layout.Tokenizer.ToString().ToLowerInvariant());
            if (layout.Norm != NormKind.RmsNorm)
            {
                w.WriteString("norm", "layernorm1p");
            }
            if (layout.LogitSoftCap > 0)
            {
                w.WriteNumber("logit_soft_cap", layout.LogitSoftCap);
            }
            if (layout.Projections != ProjectionFormat.Dense)
            {
                w.WriteString("projections", layout.Projections == ProjectionFormat.Q8_0 ? "q8_0" : "ternary");
            }
            if (layout.Projections == ProjectionFormat.Ternary)
            {
                w.WriteString("ternary_scale", layout.TernaryScale == TernaryScale.Divide ? "divide" : "multiply");
            }
            if (layout.LmHead != ProjectionFormat.Dense)
            {
                w.WriteString("lm_head", "q8_0");
            }
            w.WriteStartArray("layers");
            for (int i = 0; i < layout.Layers.Count;)
            {
                var layer = layout.Layers[i];
                int repeat = 1;
                while (i + repeat < layout.Layers.Count && layout.Layers[i + repeat].Mixer == layer.Mixer && layout.Layers[i + repeat].Ffn == layer.Ffn)
                {
                    repeat++;
                }
                w.WriteStartObject();
                if (repeat > 1)
                {
                    w.WriteNumber("repeat", repeat);
                }
                WriteMixer(w, layer.Mixer);
                WriteFfn(w, layer.Ffn);
                w.WriteEndObject();
                i += repeat;
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    public static string Family(CheckpointFamily family) => family switch
    {
        CheckpointFamily.XlstmNxai => "xlstm-nxai",
        _ => family.ToString().ToLowerInvariant(),
    };

    private static void WriteMixer(Utf8JsonWriter w, MixerLayout mixer)
    {
        w.WriteStartObject("mixer");
        switch (mixer)
        {
            case AttentionLayout a:
                w.WriteString("kind", "attention");
                w.WriteNumber("heads", a.Heads);
                w.WriteNumber("kv_heads", a.KvHeads);
                w.WriteNumber("head_dim", a.HeadDim);
                if (a.Bias)
                {
                    w.WriteBoolean("bias", true);
                }
                if (a.Rope is { } r)
                {
                    w.WriteStartObject("rope");
                    w.WriteString("type", r.Type.ToString().ToLowerInvariant());
                    w.WriteNumber("theta", r.Theta);
                    if (r.Type != RopeType.Default)
                    {
                        w.WriteNumber("factor", r.Factor);
                    }
                    if (r.Type == RopeType.Llama3)
                    {
                        w.WriteNumber("low_freq_factor", r.LowFreqFactor);
                        w.WriteNumber("high_freq_factor", r.HighFreqFactor);
                    }
                    if (r.Type is RopeType.Llama3 or RopeType.Yarn)
                    {
                        w.WriteNumber("original_max_position_embeddings", r.OriginalMaxPositions);
                    }
                    if (r.Type == RopeType.Yarn)
                    {
                        w.WriteNumber("beta_fast", r.BetaFast);
                        w.WriteNumber("beta_slow", r.BetaSlow);
                        if (r.AttentionFactor > 0)
                        {
                            w.WriteNumber("attention_factor", r.AttentionFactor);
                        }
                    }
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteNull("rope");
                }
                break;
            case MambaLayout m:
                w.WriteString("kind", "mamba");
                w.WriteNumber("d_inner", m.DInner);
                w.WriteNumber("d_state", m.DState);
                w.WriteNumber("d_conv", m.DConv);
                w.WriteNumber("dt_rank", m.DtRank);
                w.WriteBoolean("dt_bc_norms", m.DtBcNorms);
                w.WriteBoolean("conv_bias", m.ConvBias);
                w.WriteBoolean("proj_bias", m.ProjBias);
                break;
            case MLstmLargeLayout l:
                w.WriteString("kind", "mlstm");
                w.WriteString("variant", "large");
                w.WriteNumber("heads", l.Heads);
                w.WriteNumber("qk_dim", l.QkDim);
                w.WriteNumber("v_dim", l.VDim);
                w.WriteNumber("gate_soft_cap", l.GateSoftCap);
                w.WriteNumber("eps", l.Eps);
                break;
            case MLstmNxaiLayout x:
                w.WriteString("kind", "mlstm");
                w.WriteString("variant", "nxai");
                w.WriteNumber("heads", x.Heads);
                w.WriteNumber("inner_size", x.InnerSize);
                w.WriteNumber("conv_kernel", x.ConvKernel);
                w.WriteNumber("qkv_blocksize", x.QkvBlockSize);
                w.WriteNumber("eps", x.Eps);
                break;
            case SLstmLayout sl:
                w.WriteString("kind", "slstm");
                w.WriteNumber("heads", sl.Heads);
                w.WriteNumber("conv_kernel", sl.ConvKernel);
                w.WriteString("backend", sl.Backend == SLstmBackend.Cuda ? "cuda" : "vanilla");
                break;
        }
        w.WriteEndObject();
    }

    private static void WriteFfn(Utf8JsonWriter w, FfnLayout ffn)
    {
        w.WriteStartObject("ffn");
        switch (ffn)
        {
            case DenseFfnLayout d:
                w.WriteString("kind", "dense");
                w.WriteNumber("intermediate_size", d.IntermediateSize);
                w.WriteString("activation", d.Activation.ToString().ToLowerInvariant());
                if (d.Bias)
                {
                    w.WriteBoolean("bias", true);
                }
                if (d.FusedGateUp)
                {
                    w.WriteBoolean("fused_gate_up", true);
                }
                break;
            case MoeLayout e:
                w.WriteString("kind", "moe");
                w.WriteNumber("experts", e.Experts);
                w.WriteNumber("top_k", e.TopK);
                w.WriteBoolean("renormalize", e.Renormalize);
                w.WriteNumber("intermediate_size", e.IntermediateSize);
                w.WriteString("activation", e.Activation.ToString().ToLowerInvariant());
                break;
            default:
                w.WriteString("kind", "none");
                break;
        }
        w.WriteEndObject();
    }
}
