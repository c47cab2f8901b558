using System.Collections.Generic;
using EdgeJamba.Layout;
using static EdgeJamba.Generator.SourceWriter;

namespace EdgeJamba.Generator.Emit;

/// <summary>The mLSTM layer of HF xLSTM (NX-AI xLSTM-7b, "xLSTM Large"): projections, soft-capped gates, the stabilized cell, multi-head norm, sigmoid output gate.</summary>
internal sealed class MLstmLargeEmitter : PartEmitter
{
    private readonly MLstmLargeLayout _l;

    public MLstmLargeEmitter(ModelLayout model, LayerLayout layer, MLstmLargeLayout mlstm)
        : base(model, layer) => _l = mlstm;

    public override string Describe() =>
        "mLSTM, HF xLSTM large block (" + Int(_l.Heads) + " heads, qk " + Int(_l.QkDim) + ", v " + Int(_l.VDim) + ", gate soft cap " + Double(_l.GateSoftCap) + ")";

    public override IEnumerable<string> Constants()
    {
        long offset = MemoryPlan.LayerStateOffset(Model, Layer.Index);
        long memory = (long)_l.Heads * _l.QkHeadDim * _l.VHeadDim;
        yield return Const("Heads", _l.Heads, "num_heads");
        yield return Const("QkDim", _l.QkDim, "qk_dim = int(hidden_size * qk_dim_factor)");
        yield return Const("VDim", _l.VDim, "v_dim = int(hidden_size * v_dim_factor)");
        yield return Const("QkHeadDim", _l.QkHeadDim, "QkDim / Heads");
        yield return Const("VHeadDim", _l.VHeadDim, "VDim / Heads");
        yield return Const("MemoryOffset", offset, "C [Heads, QkHeadDim, VHeadDim] in the state arena");
        yield return Const("NormalizerOffset", offset + memory, "n [Heads, QkHeadDim] in the state arena");
        yield return Const("StabilizerOffset", offset + memory + ((long)_l.Heads * _l.QkHeadDim), "m [Heads] in the state arena");
        yield return "private const float GateSoftCap = " + Float(_l.GateSoftCap) + "; // gate_soft_cap";
        yield return "private const float CellEps = " + Float(_l.Eps) + "; // eps of the cell's denominator";
        yield return "private const float QueryScale = " + Float(1.0 / System.Math.Sqrt(_l.QkHeadDim)) + "; // 1 / sqrt(QkHeadDim)";
    }

    public override IEnumerable<WeightField> Weights()
    {
        int i = Layer.Index;
        yield return new WeightField("Q", Names.MLstm(i, "q.weight"), "QkDim", "HiddenSize", product: true);
        yield return new WeightField("K", Names.MLstm(i, "k.weight"), "QkDim", "HiddenSize", product: true);
        yield return new WeightField("V", Names.MLstm(i, "v.weight"), "VDim", "HiddenSize", product: true);
        yield return new WeightField("O", Names.MLstm(i, "ogate_preact.weight"), "VDim", "HiddenSize", product: true);
        yield return new WeightField("IGate", Names.MLstm(i, "igate_preact.weight"), "Heads", "HiddenSize", product: true);
        yield return new WeightField("IGateBias", Names.MLstm(i, "igate_preact.bias"), "1", "Heads");
        yield return new WeightField("FGate", Names.MLstm(i, "fgate_preact.weight"), "Heads", "HiddenSize", product: true);
        yield return new WeightField("FGateBias", Names.MLstm(i, "fgate_preact.bias"), "1", "Heads");
        yield return new WeightField("MultiheadNorm", Names.MLstm(i, "multihead_norm.weight"), "1", "VDim");
        yield return new WeightField("OutProj", Names.MLstm(i, "out_proj.weight"), "HiddenSize", "VDim", product: true);
    }

    public override void Forward(SourceWriter w, ref int step)
    {
        w.Line("Span<float> memory = state.Slice(MemoryOffset, Heads * QkHeadDim * VHeadDim);");
        w.Line("Span<float> normalizer = state.Slice(NormalizerOffset, Heads * QkHeadDim);");
        w.Line("Span<float> stabilizer = state.Slice(StabilizerOffset, Heads);");
        w.Line("Span<float> q = s.Qkv.AsSpan(0, count * QkDim);");
        w.Line("Span<float> k = s.Qkv.AsSpan(count * QkDim, count * QkDim);");
        w.Line("Span<float> v = s.Qkv.AsSpan(2 * count * QkDim, count * VDim);");
        w.Line("Span<float> o = s.Qkv.AsSpan((2 * count * QkDim) + (count * VDim), count * VDim);");
        w.Line("Span<float> gates = s.Gates.AsSpan(0, 2 * count * Heads);");
        w.Line("Span<float> inputGates = gates[..(count * Heads)];");
        w.Line("Span<float> forgetGates = gates[(count * Heads)..];");
        w.Line("Span<float> y = s.Y.AsSpan(0, count * VDim);");
        w.Line(Step(ref step, "q, k = q·x, k·x [count, QkDim]; v, o = v·x, ogate_preact·x [count, VDim]"));
        FloatProduct(w, "w.Q", "x", "HiddenSize", "q");
        FloatProduct(w, "w.K", "x", "HiddenSize", "k");
        FloatProduct(w, "w.V", "x", "HiddenSize", "v");
        FloatProduct(w, "w.O", "x", "HiddenSize", "o");
        w.Line(Step(ref step, "i, f = GateSoftCap·tanh((igate_preact·x + b) / GateSoftCap), likewise f [count, Heads]"));
        FloatProduct(w, "w.IGate", "x", "HiddenSize", "inputGates");
        using (w.Block("for (int t = 0; t < count; t++)"))
        {
            w.Line("Kernels.Add(w.IGateBias.Row(0), inputGates.Slice(t * Heads, Heads));");
        }
        FloatProduct(w, "w.FGate", "x", "HiddenSize", "forgetGates");
        using (w.Block("for (int t = 0; t < count; t++)"))
        {
            w.Line("Kernels.Add(w.FGateBias.Row(0), forgetGates.Slice(t * Heads, Heads));");
        }
        w.Line("Kernels.SoftCap(gates, GateSoftCap);");
        w.Line(Step(ref step, "token after token, per head: the stabilized mLSTM step (query scaled by QueryScale) on (C, n, m),"));
        w.Line("//    then a LayerNorm of the head's output times its slice of multihead_norm (the heads split among the pool's threads)");
        w.Line("pool.MLstmChunk(q, k, QkDim, v, VDim, inputGates, forgetGates, QueryScale, 1f, CellEps, memory, normalizer, stabilizer, w.MultiheadNorm.Row(0), Eps,");
        w.Line("    count, y);");
        w.Line(Step(ref step, "h += out_proj·(sigmoid(o) ⊙ y)"));
        w.Line("Kernels.SigmoidGate(o, y, y);");
        FloatProduct(w, "w.OutProj", "y", "VDim", "output");
        w.Line("Kernels.Add(output, h);");
    }
}
