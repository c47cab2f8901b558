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
    private readonly string _mlstm;
    private readonly string _slstm;
    private readonly string _ffn;

    private TensorNames(CheckpointFamily family)
    {
        Family = family;
        _mlstm = "mlstm";
        _slstm = "slstm";
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
            case CheckpointFamily.Hybrid:
                Embedding = "model.embed_tokens.weight";
                FinalNorm = "model.final_layernorm.weight";
                _layer = "model.layers.{0}.";
                _mixerNorm = "input_layernorm";
                _ffnNorm = "pre_ff_layernorm";
                _mamba = "mamba";
                _ffn = "feed_forward";
                break;
            case CheckpointFamily.Xlstm:
                Embedding = "backbone.embeddings.weight";
                FinalNorm = "backbone.out_norm.weight";
                _layer = "backbone.blocks.{0}.";
                _mixerNorm = "norm_mlstm";
                _ffnNorm = "norm_ffn";
                _mamba = "mamba";
                _mlstm = "mlstm_layer";
                _ffn = "ffn";
                break;
            case CheckpointFamily.XlstmNxai:
                Embedding = "token_embedding.weight";
                FinalNorm = "xlstm_block_stack.post_blocks_norm.weight";
                _layer = "xlstm_block_stack.blocks.{0}.";
                _mixerNorm = "xlstm_norm";
                _ffnNorm = "ffn_norm";
                _mamba = "mamba";
                _mlstm = "xlstm";
                _slstm = "xlstm";
                _ffn = "ffn";
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
        family is CheckpointFamily.Llama or CheckpointFamily.Mixtral or CheckpointFamily.Mamba or CheckpointFamily.Jamba or CheckpointFamily.Bitnet
            or CheckpointFamily.Xlstm or CheckpointFamily.XlstmNxai or CheckpointFamily.Hybrid;

    /// <summary>Norm before the mixer [hidden].</summary>
    public string MixerNorm(int layer) => Layer(layer) + _mixerNorm + ".weight";

    /// <summary>Norm before the feed-forward [hidden].</summary>
    public string FfnNorm(int layer) => Layer(layer) + _ffnNorm + ".weight";

    /// <summary>Attention projection: <paramref name="proj"/> is q, k, v or o; <paramref name="part"/> weight or bias.</summary>
    public string Attention(int layer, string proj, string part = "weight") =>
        Layer(layer) + "self_attn." + proj + "_proj." + part;

    /// <summary>BitNet's RMSNorm over the concatenated heads, before o_proj [heads·head_dim].</summary>
    public string AttentionSubNorm(int layer) => Layer(layer) + "self_attn.attn_sub_norm.weight";

    /// <summary>BitNet's RMSNorm over <c>act(gate) ⊙ up</c>, before down_proj [intermediate_size].</summary>
    public string FfnSubNorm(int layer) => Layer(layer) + _ffn + ".ffn_sub_norm.weight";

    /// <summary>The one-element scale stored beside a packed ternary weight <paramref name="weight"/> (<c>….weight</c> → <c>….weight_scale</c>).</summary>
    public static string WeightScale(string weight) => weight + "_scale";

    /// <summary>
    /// Mamba tensor: in_proj.weight, conv1d.weight, conv1d.bias, x_proj.weight, dt_proj.weight,
    /// dt_proj.bias, A_log, D, out_proj.weight, dt_layernorm.weight, b_layernorm.weight, c_layernorm.weight.
    /// </summary>
    public string Mamba(int layer, string tensor) => Layer(layer) + _mamba + "." + tensor;

    /// <summary>
    /// mLSTM tensor, by its name inside the layer: the HF xLSTM ("large") block's q.weight, k.weight, v.weight,
    /// ogate_preact.weight, igate_preact.weight/.bias, fgate_preact.weight/.bias, multihead_norm.weight, out_proj.weight;
    /// or the NX-AI block's proj_up.weight, q_proj.weight, k_proj.weight, v_proj.weight, conv1d.conv.weight/.bias,
    /// mlstm_cell.igate.weight/.bias, mlstm_cell.fgate.weight/.bias, mlstm_cell.outnorm.weight, learnable_skip, proj_down.weight.
    /// </summary>
    public string MLstm(int layer, string tensor) => Layer(layer) + _mlstm + "." + tensor;

    /// <summary>
    /// sLSTM tensor (NX-AI names): conv1d.conv.weight/.bias, fgate.weight, igate.weight, zgate.weight, ogate.weight,
    /// slstm_cell._recurrent_kernel_, slstm_cell._bias_, group_norm.weight.
    /// </summary>
    public string SLstm(int layer, string tensor) => Layer(layer) + _slstm + "." + tensor;

    /// <summary>
    /// Dense gated MLP: <paramref name="proj"/> is gate, up, down, or gate_up (gate and up fused in one matrix).
    /// The xLSTM families keep their own names: HF xLSTM proj_up_gate (gate), proj_up (up), proj_down; NX-AI
    /// proj_up (fused gate_up), proj_down.
    /// </summary>
    public string Mlp(int layer, string proj, string part = "weight") => Layer(layer) + _ffn + "." + Family switch
    {
        CheckpointFamily.Xlstm => proj == "gate" ? "proj_up_gate" : "proj_" + proj,
        CheckpointFamily.XlstmNxai => proj == "gate_up" ? "proj_up" : "proj_" + proj,
        _ => proj + "_proj",
    } + "." + part;

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
