using System;
using System.Globalization;

namespace EdgeJamba.Layout;

/// <summary>
/// The one table of checkpoint tensor names, per family, verbatim as Hugging Face stores them.
/// The generator emits these strings into each model's weights binder; the generic engine looks
/// them up at load. Nothing else in the project spells a tensor name.
/// </summary>
sealed partial class TensorNames
{
    private readonly string _layer;
    private readonly string _mixerNorm;
    private readonly string _ffnNorm;
    private readonly string _mamba;
    private readonly string _ffn;

    private TensorNames(CheckpointFamily family)
    {
        Family = family;
        switch (family)
        {
            case CheckpointFamily.Mamba:
                Embedding = "backbone.embeddings.weight";
                FinalNorm = "backbone.norm_f.weight";
                _layer = "backbone.layers.{0}.";
                _mixerNorm = "norm";
                _ffnNorm = "post_norm";
                _mamba = "mixer";
                _ffn = "mlp";
                break;
            case CheckpointFamily.Jamba:
                Embedding = "model.embed_tokens.weight";
                FinalNorm = "model.final_layernorm.weight";
                _layer = "model.layers.{0}.";
                _mixerNorm = "input_layernorm";
                _ffnNorm = "pre_ff_layernorm";
                _mamba = "mamba";
                _ffn = "feed_forward";
                break;
            case CheckpointFamily.Llama:
            case CheckpointFamily.Mixtral:
            case CheckpointFamily.Bitnet:
                Embedding = "model.embed_tokens.weight";
                FinalNorm = "model.norm.weight";
                _layer = "model.layers.{0}.";
                _mixerNorm = "input_layernorm";
                _ffnNorm = "post_attention_layernorm";
                _mamba = "mamba";
                _ffn = family == CheckpointFamily.Mixtral ? "block_sparse_moe" : "mlp";
                break;
            default:
                throw new NotSupportedException("Tensor names of the " + family + " family are not known yet.");
        }
    }

    public CheckpointFamily Family { get; }

    /// <summary>Token embedding matrix [vocab, hidden].</summary>
    public string Embedding { get; }

    /// <summary>Final RMSNorm weight [hidden].</summary>
    public string FinalNorm { get; }

    /// <summary>Classifier [vocab, hidden]; absent when embeddings are tied.</summary>
    public static string LmHead => "lm_head.weight";

    public static TensorNames For(CheckpointFamily family) => new TensorNames(family);

    /// <summary>Whether this family's checkpoints are read with this table (the rest come with later layer kinds).</summary>
    public static bool IsSupported(CheckpointFamily family) =>
        family is CheckpointFamily.Llama or CheckpointFamily.Mixtral or CheckpointFamily.Mamba or CheckpointFamily.Jamba or CheckpointFamily.Bitnet;

    /// <summary>Norm before the mixer [hidden].</summary>
    public string MixerNorm(int layer) => Layer(layer) + _mixerNorm + ".weight";

    /// <summary>Norm before the feed-forward [hidden].</summary>
    public string FfnNorm(int layer) => Layer(layer) + _ffnNorm + ".weight";

    /// <summary>Attention projection: <paramref name="proj"/> is q, k, v or o; <paramref name="part"/> weight or bias.</summary>
    public string Attention(int layer, string proj, string part = "weight") =>
        Layer(layer) + "self_attn." + proj + "_proj." + part;

    /// <summary>
    /// Mamba tensor: in_proj.weight, conv1d.weight, conv1d.bias, x_proj.weight, dt_proj.weight,
    /// dt_proj.bias, A_log, D, out_proj.weight, dt_layernorm.weight, b_layernorm.weight, c_layernorm.weight.
    /// </summary>
    public string Mamba(int layer, string tensor) => Layer(layer) + _mamba + "." + tensor;

    /// <summary>Dense gated MLP: <paramref name="proj"/> is gate, up or down.</summary>
    public string Mlp(int layer, string proj, string part = "weight") => Layer(layer) + _ffn + "." + proj + "_proj." + part;

    /// <summary>MoE router [experts, hidden].</summary>
    public string Router(int layer) =>
        Layer(layer) + _ffn + (Family == CheckpointFamily.Mixtral ? ".gate.weight" : ".router.weight");

    /// <summary>One expert's projection: <paramref name="proj"/> is gate, up or down.</summary>
    public string Expert(int layer, int expert, string proj)
    {
        string prefix = Layer(layer) + _ffn + ".experts." + expert.ToString(CultureInfo.InvariantCulture) + ".";
        if (Family == CheckpointFamily.Mixtral)
        {
            // Mixtral keeps the original w1 (gate), w3 (up), w2 (down) names.
            return prefix + (proj == "gate" ? "w1" : proj == "up" ? "w3" : "w2") + ".weight";
        }
        return prefix + proj + "_proj.weight";
    }

    private string Layer(int layer) => string.Format(CultureInfo.InvariantCulture, _layer, layer);
}
