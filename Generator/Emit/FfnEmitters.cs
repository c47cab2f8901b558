using System.Collections.Generic;
using EdgeJamba.Layout;
using static EdgeJamba.Generator.SourceWriter;

namespace EdgeJamba.Generator.Emit;

/// <summary>Gated MLP: <c>h += down(act(gate·x) ⊙ up·x)</c>.</summary>
internal sealed class DenseFfnEmitter : PartEmitter
{
    private readonly DenseFfnLayout _f;

    public DenseFfnEmitter(ModelLayout model, LayerLayout layer, DenseFfnLayout ffn)
        : base(model, layer) => _f = ffn;

    public override string Describe() =>
        "dense " + _f.Activation.ToString().ToLowerInvariant() + "-gated FFN (" + Int(_f.IntermediateSize) + (_f.FusedGateUp ? ", gate and up fused" : "") + ")";

    public override IEnumerable<string> Constants()
    {
        yield return Const("IntermediateSize", _f.IntermediateSize, "intermediate_size");
    }

    public override IEnumerable<WeightField> Weights()
    {
        int i = Layer.Index;
        if (_f.FusedGateUp)
        {
            yield return new WeightField("GateUp", Names.Mlp(i, "gate_up"), "2 * IntermediateSize", "HiddenSize", product: true);
            yield return new WeightField("Down", Names.Mlp(i, "down"), "HiddenSize", "IntermediateSize", product: true);
            yield break;
        }
        yield return Projection("Gate", Names.Mlp(i, "gate"), "IntermediateSize", "HiddenSize");
        yield return Projection("Up", Names.Mlp(i, "up"), "IntermediateSize", "HiddenSize");
        yield return Projection("Down", Names.Mlp(i, "down"), "HiddenSize", "IntermediateSize");
        if (Model.HasSubNorms)
        {
            yield return new WeightField("FfnSubNorm", Names.FfnSubNorm(i), "1", "IntermediateSize");
        }
        if (_f.Bias)
        {
            yield return new WeightField("GateBias", Names.Mlp(i, "gate", "bias"), "1", "IntermediateSize");
            yield return new WeightField("UpBias", Names.Mlp(i, "up", "bias"), "1", "IntermediateSize");
            yield return new WeightField("DownBias", Names.Mlp(i, "down", "bias"), "1", "HiddenSize");
        }
    }

    public override void Forward(SourceWriter w, ref int step)
    {
        w.Line("Span<float> gate = s.Gate.AsSpan(0, count * IntermediateSize);");
        w.Line("Span<float> up = s.Up.AsSpan(0, count * IntermediateSize);");
        if (_f.FusedGateUp)
        {
            w.Line(Step(ref step, "gate = " + _f.Activation.ToString().ToLowerInvariant() + "(gate rows of the fused projection·x) ⊙ its up rows·x [count, IntermediateSize]"));
            FloatProduct(w, "w.GateUp.Slice(0, IntermediateSize)", "x", "HiddenSize", "gate");
            FloatProduct(w, "w.GateUp.Slice(IntermediateSize, IntermediateSize)", "x", "HiddenSize", "up");
        }
        else
        {
            w.Line(Step(ref step, "gate = " + _f.Activation.ToString().ToLowerInvariant() + "(gate_proj·x) ⊙ up_proj·x [count, IntermediateSize]" +
                (Quantized ? "; x quantized to int8 once for both integer products" : "")));
            Project(w, "w.Gate", "x", "HiddenSize", "gate");
            Project(w, "w.Up", "x", "HiddenSize", "up", quantized: true);
        }
        if (_f.Bias)
        {
            using (w.Block("for (int t = 0; t < count; t++)"))
            {
                w.Line("Kernels.Add(w.GateBias.Row(0), gate.Slice(t * IntermediateSize, IntermediateSize));");
                w.Line("Kernels.Add(w.UpBias.Row(0), up.Slice(t * IntermediateSize, IntermediateSize));");
            }
        }
        w.Line("Kernels.GatedActivation(Activation." + _f.Activation + ", gate, up, gate);");
        if (Model.HasSubNorms)
        {
            w.Line(Step(ref step, "gate = ffn_sub_norm(gate), row by row"));
            SubNorm(w, "gate", "IntermediateSize", "FfnSubNorm");
        }
        w.Line(Step(ref step, "h += down_proj·gate"));
        Project(w, "w.Down", "gate", "IntermediateSize", "output");
        if (_f.Bias)
        {
            using (w.Block("for (int t = 0; t < count; t++)"))
            {
                w.Line("Kernels.Add(w.DownBias.Row(0), output.Slice(t * HiddenSize, HiddenSize));");
            }
        }
        w.Line("Kernels.Add(output, h);");
    }
}

/// <summary>Sparse MoE: softmax router, top-k experts, weighted sum of their gated MLPs.</summary>
internal sealed class MoeEmitter : PartEmitter
{
    private readonly MoeLayout _e;

    public MoeEmitter(ModelLayout model, LayerLayout layer, MoeLayout moe)
        : base(model, layer) => _e = moe;

    public override string Describe() =>
        "MoE FFN (" + Int(_e.Experts) + " experts of " + Int(_e.IntermediateSize) + ", top-" + Int(_e.TopK) + (_e.Renormalize ? ", renormalized" : ", raw softmax weights") + ")";

    public override IEnumerable<string> Constants()
    {
        yield return Const("Experts", _e.Experts, "num_experts");
        yield return Const("TopK", _e.TopK, "num_experts_per_tok");
        yield return Const("IntermediateSize", _e.IntermediateSize, "intermediate_size of each expert");
    }

    public override IEnumerable<WeightField> Weights()
    {
        yield return new WeightField("Router", Names.Router(Layer.Index), "Experts", "HiddenSize", product: true);
    }

    public override IEnumerable<string> ExtraFields()
    {
        string type = ProjectionType;
        yield return "public readonly " + type + "[] ExpertGate = new " + type + "[Experts];";
        yield return "public readonly " + type + "[] ExpertUp = new " + type + "[Experts];";
        yield return "public readonly " + type + "[] ExpertDown = new " + type + "[Experts];";
    }

    public override IEnumerable<string> Precompute()
    {
        // Expert tensors are named by index; bound in a loop rather than Experts x 3 lines.
        string gate = Names.Expert(Layer.Index, 0, "gate"), up = Names.Expert(Layer.Index, 0, "up"), down = Names.Expert(Layer.Index, 0, "down");
        string prefix = gate.Substring(0, gate.IndexOf(".experts.0.", System.StringComparison.Ordinal) + ".experts.".Length);
        yield return "for (int e = 0; e < Experts; e++)";
        yield return "{";
        yield return "    string expert = " + Quote(prefix) + " + e.ToString(CultureInfo.InvariantCulture);";
        yield return "    ExpertGate[e] = " + BindProjection("expert + " + Quote(gate.Substring(prefix.Length + 1)), "IntermediateSize", "HiddenSize") + ";";
        yield return "    ExpertUp[e] = " + BindProjection("expert + " + Quote(up.Substring(prefix.Length + 1)), "IntermediateSize", "HiddenSize") + ";";
        yield return "    ExpertDown[e] = " + BindProjection("expert + " + Quote(down.Substring(prefix.Length + 1)), "HiddenSize", "IntermediateSize") + ";";
        yield return "}";
    }

    public override void Forward(SourceWriter w, ref int step)
    {
        string activation = _e.Activation.ToString().ToLowerInvariant();
        w.Line("Span<float> router = s.Router.AsSpan(0, count * Experts);");
        w.Line("Span<int> chosen = s.Chosen.AsSpan(0, count * TopK);");
        w.Line("Span<float> gathered = s.Gathered.AsSpan(0, count * HiddenSize);");
        w.Line("Span<float> expertOut = s.ExpertOut.AsSpan(0, count * TopK * HiddenSize);");
        w.Line(Step(ref step, "p = softmax(router·x) [count, Experts]; chosen = each token's TopK largest, largest first"));
        FloatProduct(w, "w.Router", "x", "HiddenSize", "router");
        using (w.Block("for (int t = 0; t < count; t++)"))
        {
            w.Line("Span<float> p = router.Slice(t * Experts, Experts);");
            w.Line("Kernels.Softmax(p);");
            w.Line("Kernels.TopK(p, chosen.Slice(t * TopK, TopK));");
        }
        w.Line(Step(ref step, "expert by expert, over the n tokens that chose it (their rows of x gathered): down_e(" + activation + "(gate_e·x) ⊙ up_e·x),"));
        w.Line("//    one product per matrix, row i into its token's slot of expertOut [count, TopK, HiddenSize]; only chosen experts' weights are read");
        using (w.Block("for (int e = 0; e < Experts; e++)"))
        {
            w.Line("int n = 0;");
            using (w.Block("for (int slot = 0; slot < chosen.Length; slot++)"))
            {
                using (w.Block("if (chosen[slot] == e)"))
                {
                    w.Line("x.Slice(slot / TopK * HiddenSize, HiddenSize).CopyTo(gathered.Slice(n * HiddenSize, HiddenSize));");
                    w.Line("s.Slots[n++] = slot;");
                }
            }
            using (w.Block("if (n == 0)"))
            {
                w.Line("continue;");
            }
            w.Line("Span<float> gate = s.Gate.AsSpan(0, n * IntermediateSize);");
            w.Line("Span<float> up = s.Up.AsSpan(0, n * IntermediateSize);");
            Project(w, "w.ExpertGate[e]", "gathered", "HiddenSize", "gate", count: "n");
            Project(w, "w.ExpertUp[e]", "gathered", "HiddenSize", "up", quantized: true, count: "n");
            w.Line("Kernels.GatedActivation(Activation." + _e.Activation + ", gate, up, gate);");
            Project(w, "w.ExpertDown[e]", "gate", "IntermediateSize", "output", count: "n");
            using (w.Block("for (int i = 0; i < n; i++)"))
            {
                w.Line("output.Slice(i * HiddenSize, HiddenSize).CopyTo(expertOut.Slice(s.Slots[i] * HiddenSize, HiddenSize));");
            }
        }
        w.Line(Step(ref step, "h += Σ over each token's chosen e, largest first, of " + (_e.Renormalize ? "(p_e / Σ chosen p)" : "p_e (not renormalized)") + " · its expert output"));
        using (w.Block("for (int t = 0; t < count; t++)"))
        {
            w.Line("Span<float> p = router.Slice(t * Experts, Experts);");
            if (_e.Renormalize)
            {
                w.Line("float total = 0f;");
                using (w.Block("for (int choice = 0; choice < TopK; choice++)"))
                {
                    w.Line("total += p[chosen[(t * TopK) + choice]];");
                }
            }
            using (w.Block("for (int choice = 0; choice < TopK; choice++)"))
            {
                w.Line("int slot = (t * TopK) + choice;");
                w.Line("Kernels.AddScaled(expertOut.Slice(slot * HiddenSize, HiddenSize), p[chosen[slot]]" + (_e.Renormalize ? " / total" : "") + ", h.Slice(t * HiddenSize, HiddenSize));");
            }
        }
    }
}

/// <summary>No feed-forward (Mamba-1 blocks): emits nothing.</summary>
internal sealed class NoFfnEmitter : PartEmitter
{
    public NoFfnEmitter(ModelLayout model, LayerLayout layer)
        : base(model, layer)
    {
    }

    public override string Describe() => "no feed-forward";

    public override IEnumerable<string> Constants() => System.Array.Empty<string>();

    public override IEnumerable<WeightField> Weights() => System.Array.Empty<WeightField>();

    public override void Forward(SourceWriter w, ref int step)
    {
    }
}
