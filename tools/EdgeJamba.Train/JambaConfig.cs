using System.Text.Json.Nodes;

namespace EdgeJamba.Train;

/// <summary>
/// The trained model's shape, in Hugging Face <c>JambaConfig</c> terms. Layer i is attention iff
/// <c>i % AttnLayerPeriod == AttnLayerOffset</c> (else Mamba) and has a mixture-of-experts FFN iff
/// <c>i % ExpertLayerPeriod == ExpertLayerOffset</c> (else a dense SwiGLU MLP). The LM head is tied to the embedding.
/// </summary>
internal sealed record JambaConfig
{
    public int VocabSize { get; init; } = 256;
    public int HiddenSize { get; init; } = 128;
    public int IntermediateSize { get; init; } = 256;
    public int NumHiddenLayers { get; init; } = 4;
    public int NumAttentionHeads { get; init; } = 4;
    public int NumKeyValueHeads { get; init; } = 2;
    public int NumExperts { get; init; } = 4;
    public int NumExpertsPerTok { get; init; } = 2;
    public int ExpertLayerPeriod { get; init; } = 2;
    public int ExpertLayerOffset { get; init; } = 1;
    public int AttnLayerPeriod { get; init; } = 4;
    public int AttnLayerOffset { get; init; } = 2;
    public int MambaDState { get; init; } = 16;
    public int MambaDConv { get; init; } = 4;
    public int MambaExpand { get; init; } = 2;
    public double RmsNormEps { get; init; } = 1e-6;
    public int MaxPositionEmbeddings { get; init; } = 2048;
    public double RouterAuxLossCoef { get; init; } = 0.01;

    /// <summary>
    /// Training only (not in <c>config.json</c>): the projections a ternary build converts run BitNet b1.58's
    /// quantization-aware forward (<see cref="Projection"/>); the export holds the latent float weights.
    /// </summary>
    public bool TernaryProjections { get; init; }

    /// <summary><c>mamba_dt_rank</c> "auto": <c>ceil(hidden / 16)</c>.</summary>
    public int MambaDtRank => (HiddenSize + 15) / 16;

    public int MambaInner => MambaExpand * HiddenSize;

    public int HeadDim => HiddenSize / NumAttentionHeads;

    public bool IsAttention(int layer) => layer % AttnLayerPeriod == AttnLayerOffset;

    public bool IsMoe(int layer) => NumExperts > 1 && layer % ExpertLayerPeriod == ExpertLayerOffset;

    /// <summary>The <c>config.json</c> of the exported folder (JambaConfig field names).</summary>
    public JsonObject ToHfJson() => new()
    {
        ["architectures"] = new JsonArray("JambaForCausalLM"),
        ["model_type"] = "jamba",
        ["vocab_size"] = VocabSize,
        ["hidden_size"] = HiddenSize,
        ["intermediate_size"] = IntermediateSize,
        ["num_hidden_layers"] = NumHiddenLayers,
        ["num_attention_heads"] = NumAttentionHeads,
        ["num_key_value_heads"] = NumKeyValueHeads,
        ["hidden_act"] = "silu",
        ["initializer_range"] = 0.02,
        ["rms_norm_eps"] = RmsNormEps,
        ["use_cache"] = true,
        ["tie_word_embeddings"] = true,
        ["num_logits_to_keep"] = 1,
        ["output_router_logits"] = false,
        ["router_aux_loss_coef"] = RouterAuxLossCoef,
        ["pad_token_id"] = null,
        ["bos_token_id"] = null,
        ["eos_token_id"] = null,
        ["sliding_window"] = null,
        ["max_position_embeddings"] = MaxPositionEmbeddings,
        ["attention_dropout"] = 0.0,
        ["num_experts_per_tok"] = NumExpertsPerTok,
        ["num_experts"] = NumExperts,
        ["expert_layer_period"] = ExpertLayerPeriod,
        ["expert_layer_offset"] = ExpertLayerOffset,
        ["attn_layer_period"] = AttnLayerPeriod,
        ["attn_layer_offset"] = AttnLayerOffset,
        ["use_mamba_kernels"] = false,
        ["mamba_d_state"] = MambaDState,
        ["mamba_d_conv"] = MambaDConv,
        ["mamba_expand"] = MambaExpand,
        ["mamba_dt_rank"] = MambaDtRank,
        ["mamba_conv_bias"] = true,
        ["mamba_proj_bias"] = false,
        ["torch_dtype"] = "float32",
    };
}
