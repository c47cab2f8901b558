namespace EdgeJamba.Runtime;

/// <summary>Norm weights prepared once at load, shared by the generic engine and the generated code.</summary>
public static class NormWeights
{
    /// <summary>The effective scale <c>1 + w</c> of an NX-AI LayerNorm (its weight is stored as an offset from 1).</summary>
    public static float[] OnePlus(ReadOnlySpan<float> weight)
    {
        var scale = new float[weight.Length];
        for (int i = 0; i < scale.Length; i++)
        {
            scale[i] = 1f + weight[i];
        }
        return scale;
    }
}
