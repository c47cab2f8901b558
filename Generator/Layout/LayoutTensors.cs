using System.Collections.Generic;

namespace EdgeJamba.Layout;

/// <summary>What a tensor of a layout is for; decides how random weights are drawn for it.</summary>
#if EDGEJAMBA_RUNTIME
public
#endif
enum TensorRole { Embedding, Norm, Linear, Bias, ConvWeight, ALog, SkipD, DtBias }

/// <summary>One tensor a layout needs: its checkpoint name, its <c>[rows, cols]</c> shape and its role.</summary>
sealed partial record LayoutTensor(string Name, int Rows, int Cols, TensorRole Role);

/// <summary>Every tensor a checkpoint of a layout holds, in a stable order (embedding, layers, final norm, classifier).</summary>
static partial class LayoutTensors
{
    public static IEnumerable<LayoutTensor> All(ModelLayout layout)
    {
        var names = TensorNames.For(layout.Family);
        int d = layout.HiddenSize;
        yield return new LayoutTensor(names.Embedding, layout.VocabSize, d, TensorRole.Embedding);
        foreach (var layer in layout.Layers)
        {
            int i = layer.Index;
            yield return new LayoutTensor(names.MixerNorm(i), 1, d, TensorRole.Norm);
            switch (layer.Mixer)
            {
                case AttentionLayout a:
                    yield return new LayoutTensor(names.Attention(i, "q"), a.QueryDim, d, TensorRole.Linear);
                    yield return new LayoutTensor(names.Attention(i, "k"), a.KvDim, d, TensorRole.Linear);
                    yield return new LayoutTensor(names.Attention(i, "v"), a.KvDim, d, TensorRole.Linear);
                    yield return new LayoutTensor(names.Attention(i, "o"), d, a.QueryDim, TensorRole.Linear);
                    if (a.Bias)
                    {
                        yield return new LayoutTensor(names.Attention(i, "q", "bias"), 1, a.QueryDim, TensorRole.Bias);
                        yield return new LayoutTensor(names.Attention(i, "k", "bias"), 1, a.KvDim, TensorRole.Bias);
                        yield return new LayoutTensor(names.Attention(i, "v", "bias"), 1, a.KvDim, TensorRole.Bias);
                        yield return new LayoutTensor(names.Attention(i, "o", "bias"), 1, d, TensorRole.Bias);
                    }
                    break;
                case MambaLayout m:
                    yield return new LayoutTensor(names.Mamba(i, "in_proj.weight"), 2 * m.DInner, d, TensorRole.Linear);
                    if (m.ProjBias)
                    {
                        yield return new LayoutTensor(names.Mamba(i, "in_proj.bias"), 1, 2 * m.DInner, TensorRole.Bias);
                    }
                    yield return new LayoutTensor(names.Mamba(i, "conv1d.weight"), m.DInner, m.DConv, TensorRole.ConvWeight);
                    if (m.ConvBias)
                    {
                        yield return new LayoutTensor(names.Mamba(i, "conv1d.bias"), 1, m.DInner, TensorRole.Bias);
                    }
                    yield return new LayoutTensor(names.Mamba(i, "x_proj.weight"), m.DtRank + (2 * m.DState), m.DInner, TensorRole.Linear);
                    if (m.DtBcNorms)
                    {
                        yield return new LayoutTensor(names.Mamba(i, "dt_layernorm.weight"), 1, m.DtRank, TensorRole.Norm);
                        yield return new LayoutTensor(names.Mamba(i, "b_layernorm.weight"), 1, m.DState, TensorRole.Norm);
                        yield return new LayoutTensor(names.Mamba(i, "c_layernorm.weight"), 1, m.DState, TensorRole.Norm);
                    }
                    yield return new LayoutTensor(names.Mamba(i, "dt_proj.weight"), m.DInner, m.DtRank, TensorRole.Linear);
                    yield return new LayoutTensor(names.Mamba(i, "dt_proj.bias"), 1, m.DInner, TensorRole.DtBias);
                    yield return new LayoutTensor(names.Mamba(i, "A_log"), m.DInner, m.DState, TensorRole.ALog);
                    yield return new LayoutTensor(names.Mamba(i, "D"), 1, m.DInner, TensorRole.SkipD);
                    yield return new LayoutTensor(names.Mamba(i, "out_proj.weight"), d, m.DInner, TensorRole.Linear);
                    if (m.ProjBias)
                    {
                        yield return new LayoutTensor(names.Mamba(i, "out_proj.bias"), 1, d, TensorRole.Bias);
                    }
                    break;
            }
            if (layer.Ffn is not NoFfnLayout)
            {
                yield return new LayoutTensor(names.FfnNorm(i), 1, d, TensorRole.Norm);
            }
            switch (layer.Ffn)
            {
                case DenseFfnLayout f:
                    yield return new LayoutTensor(names.Mlp(i, "gate"), f.IntermediateSize, d, TensorRole.Linear);
                    yield return new LayoutTensor(names.Mlp(i, "up"), f.IntermediateSize, d, TensorRole.Linear);
                    yield return new LayoutTensor(names.Mlp(i, "down"), d, f.IntermediateSize, TensorRole.Linear);
                    if (f.Bias)
                    {
                        yield return new LayoutTensor(names.Mlp(i, "gate", "bias"), 1, f.IntermediateSize, TensorRole.Bias);
                        yield return new LayoutTensor(names.Mlp(i, "up", "bias"), 1, f.IntermediateSize, TensorRole.Bias);
                        yield return new LayoutTensor(names.Mlp(i, "down", "bias"), 1, d, TensorRole.Bias);
                    }
                    break;
                case MoeLayout e:
                    yield return new LayoutTensor(names.Router(i), e.Experts, d, TensorRole.Linear);
                    for (int x = 0; x < e.Experts; x++)
                    {
                        yield return new LayoutTensor(names.Expert(i, x, "gate"), e.IntermediateSize, d, TensorRole.Linear);
                        yield return new LayoutTensor(names.Expert(i, x, "up"), e.IntermediateSize, d, TensorRole.Linear);
                        yield return new LayoutTensor(names.Expert(i, x, "down"), d, e.IntermediateSize, TensorRole.Linear);
                    }
                    break;
            }
        }
        yield return new LayoutTensor(names.FinalNorm, 1, d, TensorRole.Norm);
        if (!layout.TieEmbeddings)
        {
            yield return new LayoutTensor(TensorNames.LmHead, layout.VocabSize, d, TensorRole.Linear);
        }
    }
}
