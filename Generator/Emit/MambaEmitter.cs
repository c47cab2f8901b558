using System.Collections.Generic;
using EdgeJamba.Layout;
using static EdgeJamba.Generator.SourceWriter;

namespace EdgeJamba.Generator.Emit;

/// <summary>Mamba-1 selective-SSM mixer (HF MambaMixer), with Jamba's dt/B/C RMSNorms when the layout asks.</summary>
internal sealed class MambaEmitter : PartEmitter
{
    private readonly MambaLayout _m;

    public MambaEmitter(ModelLayout model, LayerLayout layer, MambaLayout mamba)
        : base(model, layer) => _m = mamba;

    public override string Describe() =>
        "Mamba (d_inner " + Int(_m.DInner) + ", d_state " + Int(_m.DState) + ", d_conv " + Int(_m.DConv) + ", dt_rank " + Int(_m.DtRank) +
        (_m.DtBcNorms ? ", dt/B/C norms" : "") + ")";

    public override IEnumerable<string> Constants()
    {
        long offset = MemoryPlan.LayerStateOffset(Model, Layer.Index);
        yield return Const("DInner", _m.DInner, "d_inner = expand * hidden_size");
        yield return Const("DState", _m.DState, "d_state (N)");
        yield return Const("DConv", _m.DConv, "d_conv (K)");
        yield return Const("DtRank", _m.DtRank, "dt_rank (R)");
        yield return Const("DbcWidth", _m.DtRank + (2 * _m.DState), "x_proj rows: DtRank + 2 * DState");
        yield return Const("ConvOffset", offset, "conv state [DInner, DConv] in the state arena");
        yield return Const("SsmOffset", offset + MemoryPlan.ConvElements(_m), "SSM state [DInner, DState] in the state arena");
    }

    public override IEnumerable<WeightField> Weights()
    {
        int i = Layer.Index;
        yield return Projection("InProj", Names.Mamba(i, "in_proj.weight"), "2 * DInner", "HiddenSize");
        if (_m.ProjBias)
        {
            yield return new WeightField("InProjBias", Names.Mamba(i, "in_proj.bias"), "1", "2 * DInner");
        }
        yield return new WeightField("Conv", Names.Mamba(i, "conv1d.weight"), "DInner", "DConv");
        if (_m.ConvBias)
        {
            yield return new WeightField("ConvBias", Names.Mamba(i, "conv1d.bias"), "1", "DInner");
        }
        yield return new WeightField("XProj", Names.Mamba(i, "x_proj.weight"), "DtRank + (2 * DState)", "DInner", product: true);
        if (_m.DtBcNorms)
        {
            yield return new WeightField("DtNorm", Names.Mamba(i, "dt_layernorm.weight"), "1", "DtRank");
            yield return new WeightField("BNorm", Names.Mamba(i, "b_layernorm.weight"), "1", "DState");
            yield return new WeightField("CNorm", Names.Mamba(i, "c_layernorm.weight"), "1", "DState");
        }
        yield return new WeightField("DtProj", Names.Mamba(i, "dt_proj.weight"), "DInner", "DtRank", product: true);
        yield return new WeightField("DtBias", Names.Mamba(i, "dt_proj.bias"), "1", "DInner");
        yield return new WeightField("ALog", Names.Mamba(i, "A_log"), "DInner", "DState");
        yield return new WeightField("D", Names.Mamba(i, "D"), "1", "DInner");
        yield return Projection("OutProj", Names.Mamba(i, "out_proj.weight"), "HiddenSize", "DInner");
        if (_m.ProjBias)
        {
            yield return new WeightField("OutProjBias", Names.Mamba(i, "out_proj.bias"), "1", "HiddenSize");
        }
    }

    public override IEnumerable<string> ExtraFields()
    {
        yield return "public readonly float[] A = new float[DInner * DState]; // A = -exp(A_log), computed once";
    }

    public override IEnumerable<string> Precompute()
    {
        yield return "ReadOnlySpan<float> aLog = ALog.AsSpan();";
        yield return "for (int i = 0; i < A.Length; i++)";
        yield return "{";
        yield return "    A[i] = -MathF.Exp(aLog[i]);";
        yield return "}";
    }

    public override void Forward(SourceWriter w, ref int step)
    {
        w.Line("Span<float> convState = state.Slice(ConvOffset, DInner * DConv);");
        w.Line("Span<float> ssmState = state.Slice(SsmOffset, DInner * DState);");
        w.Line("Span<float> xz = s.Xz.AsSpan(0, count * 2 * DInner);");
        w.Line("Span<float> xc = s.Xc.AsSpan(0, count * DInner);");
        w.Line("Span<float> dbc = s.Dbc.AsSpan(0, count * DbcWidth);");
        w.Line("Span<float> dtRaw = s.DtRaw.AsSpan(0, count * DtRank);");
        w.Line("Span<float> dt = s.Dt.AsSpan(0, count * DInner);");
        w.Line("Span<float> y = s.Y.AsSpan(0, count * DInner);");
        w.Line(Step(ref step, "[x | z] = in_proj·x [count, 2 * DInner]"));
        Project(w, "w.InProj", "x", "HiddenSize", "xz");
        if (_m.ProjBias)
        {
            using (w.Block("for (int t = 0; t < count; t++)"))
            {
                w.Line("Kernels.Add(w.InProjBias.Row(0), xz.Slice(t * 2 * DInner, 2 * DInner));");
            }
        }
        w.Line(Step(ref step, "xc = silu(causal depthwise conv over the last DConv inputs of x), token after token through the conv state; threads split the channels"));
        w.Line("pool.CausalConv1dSilu(xz, 2 * DInner, convState, w.Conv.AsSpan(), " + (_m.ConvBias ? "w.ConvBias.Row(0)" : "default") + ", count, xc);");
        w.Line(Step(ref step, "[dt | B | C] = x_proj·xc [count, DtRank + 2 * DState]" + (_m.DtBcNorms ? "; Jamba: RMSNorm each of dt, B and C" : "")));
        FloatProduct(w, "w.XProj", "xc", "DInner", "dbc");
        using (w.Block("for (int t = 0; t < count; t++)"))
        {
            w.Line("Span<float> row = dbc.Slice(t * DbcWidth, DbcWidth);");
            if (_m.DtBcNorms)
            {
                w.Line("Kernels.RmsNorm(row[..DtRank], w.DtNorm.Row(0), Eps, row[..DtRank]);");
                w.Line("Kernels.RmsNorm(row.Slice(DtRank, DState), w.BNorm.Row(0), Eps, row.Slice(DtRank, DState));");
                w.Line("Kernels.RmsNorm(row.Slice(DtRank + DState, DState), w.CNorm.Row(0), Eps, row.Slice(DtRank + DState, DState));");
            }
            w.Line("row[..DtRank].CopyTo(dtRaw.Slice(t * DtRank, DtRank));");
        }
        w.Line(Step(ref step, "dt = softplus(dt_proj·dt + dt_bias) [count, DInner]"));
        FloatProduct(w, "w.DtProj", "dtRaw", "DtRank", "dt");
        using (w.Block("for (int t = 0; t < count; t++)"))
        {
            w.Line("Kernels.Add(w.DtBias.Row(0), dt.Slice(t * DInner, DInner));");
        }
        w.Line("Kernels.Softplus(dt);");
        w.Line(Step(ref step, "token after token: ssm = exp(dt·A)·ssm + dt·B·xc; y = (ssm·C + D·xc) · silu(z); threads split the channels"));
        w.Line("pool.SelectiveScan<" + WidthType("DState") + ">(xc, dt, w.A, dbc[DtRank..], dbc[(DtRank + DState)..], DbcWidth, w.D.Row(0), xz[DInner..], 2 * DInner, ssmState, count, y);");
        w.Line(Step(ref step, "h += out_proj·y"));
        Project(w, "w.OutProj", "y", "DInner", "output");
        if (_m.ProjBias)
        {
            using (w.Block("for (int t = 0; t < count; t++)"))
            {
                w.Line("Kernels.Add(w.OutProjBias.Row(0), output.Slice(t * HiddenSize, HiddenSize));");
            }
        }
        w.Line("Kernels.Add(output, h);");
    }
}
