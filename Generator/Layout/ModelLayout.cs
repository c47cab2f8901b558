using System;

namespace EdgeJamba.Layout;

// The validated layout of one model: what the generator emits code for and what the generic engine
// interprets. Every record has value equality (the generator caches on it) and holds no Roslyn type.
// Sizes are element counts; nothing here depends on a checkpoint's bytes.

/// <summary>How a checkpoint family names its tensors (see <see cref="TensorNames"/>).</summary>
#if EDGEJAMBA_RUNTIME
public
#endif
enum CheckpointFamily { Llama, Mixtral, Mamba, Jamba, Xlstm, XlstmNxai, Bitnet, Hybrid }

/// <summary>How the block norms and the final norm normalize (with <see cref="ModelLayout.NormEps"/>).</summary>
#if EDGEJAMBA_RUNTIME
public
#endif
enum NormKind
{
    /// <summary><c>w · x / sqrt(mean(x²) + eps)</c> (Llama, Mamba, Jamba, HF xLSTM).</summary>
    RmsNorm,

    /// <summary>Bias-free LayerNorm scaled by <c>1 + w</c>: <c>(1 + w) · (x − mean) / sqrt(var + eps)</c>, biased variance (NX-AI xLSTM).</summary>
    LayerNorm1p,
}

/// <summary>The stored layout of an sLSTM cell's <c>_recurrent_kernel_</c> and <c>_bias_</c> (NX-AI <c>slstm.backend</c>).</summary>
#if EDGEJAMBA_RUNTIME
public
#endif
enum SLstmBackend
{
    /// <summary><c>R [NH, DH, 4·DH]</c>, element <c>[h, v, g·DH + u]</c>; bias <c>[h·4·DH + g·DH + u]</c>.</summary>
    Cuda,

    /// <summary><c>R [NH, 4·DH, DH]</c>, element <c>[h, g·DH + u, v]</c>; bias <c>[g·D + h·DH + u]</c>.</summary>
    Vanilla,
}

/// <summary>How the weights of the projections are stored and multiplied.</summary>
#if EDGEJAMBA_RUNTIME
public
#endif
enum WeightFormat { F32, F16, BF16, Q8_0, Ternary }

/// <summary>
/// How the projection matrices of the layers (attention q/k/v/o, feed-forward gate/up/down) are stored and multiplied;
/// the embedding, the norms and the classifier stay dense (<see cref="WeightFormat"/>).
/// </summary>
#if EDGEJAMBA_RUNTIME
public
#endif
enum ProjectionFormat
{
    /// <summary>Dense float weights, float32 products.</summary>
    Dense,

    /// <summary>
    /// llama.cpp's Q8_0: weights in blocks of 32 int8 values with one float scale per block (quantized at load), inputs
    /// quantized likewise per block of 32; integer dot products per block, scaled and summed in float32.
    /// </summary>
    Q8_0,

    /// <summary>
    /// BitNet b1.58 BitLinear: weights in {−1, 0, +1} times one scale per matrix (2-bit packed), inputs quantized per token
    /// to int8 by their absmax; the products are integer sums of added and subtracted activations.
    /// </summary>
    Ternary,
}

/// <summary>What a ternary checkpoint's stored <c>weight_scale</c> means (HF <c>quantization_config.linear_class</c>).</summary>
#if EDGEJAMBA_RUNTIME
public
#endif
enum TernaryScale
{
    /// <summary><c>autobitlinear</c>: the scale is γ = mean|W|, the output is multiplied by it.</summary>
    Multiply,

    /// <summary><c>bitlinear</c>: the scale is 1/γ, the output is divided by it.</summary>
    Divide,
}

/// <summary>The tokenizer a model folder carries.</summary>
#if EDGEJAMBA_RUNTIME
public
#endif
enum TokenizerKind { SentencePiece, Bpe, Bytes, None }

/// <summary>Element-wise activation of a feed-forward's gate.</summary>
#if EDGEJAMBA_RUNTIME
public
#endif
enum Activation { Silu, Gelu, Relu2 }

/// <summary>How rotary position frequencies are derived (HF <c>rope_type</c>).</summary>
#if EDGEJAMBA_RUNTIME
public
#endif
enum RopeType { Default, Linear, Llama3, Yarn }

/// <summary>
/// A whole model: embedding, the layers in order, final norm and classifier. <see cref="Norm"/> is the kind of
/// every block norm and the final norm; <see cref="LogitSoftCap"/>, when positive, maps the logits through
/// <c>cap · tanh(logits / cap)</c> (HF xLSTM: 30). <see cref="Projections"/> is the format of the layers' projection
/// matrices (<see cref="TernaryScale"/> reads a ternary checkpoint's stored scales) and <see cref="LmHead"/> that of the
/// classifier (dense or q8_0; a tied classifier is quantized from the embedding, whose lookup stays float); the BitNet family
/// adds the sub-norms <c>attn_sub_norm</c> (before o_proj) and <c>ffn_sub_norm</c> (before down_proj).
/// </summary>
sealed partial record ModelLayout(
    string Name,
    CheckpointFamily Family,
    int VocabSize,
    int HiddenSize,
    int MaxContext,
    double NormEps,
    bool TieEmbeddings,
    WeightFormat WeightFormat,
    TokenizerKind Tokenizer,
    EquatableArray<LayerLayout> Layers,
    NormKind Norm = NormKind.RmsNorm,
    double LogitSoftCap = 0,
    ProjectionFormat Projections = ProjectionFormat.Dense,
    TernaryScale TernaryScale = TernaryScale.Multiply,
    ProjectionFormat LmHead = ProjectionFormat.Dense)
{
    /// <summary>Whether the layers have BitNet's sub-norms before o_proj and down_proj.</summary>
    public bool HasSubNorms => Family == CheckpointFamily.Bitnet;

    /// <summary>Number of attention layers (each owns a KV cache of <see cref="MaxContext"/> positions).</summary>
    public int AttentionLayerCount
    {
        get
        {
            int n = 0;
            foreach (var layer in Layers)
            {
                if (layer.Mixer is AttentionLayout)
                {
                    n++;
                }
            }
            return n;
        }
    }
}

/// <summary>One decoder layer: <c>h += Mixer(Norm1(h)); h += Ffn(Norm2(h))</c>.</summary>
sealed partial record LayerLayout(int Index, MixerLayout Mixer, FfnLayout Ffn);

/// <summary>The token mixer of a layer.</summary>
abstract partial record MixerLayout;

/// <summary>
/// Causal grouped-query self-attention. Query head h reads KV head h / (Heads / KvHeads).
/// <see cref="Rope"/> is null when the family uses no positional encoding (Jamba).
/// </summary>
sealed partial record AttentionLayout(int Heads, int KvHeads, int HeadDim, RopeLayout? Rope, bool Bias) : MixerLayout
{
    public int QueryDim => Heads * HeadDim;

    public int KvDim => KvHeads * HeadDim;
}

/// <summary>Rotary embedding parameters (rotate-half layout, HF semantics).</summary>
sealed partial record RopeLayout(
    RopeType Type,
    double Theta,
    double Factor,
    double LowFreqFactor,
    double HighFreqFactor,
    int OriginalMaxPositions,
    double BetaFast,
    double BetaSlow,
    double AttentionFactor);

/// <summary>
/// Mamba-1 selective-state-space mixer. <see cref="DtBcNorms"/> adds Jamba's RMSNorms on dt, B and C.
/// </summary>
sealed partial record MambaLayout(
    int DInner,
    int DState,
    int DConv,
    int DtRank,
    bool DtBcNorms,
    bool ConvBias,
    bool ProjBias) : MixerLayout;

/// <summary>
/// The mLSTM layer of HF xLSTM (NX-AI xLSTM-7b, "xLSTM Large"): q, k, v, output-gate projections of the normed
/// input, soft-capped scalar input and forget gates per head, the stabilized matrix-memory recurrence with the
/// query scaled by <c>QkHeadDim^-0.5</c>, a per-head LayerNorm times <c>multihead_norm.weight</c>, then
/// <c>out_proj(sigmoid(o) ⊙ ·)</c>. <see cref="Eps"/> is the denominator's epsilon.
/// </summary>
sealed partial record MLstmLargeLayout(int Heads, int QkDim, int VDim, double GateSoftCap, double Eps) : MixerLayout
{
    public int QkHeadDim => QkDim / Heads;

    public int VHeadDim => VDim / Heads;
}

/// <summary>
/// The original NX-AI mLSTM layer: up-projection to <c>[xm | z]</c> (<see cref="InnerSize"/> each), causal conv +
/// silu, block-diagonal q/k/v projections (blocks of <see cref="QkvBlockSize"/>), input/forget gates from
/// <c>cat(q, k, v)</c>, the stabilized recurrence with keys scaled by <c>HeadDim^-0.5</c>, per-head LayerNorm
/// (<c>1 + outnorm.weight</c>), learnable skip, <c>silu(z)</c> gate and down-projection.
/// </summary>
sealed partial record MLstmNxaiLayout(int Heads, int InnerSize, int ConvKernel, int QkvBlockSize, double Eps) : MixerLayout
{
    public int HeadDim => InnerSize / Heads;
}

/// <summary>
/// The NX-AI sLSTM layer over the hidden size: optional causal conv (<see cref="ConvKernel"/> 0 = none) + silu
/// feeding the input and forget gates, block-diagonal (per head) gate projections and recurrent kernel, the
/// stabilized scalar-memory cell, then per-head LayerNorm (<c>1 + group_norm.weight</c>); no output projection.
/// </summary>
sealed partial record SLstmLayout(int Heads, int ConvKernel, SLstmBackend Backend) : MixerLayout;

/// <summary>The feed-forward half of a layer.</summary>
abstract partial record FfnLayout;

/// <summary>No feed-forward (Mamba-1 blocks).</summary>
sealed partial record NoFfnLayout : FfnLayout;

/// <summary>
/// Gated MLP: <c>down(act(gate·x) ⊙ up·x)</c>. With <see cref="FusedGateUp"/> the checkpoint stores gate and up as
/// one <c>[2·IntermediateSize, hidden]</c> matrix, gate rows first (NX-AI <c>ffn.proj_up</c>).
/// </summary>
sealed partial record DenseFfnLayout(int IntermediateSize, Activation Activation, bool Bias, bool FusedGateUp = false) : FfnLayout;

/// <summary>
/// Sparse mixture of gated-MLP experts: softmax router over all experts, top-k chosen,
/// weights renormalized over the chosen k when <see cref="Renormalize"/> (Mixtral) and not otherwise (Jamba).
/// </summary>
sealed partial record MoeLayout(int Experts, int TopK, bool Renormalize, int IntermediateSize, Activation Activation) : FfnLayout;
