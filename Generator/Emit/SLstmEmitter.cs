using System.Collections.Generic;
using EdgeJamba.Layout;
using static EdgeJamba.Generator.SourceWriter;

namespace EdgeJamba.Generator.Emit;

/// <summary>The NX-AI sLSTM layer: causal conv, headwise gate projections, the per-head recurrent kernel, the stabilized scalar cell, per-head group norm.</summary>
internal sealed class SLstmEmitter : PartEmitter
{
    /// <summary>Weight fields of the gate projections, in the cell's gate order i, f, z, o (the order of <see cref="LayoutTensors.SLstmGateTensors"/>).</summary>
    private static readonly string[] s_gateFields = { "InputGate", "ForgetGate", "CellInput", "OutputGate" };

    private readonly SLstmLayout _l;

    public SLstmEmitter(ModelLayout model, LayerLayout layer, SLstmLayout slstm)
        : base(model, layer) => _l = slstm;

    private int HeadDim => Model.HiddenSize / _l.Heads;

    public override string Describe() =>
        "sLSTM (" + Int(_l.Heads) + " heads, conv " + Int(_l.ConvKernel) + ", " + _l.Backend.ToString().ToLowerInvariant() + " parameter layout)";

    public override IEnumerable<string> Constants()
    {
        long offset = MemoryPlan.LayerStateOffset(Model, Layer.Index);
        long d = Model.HiddenSize;
        long cell = offset + (d * _l.ConvKernel);
        yield return Const("Heads", _l.Heads, "num_heads");
        yield return Const("HeadDim", HeadDim, "HiddenSize / Heads");
        yield return Const("ConvKernel", _l.ConvKernel, "conv1d_kernel_size" + (_l.ConvKernel == 0 ? " (no conv)" : ""));
        if (_l.ConvKernel > 0)
        {
            yield return Const("ConvOffset", offset, "conv state [HiddenSize, ConvKernel] in the state arena");
        }
        yield return Const("YOffset", cell, "y [HiddenSize], the previous cell output, in the state arena");
        yield return Const("CellOffset", cell + d, "c [HiddenSize] in the state arena");
        yield return Const("NormalizerOffset", cell + (2 * d), "n [HiddenSize] in the state arena");
        yield return Const("StabilizerOffset", cell + (3 * d), "m [HiddenSize] in the state arena");
    }

    public override IEnumerable<WeightField> Weights()
    {
        int i = Layer.Index;
        if (_l.ConvKernel > 0)
        {
            yield return new WeightField("Conv", Names.SLstm(i, "conv1d.conv.weight"), "HiddenSize", "ConvKernel");
            yield return new WeightField("ConvBias", Names.SLstm(i, "conv1d.conv.bias"), "1", "HiddenSize");
        }
        for (int g = 0; g < s_gateFields.Length; g++)
        {
            yield return new WeightField(s_gateFields[g], Names.SLstm(i, LayoutTensors.SLstmGateTensors[g]), "HeadDim", "HeadDim", "Heads");
        }
        yield return _l.Backend == SLstmBackend.Cuda
            ? new WeightField("RecurrentKernel", Names.SLstm(i, "slstm_cell._recurrent_kernel_"), "HeadDim", "4 * HeadDim", "Heads")
            : new WeightField("RecurrentKernel", Names.SLstm(i, "slstm_cell._recurrent_kernel_"), "4 * HeadDim", "HeadDim", "Heads");
        yield return new WeightField("Bias", Names.SLstm(i, "slstm_cell._bias_"), "1", "4 * HiddenSize");
        yield return new WeightField("GroupNorm", Names.SLstm(i, "group_norm.weight"), "1", "HiddenSize");
    }

    public override IEnumerable<string> ExtraFields()
    {
        yield return "public readonly float[] Recurrent; // [4, HiddenSize, HeadDim]: gate-major recurrent kernel, computed once";
        yield return "public readonly float[] CellBias; // [4, HiddenSize]: gate-major bias, computed once";
        yield return "public readonly float[] GroupNormScale; // 1 + group_norm.weight, computed once";
    }

    public override IEnumerable<string> Precompute()
    {
        string backend = "SLstmBackend." + _l.Backend;
        yield return "Recurrent = SLstmWeights.Recurrent(RecurrentKernel.AsSpan(), Heads, HeadDim, " + backend + ");";
        yield return "CellBias = SLstmWeights.Bias(Bias.Row(0), Heads, HeadDim, " + backend + ");";
        yield return "GroupNormScale = NormWeights.OnePlus(GroupNorm.Row(0));";
    }

    public override void Forward(SourceWriter w, ref int step)
    {
        if (_l.ConvKernel > 0)
        {
            w.Line("Span<float> convState = state.Slice(ConvOffset, HiddenSize * ConvKernel);");
        }
        w.Line("Span<float> yState = state.Slice(YOffset, HiddenSize);");
        w.Line("Span<float> c = state.Slice(CellOffset, HiddenSize);");
        w.Line("Span<float> normalizer = state.Slice(NormalizerOffset, HiddenSize);");
        w.Line("Span<float> stabilizer = state.Slice(StabilizerOffset, HiddenSize);");
        w.Line("Span<float> xc = s.Xc.AsSpan(0, count * HiddenSize);");
        w.Line("Span<float> gates = s.Gates.AsSpan(0, count * 4 * HiddenSize);");
        w.Line("Span<float> recurrent = s.Recurrent.AsSpan(0, 4 * HiddenSize);");
        if (_l.ConvKernel > 0)
        {
            w.Line(Step(ref step, "xc = silu(causal conv of x), token after token (the channels split among the pool's threads)"));
            w.Line("pool.CausalConv1dSilu(x, HiddenSize, convState, w.Conv.AsSpan(), w.ConvBias.Row(0), count, xc);");
        }
        else
        {
            w.Line(Step(ref step, "xc = x (no conv)"));
            w.Line("x.CopyTo(xc);");
        }
        w.Line(Step(ref step, "row t of gates = [i | f | z | o] = headwise fgate·xc, igate·xc, zgate·x, ogate·x, plus the bias"));
        using (w.Block("for (int t = 0; t < count; t++)"))
        {
            w.Line("Span<float> xt = x.Slice(t * HiddenSize, HiddenSize);");
            w.Line("Span<float> xct = xc.Slice(t * HiddenSize, HiddenSize);");
            w.Line("Span<float> g = gates.Slice(t * 4 * HiddenSize, 4 * HiddenSize);");
            w.Line("Kernels.BlockDiagonalMatVec(w.InputGate.AsSpan(), Heads, xct, g[..HiddenSize]);");
            w.Line("Kernels.BlockDiagonalMatVec(w.ForgetGate.AsSpan(), Heads, xct, g.Slice(HiddenSize, HiddenSize));");
            w.Line("Kernels.BlockDiagonalMatVec(w.CellInput.AsSpan(), Heads, xt, g.Slice(2 * HiddenSize, HiddenSize));");
            w.Line("Kernels.BlockDiagonalMatVec(w.OutputGate.AsSpan(), Heads, xt, g.Slice(3 * HiddenSize, HiddenSize));");
            w.Line("Kernels.Add(w.CellBias, g);");
        }
        w.Line(Step(ref step, "token after token: gates += per-head recurrent kernel · previous y; the stabilized sLSTM cell updates (y, c, n, m);"));
        w.Line("//    output = LayerNorm of each head of y by 1 + group_norm (the heads split among the pool's threads)");
        w.Line("pool.SLstmChunk(gates, w.Recurrent, Heads, recurrent, c, normalizer, stabilizer, yState, w.GroupNormScale, Eps, count, output);");
        w.Line(Step(ref step, "h += output (the sLSTM has no output projection)"));
        w.Line("Kernels.Add(output, h);");
    }
}
