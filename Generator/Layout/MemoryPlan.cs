namespace EdgeJamba.Layout;

/// <summary>
/// Sizes of the fixed state a layout needs, in float32 elements and bytes. The generated state types
/// and the generic engine allocate exactly these sizes, and <c>edgejamba info</c> prints them.
/// </summary>
static partial class MemoryPlan
{
    /// <summary>KV cache elements of one attention layer: K and V, each <c>max_context x kv_heads x head_dim</c>.</summary>
    public static long KvElements(AttentionLayout attention, int maxContext) => 2L * maxContext * attention.KvDim;

    /// <summary>Conv state <c>[d_inner, d_conv]</c> of a Mamba layer.</summary>
    public static long ConvElements(MambaLayout mamba) => (long)mamba.DInner * mamba.DConv;

    /// <summary>SSM state <c>[d_inner, d_state]</c> of a Mamba layer.</summary>
    public static long SsmElements(MambaLayout mamba) => (long)mamba.DInner * mamba.DState;

    /// <summary>mLSTM memory of one HF xLSTM layer: <c>C [NH, dqk, dv]</c>, then <c>n [NH, dqk]</c>, then <c>m [NH]</c>.</summary>
    public static long MLstmElements(MLstmLargeLayout l) => (long)l.Heads * (((long)l.QkHeadDim * l.VHeadDim) + l.QkHeadDim + 1);

    /// <summary>NX-AI mLSTM: conv state <c>[inner, K]</c>, then <c>C [NH, DH, DH]</c>, <c>n [NH, DH]</c>, <c>m [NH]</c>.</summary>
    public static long MLstmElements(MLstmNxaiLayout x) =>
        ((long)x.InnerSize * x.ConvKernel) + ((long)x.Heads * (((long)x.HeadDim * x.HeadDim) + x.HeadDim + 1));

    /// <summary>sLSTM: conv state <c>[hidden, K]</c> (none when K is 0), then <c>y, c, n, m</c>, each <c>[hidden]</c>.</summary>
    public static long SLstmElements(SLstmLayout s, int hiddenSize) => ((long)hiddenSize * s.ConvKernel) + (4L * hiddenSize);

    /// <summary>Recurrent (size-independent of position) state elements of one layer.</summary>
    public static long RecurrentElements(ModelLayout layout, LayerLayout layer) => layer.Mixer switch
    {
        MambaLayout m => ConvElements(m) + SsmElements(m),
        MLstmLargeLayout l => MLstmElements(l),
        MLstmNxaiLayout x => MLstmElements(x),
        SLstmLayout s => SLstmElements(s, layout.HiddenSize),
        _ => 0,
    };

    /// <summary>KV bytes added per token of context, over all attention layers.</summary>
    public static long KvBytesPerToken(ModelLayout layout)
    {
        long total = 0;
        foreach (var layer in layout.Layers)
        {
            if (layer.Mixer is AttentionLayout a)
            {
                total += 2L * a.KvDim * sizeof(float);
            }
        }
        return total;
    }

    /// <summary>Recurrent state bytes over all layers (constant in position).</summary>
    public static long RecurrentBytes(ModelLayout layout)
    {
        long total = 0;
        foreach (var layer in layout.Layers)
        {
            total += RecurrentElements(layout, layer) * sizeof(float);
        }
        return total;
    }

    /// <summary>
    /// Float32 elements of layer <paramref name="layer"/>'s state in the state arena. The arena holds every
    /// layer's state in layer order: attention K then V (<c>[max_context, kv_heads * head_dim]</c> each),
    /// Mamba conv (<c>[d_inner, d_conv]</c>) then SSM (<c>[d_inner, d_state]</c>), the mLSTM and sLSTM
    /// memories as described at <see cref="MLstmElements(MLstmLargeLayout)"/>, <see cref="MLstmElements(MLstmNxaiLayout)"/>
    /// and <see cref="SLstmElements"/>. Both engines and session snapshots share this layout.
    /// </summary>
    public static long LayerStateElements(ModelLayout layout, LayerLayout layer) =>
        layer.Mixer is AttentionLayout a ? KvElements(a, layout.MaxContext) : RecurrentElements(layout, layer);

    /// <summary>Offset of layer <paramref name="index"/>'s state in the state arena.</summary>
    public static long LayerStateOffset(ModelLayout layout, int index)
    {
        long offset = 0;
        for (int i = 0; i < index; i++)
        {
            offset += LayerStateElements(layout, layout.Layers[i]);
        }
        return offset;
    }

    /// <summary>Elements of the whole state arena.</summary>
    public static long StateElements(ModelLayout layout) => LayerStateOffset(layout, layout.Layers.Count);

    /// <summary>Whole fixed state at maximum context: KV cache plus recurrent state.</summary>
    public static long StateBytes(ModelLayout layout) => (KvBytesPerToken(layout) * layout.MaxContext) + RecurrentBytes(layout);
}
