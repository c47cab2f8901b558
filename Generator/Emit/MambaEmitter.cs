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
        yield return Const("ConvOffset", offset, "conv state [DInner, DConv] in the state arena");
        yield return Const("SsmOffset", offset + MemoryPlan.ConvElements(_m), "SSM state [DInner, DState] in the state arena");
    }

    public override IEnumerable<WeightField> Weights()
    {
        int i = Layer.Index;
        yield return new WeightField("InProj", Names.Mamba(i, "in_proj.weight"), "2 * DInner", "HiddenSize");
        if (_m.ProjBias)
        {
            yield return new WeightField("InProjBias", Names.Mamba(i, "in_proj.bias"), "1", "2 * DInner");
        }
        yield return new WeightField("Conv", Names.Mamba(i, "conv1d.weight"), "DInner", "DConv");
        if (_m.ConvBias)
        {
            yield return new WeightField("ConvBias", Names.Mamba(i, "conv1d.bias"), "1", "DInner");
        }
        yield return new WeightField("XProj", Names.Mamba(i, "x_proj.weight"), "DtRank + (2 * DState)", "DInner");
        if (_m.DtBcNorms)
        {
            yield return new WeightField("DtNorm", Names.Mamba(i, "dt_layernorm.weight"), "1", "DtRank");
            yield return new WeightField("BNorm", Names.Mamba(i, "b_layernorm.weight"), "1", "DState");
            yield return new WeightField("CNorm", Names.Mamba(i, "c_layernorm.weight"), "1", "DState");
        }
        yield return new WeightField("DtProj", Names.Mamba(i, "dt_proj.weight"), "DInner", "DtRank");
        yield return new WeightField("DtBias", Names.Mamba(i, "dt_proj.bias"), "1", "DInner");
        yield return new WeightField("ALog", Names.Mamba(i, "A_log"), "DInner", "DState");
        yield return new WeightField("D", Names.Mamba(i, "D"), "1", "DInner");
        yield return new WeightField("OutProj", Names.Mamba(i, "out_proj.weight"), "HiddenSize", "DInner");
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
        w.Line("Span<float> xz = s.Xz.AsSpan(0, 2 * DInner);");
        w.Line("Span<float> xc = s.Xc.AsSpan(0, DInner);");
        w.Line(Step(ref step, "[x | z] = in_proj·x [2 * DInner]"));
        w.Line("Kernels.MatVec(w.InProj, s.X, xz);");
        if (_m.ProjBias)
        {
            w.Line("Kernels.Add(w.InProjBias.Row(0), xz);");
        }
        w.Line(Step(ref step, "xc = silu(causal depthwise conv over the last DConv inputs of x, kept in the conv state)"));
        w.Line("Kernels.CausalConv1dStep(xz[..DInner], convState, w.Conv.AsSpan(), " + (_m.ConvBias ? "w.ConvBias.Row(0)" : "default") + ", xc);");
        w.Line("Kernels.Silu(xc);");
        w.Line(Step(ref step, "[dt | B | C] = x_proj·xc [DtRank + 2 * DState]"));
        w.Line("Span<float> dbc = s.Dbc.AsSpan(0, DtRank + (2 * DState));");
        w.Line("Kernels.MatVec(w.XProj, xc, dbc);");
        w.Line("Span<float> dtRaw = dbc[..DtRank];");
        w.Line("Span<float> b = dbc.Slice(DtRank, DState);");
        w.Line("Span<float> c = dbc.Slice(DtRank + DState, DState);");
        if (_m.DtBcNorms)
        {
            w.Line(Step(ref step, "Jamba: RMSNorm each of dt, B and C"));
            w.Line("Kernels.RmsNorm(dtRaw, w.DtNorm.Row(0), Eps, dtRaw);");
            w.Line("Kernels.RmsNorm(b, w.BNorm.Row(0), Eps, b);");
            w.Line("Kernels.RmsNorm(c, w.CNorm.Row(0), Eps, c);");
        }
        w.Line(Step(ref step, "dt = softplus(dt_proj·dt + dt_bias) [DInner]"));
        w.Line("Span<float> dt = s.Dt.AsSpan(0, DInner);");
        w.Line("Kernels.MatVec(w.DtProj, dtRaw, dt);");
        w.Line("Kernels.Add(w.DtBias.Row(0), dt);");
        w.Line("Kernels.Softplus(dt);");
        w.Line(Step(ref step, "ssm = exp(dt·A)·ssm + dt·B·xc; y = (ssm·C + D·xc) · silu(z)"));
        w.Line("Span<float> y = s.Y.AsSpan(0, DInner);");
        w.Line("Kernels.SelectiveScanStep(xc, dt, w.A, b, c, w.D.Row(0), xz[DInner..], ssmState, y);");
        w.Line(Step(ref step, "h += out_proj·y"));
        w.Line("Kernels.MatVec(w.OutProj, y, s.Out);");
        if (_m.ProjBias)
        {
            w.Line("Kernels.Add(w.OutProjBias.Row(0), s.Out);");
        }
        w.Line("Kernels.Add(s.Out, h);");
    }
}
