using System.Collections.Generic;
using EdgeJamba.Layout;
using static EdgeJamba.Generator.SourceWriter;

namespace EdgeJamba.Generator.Emit;

/// <summary>The original NX-AI mLSTM layer: up-projection, causal conv, headwise q/k/v, gates from cat(q, k, v), the stabilized cell, outnorm, learnable skip, silu(z) gate, down-projection.</summary>
internal sealed class MLstmNxaiEmitter : PartEmitter
{
    private readonly MLstmNxaiLayout _l;

    public MLstmNxaiEmitter(ModelLayout model, LayerLayout layer, MLstmNxaiLayout mlstm)
        : base(model, layer) => _l = mlstm;

    public override string Describe() =>
        "mLSTM, NX-AI block (" + Int(_l.Heads) + " heads, inner " + Int(_l.InnerSize) + ", conv " + Int(_l.ConvKernel) + ", qkv blocks of " + Int(_l.QkvBlockSize) + ")";

    public override IEnumerable<string> Constants()
    {
        long offset = MemoryPlan.LayerStateOffset(Model, Layer.Index);
        long conv = (long)_l.InnerSize * _l.ConvKernel;
        long memory = (long)_l.Heads * _l.HeadDim * _l.HeadDim;
        yield return Const("Heads", _l.Heads, "num_heads");
        yield return Const("InnerSize", _l.InnerSize, "_inner_embedding_dim = proj_factor * embedding_dim, rounded up to 64");
        yield return Const("HeadDim", _l.HeadDim, "InnerSize / Heads");
        yield return Const("ConvKernel", _l.ConvKernel, "conv1d_kernel_size");
        yield return Const("QkvBlockSize", _l.QkvBlockSize, "qkv_proj_blocksize");
        yield return Const("QkvBlocks", _l.InnerSize / _l.QkvBlockSize, "InnerSize / QkvBlockSize");
        yield return Const("ConvOffset", offset, "conv state [InnerSize, ConvKernel] in the state arena");
        yield return Const("MemoryOffset", offset + conv, "C [Heads, HeadDim, HeadDim] in the state arena");
        yield return Const("NormalizerOffset", offset + conv + memory, "n [Heads, HeadDim] in the state arena");
        yield return Const("StabilizerOffset", offset + conv + memory + ((long)_l.Heads * _l.HeadDim), "m [Heads] in the state arena");
        yield return "private const float CellEps = " + Float(_l.Eps) + "; // eps of the cell's denominator";
        yield return "private const float KeyScale = " + Float(1.0 / System.Math.Sqrt(_l.HeadDim)) + "; // 1 / sqrt(HeadDim)";
    }

    public override IEnumerable<WeightField> Weights()
    {
        int i = Layer.Index;
        yield return new WeightField("ProjUp", Names.MLstm(i, "proj_up.weight"), "2 * InnerSize", "HiddenSize", product: true);
        yield return new WeightField("Q", Names.MLstm(i, "q_proj.weight"), "QkvBlockSize", "QkvBlockSize", "QkvBlocks");
        yield return new WeightField("K", Names.MLstm(i, "k_proj.weight"), "QkvBlockSize", "QkvBlockSize", "QkvBlocks");
        yield return new WeightField("V", Names.MLstm(i, "v_proj.weight"), "QkvBlockSize", "QkvBlockSize", "QkvBlocks");
        yield return new WeightField("Conv", Names.MLstm(i, "conv1d.conv.weight"), "InnerSize", "ConvKernel");
        yield return new WeightField("ConvBias", Names.MLstm(i, "conv1d.conv.bias"), "1", "InnerSize");
        yield return new WeightField("IGate", Names.MLstm(i, "mlstm_cell.igate.weight"), "Heads", "3 * InnerSize", product: true);
        yield return new WeightField("IGateBias", Names.MLstm(i, "mlstm_cell.igate.bias"), "1", "Heads");
        yield return new WeightField("FGate", Names.MLstm(i, "mlstm_cell.fgate.weight"), "Heads", "3 * InnerSize", product: true);
        yield return new WeightField("FGateBias", Names.MLstm(i, "mlstm_cell.fgate.bias"), "1", "Heads");
        yield return new WeightField("OutNorm", Names.MLstm(i, "mlstm_cell.outnorm.weight"), "1", "InnerSize");
        yield return new WeightField("Skip", Names.MLstm(i, "learnable_skip"), "1", "InnerSize");
        yield return new WeightField("ProjDown", Names.MLstm(i, "proj_down.weight"), "HiddenSize", "InnerSize", product: true);
    }

    public override IEnumerable<string> ExtraFields()
    {
        yield return "public readonly float[] OutNormScale; // 1 + outnorm.weight, computed once";
    }

    public override IEnumerable<string> Precompute()
    {
        yield return "OutNormScale = NormWeights.OnePlus(OutNorm.Row(0));";
    }

    public override void Forward(SourceWriter w, ref int step)
    {
        w.Line("Span<float> convState = state.Slice(ConvOffset, InnerSize * ConvKernel);");
        w.Line("Span<float> memory = state.Slice(MemoryOffset, Heads * HeadDim * HeadDim);");
        w.Line("Span<float> normalizer = state.Slice(NormalizerOffset, Heads * HeadDim);");
        w.Line("Span<float> stabilizer = state.Slice(StabilizerOffset, Heads);");
        w.Line("Span<float> xz = s.Xz.AsSpan(0, count * 2 * InnerSize);");
        w.Line("Span<float> xc = s.Xc.AsSpan(0, count * InnerSize);");
        w.Line("Span<float> qkv = s.Qkv.AsSpan(0, count * 3 * InnerSize);");
        w.Line("Span<float> gates = s.Gates.AsSpan(0, 2 * count * Heads);");
        w.Line("Span<float> inputGates = gates[..(count * Heads)];");
        w.Line("Span<float> forgetGates = gates[(count * Heads)..];");
        w.Line("Span<float> y = s.Y.AsSpan(0, count * InnerSize);");
        w.Line(Step(ref step, "[xm | z] = proj_up·x [count, 2 * InnerSize]"));
        FloatProduct(w, "w.ProjUp", "x", "HiddenSize", "xz");
        w.Line(Step(ref step, "xc = silu(causal conv of xm), token after token (the channels split among the pool's threads)"));
        w.Line("pool.CausalConv1dSilu(xz, 2 * InnerSize, convState, w.Conv.AsSpan(), w.ConvBias.Row(0), count, xc);");
        w.Line(Step(ref step, "row t of qkv = [q | k | v], q and k headwise of xc, v headwise of xm"));
        using (w.Block("for (int t = 0; t < count; t++)"))
        {
            w.Line("Span<float> xm = xz.Slice(t * 2 * InnerSize, InnerSize);");
            w.Line("Span<float> xct = xc.Slice(t * InnerSize, InnerSize);");
            w.Line("Span<float> row = qkv.Slice(t * 3 * InnerSize, 3 * InnerSize);");
            w.Line("Kernels.BlockDiagonalMatVec(w.Q.AsSpan(), QkvBlocks, xct, row[..InnerSize]);");
            w.Line("Kernels.BlockDiagonalMatVec(w.K.AsSpan(), QkvBlocks, xct, row.Slice(InnerSize, InnerSize));");
            w.Line("Kernels.BlockDiagonalMatVec(w.V.AsSpan(), QkvBlocks, xm, row.Slice(2 * InnerSize, InnerSize));");
        }
        w.Line(Step(ref step, "i, f = igate·[q | k | v] + b, fgate·[q | k | v] + b [count, Heads] (no soft cap)"));
        w.Line("pool.MatMul(w.IGate, qkv, count, inputGates);");
        using (w.Block("for (int t = 0; t < count; t++)"))
        {
            w.Line("Kernels.Add(w.IGateBias.Row(0), inputGates.Slice(t * Heads, Heads));");
        }
        w.Line("pool.MatMul(w.FGate, qkv, count, forgetGates);");
        using (w.Block("for (int t = 0; t < count; t++)"))
        {
            w.Line("Kernels.Add(w.FGateBias.Row(0), forgetGates.Slice(t * Heads, Heads));");
        }
        w.Line(Step(ref step, "token after token, per head: the stabilized mLSTM step (key scaled by KeyScale) on (C, n, m), LayerNorm by 1 + outnorm"));
        w.Line("//    (the heads split among the pool's threads)");
        w.Line("pool.MLstmChunk(qkv, qkv[InnerSize..], 3 * InnerSize, qkv[(2 * InnerSize)..], 3 * InnerSize, inputGates, forgetGates, 1f, KeyScale, CellEps,");
        w.Line("    memory, normalizer, stabilizer, w.OutNormScale, Eps, count, y);");
        w.Line(Step(ref step, "y = (y + learnable_skip ⊙ xc) ⊙ silu(z), row by row"));
        using (w.Block("for (int t = 0; t < count; t++)"))
        {
            w.Line("Span<float> yt = y.Slice(t * InnerSize, InnerSize);");
            w.Line("Kernels.AddProduct(w.Skip.Row(0), xc.Slice(t * InnerSize, InnerSize), yt);");
            w.Line("Kernels.GatedActivation(Activation.Silu, xz.Slice((t * 2 * InnerSize) + InnerSize, InnerSize), yt, yt);");
        }
        w.Line(Step(ref step, "h += proj_down·y"));
        FloatProduct(w, "w.ProjDown", "y", "InnerSize", "output");
        w.Line("Kernels.Add(output, h);");
    }
}
