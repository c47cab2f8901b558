using System.Collections.Generic;

namespace EdgeJamba.Layout;

/// <summary>What a tensor of a layout is for; decides how random weights are drawn for it.</summary>
#if EDGEJAMBA_RUNTIME
public
#endif
enum TensorRole { Embedding, Norm, Linear, Bias, ConvWeight, ALog, SkipD, DtBias, NormOffset }

/// <summary>
/// One tensor a layout needs: its checkpoint name, its <c>[rows, cols]</c> shape and its role. A tensor with
/// <see cref="Blocks"/> &gt; 0 is stored as <c>[Blocks, Rows / Blocks, Cols]</c> (per-head weights stacked on a
/// leading axis) and read as the <c>[Rows, Cols]</c> matrix of its blocks one under the other.
/// </summary>
sealed partial record LayoutTensor(string Name, int Rows, int Cols, TensorRole Role, int Blocks = 0);

/// <summary>Every tensor a checkpoint of a layout holds, in a stable order (embedding, layers, final norm, classifier).</summary>
static partial class LayoutTensors
{
    /// <summary>
    /// The sLSTM's block-diagonal gate projections, in the order of the cell's gates i, f, z, o: the NX-AI module
    /// named <c>fgate</c> feeds the input gate and <c>igate</c> the forget gate.
    /// </summary>
    public static IReadOnlyList<string> SLstmGateTensors { get; } = new[] { "fgate.weight", "igate.weight", "zgate.weight", "ogate.weight" };

    public static IEnumerable<LayoutTensor> All(ModelLayout layout)
    {
        var names = TensorNames.For(layout.Family);
        int d = layout.HiddenSize;
        // The weight of a 1 + w norm is a small offset; of a plain norm a scale near 1.
        var norm = layout.Norm == NormKind.LayerNorm1p ? TensorRole.NormOffset : TensorRole.Norm;
        yield return new LayoutTensor(names.Embedding, layout.VocabSize, d, TensorRole.Embedding);
        foreach (var layer in layout.Layers)
        {
            int i = layer.Index;
            yield return new LayoutTensor(names.MixerNorm(i), 1, d, norm);
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
                    if (layout.HasSubNorms)
                    {
                        yield return new LayoutTensor(names.AttentionSubNorm(i), 1, a.QueryDim, TensorRole.Norm);
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
                case MLstmLargeLayout l:
                    yield return new LayoutTensor(names.MLstm(i, "q.weight"), l.QkDim, d, TensorRole.Linear);
                    yield return new LayoutTensor(names.MLstm(i, "k.weight"), l.QkDim, d, TensorRole.Linear);
                    yield return new LayoutTensor(names.MLstm(i, "v.weight"), l.VDim, d, TensorRole.Linear);
                    yield return new LayoutTensor(names.MLstm(i, "ogate_preact.weight"), l.VDim, d, TensorRole.Linear);
                    yield return new LayoutTensor(names.MLstm(i, "igate_preact.weight"), l.Heads, d, TensorRole.Linear);
                    yield return new LayoutTensor(names.MLstm(i, "igate_preact.bias"), 1, l.Heads, TensorRole.Bias);
                    yield return new LayoutTensor(names.MLstm(i, "fgate_preact.weight"), l.Heads, d, TensorRole.Linear);
                    yield return new LayoutTensor(names.MLstm(i, "fgate_preact.bias"), 1, l.Heads, TensorRole.Bias);
                    yield return new LayoutTensor(names.MLstm(i, "multihead_norm.weight"), 1, l.VDim, TensorRole.Norm);
                    yield return new LayoutTensor(names.MLstm(i, "out_proj.weight"), d, l.VDim, TensorRole.Linear);
                    break;
                case MLstmNxaiLayout x:
                    {
                        int inner = x.InnerSize, blocks = inner / x.QkvBlockSize;
                        yield return new LayoutTensor(names.MLstm(i, "proj_up.weight"), 2 * inner, d, TensorRole.Linear);
                        yield return new LayoutTensor(names.MLstm(i, "q_proj.weight"), inner, x.QkvBlockSize, TensorRole.Linear, blocks);
                        yield return new LayoutTensor(names.MLstm(i, "k_proj.weight"), inner, x.QkvBlockSize, TensorRole.Linear, blocks);
                        yield return new LayoutTensor(names.MLstm(i, "v_proj.weight"), inner, x.QkvBlockSize, TensorRole.Linear, blocks);
                        yield return new LayoutTensor(names.MLstm(i, "conv1d.conv.weight"), inner, x.ConvKernel, TensorRole.ConvWeight);
                        yield return new LayoutTensor(names.MLstm(i, "conv1d.conv.bias"), 1, inner, TensorRole.Bias);
                        yield return new LayoutTensor(names.MLstm(i, "mlstm_cell.igate.weight"), x.Heads, 3 * inner, TensorRole.Linear);
                        yield return new LayoutTensor(names.MLstm(i, "mlstm_cell.igate.bias"), 1, x.Heads, TensorRole.Bias);
                        yield return new LayoutTensor(names.MLstm(i, "mlstm_cell.fgate.weight"), x.Heads, 3 * inner, TensorRole.Linear);
                        yield return new LayoutTensor(names.MLstm(i, "mlstm_cell.fgate.bias"), 1, x.Heads, TensorRole.Bias);
                        yield return new LayoutTensor(names.MLstm(i, "mlstm_cell.outnorm.weight"), 1, inner, TensorRole.NormOffset);
                        yield return new LayoutTensor(names.MLstm(i, "learnable_skip"), 1, inner, TensorRole.Norm);
                        yield return new LayoutTensor(names.MLstm(i, "proj_down.weight"), d, inner, TensorRole.Linear);
                        break;
                    }
                case SLstmLayout s:
                    {
                        int headDim = d / s.Heads;
                        if (s.ConvKernel > 0)
                        {
                            yield return new LayoutTensor(names.SLstm(i, "conv1d.conv.weight"), d, s.ConvKernel, TensorRole.ConvWeight);
                            yield return new LayoutTensor(names.SLstm(i, "conv1d.conv.bias"), 1, d, TensorRole.Bias);
                        }
                        foreach (string gate in SLstmGateTensors)
                        {
                            yield return new LayoutTensor(names.SLstm(i, gate), d, headDim, TensorRole.Linear, s.Heads);
                        }
                        yield return s.Backend == SLstmBackend.Cuda
                            ? new LayoutTensor(names.SLstm(i, "slstm_cell._recurrent_kernel_"), d, 4 * headDim, TensorRole.Linear, s.Heads)
                            : new LayoutTensor(names.SLstm(i, "slstm_cell._recurrent_kernel_"), 4 * d, headDim, TensorRole.Linear, s.Heads);
                        yield return new LayoutTensor(names.SLstm(i, "slstm_cell._bias_"), 1, 4 * d, TensorRole.Bias);
                        yield return new LayoutTensor(names.SLstm(i, "group_norm.weight"), 1, d, TensorRole.NormOffset);
                        break;
                    }
            }
            if (layer.Ffn is not NoFfnLayout)
            {
                yield return new LayoutTensor(names.FfnNorm(i), 1, d, norm);
            }
            switch (layer.Ffn)
            {
                case DenseFfnLayout { FusedGateUp: true } f:
                    yield return new LayoutTensor(names.Mlp(i, "gate_up"), 2 * f.IntermediateSize, d, TensorRole.Linear);
                    yield return new LayoutTensor(names.Mlp(i, "down"), d, f.IntermediateSize, TensorRole.Linear);
                    break;
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
                    if (layout.HasSubNorms)
                    {
                        yield return new LayoutTensor(names.FfnSubNorm(i), 1, f.IntermediateSize, TensorRole.Norm);
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
        yield return new LayoutTensor(names.FinalNorm, 1, d, norm);
        if (!layout.TieEmbeddings)
        {
            yield return new LayoutTensor(TensorNames.LmHead, layout.VocabSize, d, TensorRole.Linear);
        }
    }
}
