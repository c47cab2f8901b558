using System;

namespace EdgeJamba.Layout;

// The validated layout of one model: what the generator emits code for and what the generic engine
// interprets. Every record has value equality (the generator caches on it) and holds no Roslyn type.
// Sizes are element counts; nothing here depends on a checkpoint's bytes.

/// <summary>How a checkpoint family names its tensors (see <see cref="TensorNames"/>).</summary>
#if EDGEJAMBA_RUNTIME
public
#endif
enum CheckpointFamily { Llama, Mixtral, Mamba, Jamba, Xlstm, XlstmNxai, Bitnet }

/// <summary>How the weights of the projections are stored and multiplied.</summary>
#if EDGEJAMBA_RUNTIME
public
#endif
enum WeightFormat { F32, F16, BF16, Q8_0, Ternary }

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

/// <summary>A whole model: embedding, the layers in order, final norm and classifier.</summary>
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
    EquatableArray<LayerLayout> Layers)
{
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

/// <summary>The feed-forward half of a layer.</summary>
abstract partial record FfnLayout;

/// <summary>No feed-forward (Mamba-1 blocks).</summary>
sealed partial record NoFfnLayout : FfnLayout;

/// <summary>Gated MLP: <c>down(act(gate·x) ⊙ up·x)</c>.</summary>
sealed partial record DenseFfnLayout(int IntermediateSize, Activation Activation, bool Bias) : FfnLayout;

/// <summary>
/// Sparse mixture of gated-MLP experts: softmax router over all experts, top-k chosen,
/// weights renormalized over the chosen k when <see cref="Renormalize"/> (Mixtral) and not otherwise (Jamba).
/// </summary>
sealed partial record MoeLayout(int Experts, int TopK, bool Renormalize, int IntermediateSize, Activation Activation) : FfnLayout;
