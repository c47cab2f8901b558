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

    /// <summary>Recurrent (size-independent of position) state elements of one layer.</summary>
    public static long RecurrentElements(LayerLayout layer) =>
        layer.Mixer is MambaLayout m ? ConvElements(m) + SsmElements(m) : 0;

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
            total += RecurrentElements(layer) * sizeof(float);
        }
        return total;
    }

    /// <summary>
    /// Float32 elements of layer <paramref name="layer"/>'s state in the state arena. The arena holds every
    /// layer's state in layer order: attention K then V (<c>[max_context, kv_heads * head_dim]</c> each),
    /// Mamba conv (<c>[d_inner, d_conv]</c>) then SSM (<c>[d_inner, d_state]</c>). Both engines and
    /// session snapshots share this layout.
    /// </summary>
    public static long LayerStateElements(ModelLayout layout, LayerLayout layer) =>
        layer.Mixer is AttentionLayout a ? KvElements(a, layout.MaxContext) : RecurrentElements(layer);

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
