using System.Collections.Generic;
using EdgeJamba.Layout;
using static EdgeJamba.Generator.SourceWriter;

namespace EdgeJamba.Generator.Emit;

/// <summary>Causal grouped-query attention with an optional rotate-half RoPE and a fixed KV cache.</summary>
internal sealed class AttentionEmitter : PartEmitter
{
    private readonly AttentionLayout _a;

    public AttentionEmitter(ModelLayout model, LayerLayout layer, AttentionLayout attention)
        : base(model, layer) => _a = attention;

    public override string Describe()
    {
        string rope = _a.Rope is null ? "no positional encoding" : "RoPE " + _a.Rope.Type.ToString().ToLowerInvariant() + " theta " + Double(_a.Rope.Theta);
        return "attention (" + Int(_a.Heads) + " heads, " + Int(_a.KvHeads) + " KV heads, head_dim " + Int(_a.HeadDim) + ", " + rope + ")";
    }

    public override IEnumerable<string> Constants()
    {
        long kvLength = (long)Model.MaxContext * _a.KvDim;
        long offset = MemoryPlan.LayerStateOffset(Model, Layer.Index);
        yield return Const("Heads", _a.Heads, "num_attention_heads");
        yield return Const("KvHeads", _a.KvHeads, "num_key_value_heads");
        yield return Const("HeadDim", _a.HeadDim, "head_dim");
        yield return Const("QueryDim", _a.QueryDim, "Heads * HeadDim");
        yield return Const("KvDim", _a.KvDim, "KvHeads * HeadDim");
        yield return Const("Group", _a.Heads / _a.KvHeads, "query heads per KV head");
        yield return Const("KeysOffset", offset, "K cache [MaxContext, KvDim] in the state arena");
        yield return Const("ValuesOffset", offset + kvLength, "V cache [MaxContext, KvDim] in the state arena");
        yield return Const("CacheLength", kvLength, "MaxContext * KvDim");
        yield return "private const float Scale = " + Float(1.0 / System.Math.Sqrt(_a.HeadDim)) + "; // 1 / sqrt(HeadDim)";
    }

    public override IEnumerable<WeightField> Weights()
    {
        int i = Layer.Index;
        yield return Projection("Q", Names.Attention(i, "q"), "QueryDim", "HiddenSize");
        yield return Projection("K", Names.Attention(i, "k"), "KvDim", "HiddenSize");
        yield return Projection("V", Names.Attention(i, "v"), "KvDim", "HiddenSize");
        yield return Projection("O", Names.Attention(i, "o"), "HiddenSize", "QueryDim");
        if (Model.HasSubNorms)
        {
            yield return new WeightField("AttnSubNorm", Names.AttentionSubNorm(i), "1", "QueryDim");
        }
        if (_a.Bias)
        {
            yield return new WeightField("QBias", Names.Attention(i, "q", "bias"), "1", "QueryDim");
            yield return new WeightField("KBias", Names.Attention(i, "k", "bias"), "1", "KvDim");
            yield return new WeightField("VBias", Names.Attention(i, "v", "bias"), "1", "KvDim");
            yield return new WeightField("OBias", Names.Attention(i, "o", "bias"), "1", "HiddenSize");
        }
    }

    public override IEnumerable<string> ExtraFields()
    {
        if (_a.Rope is not null)
        {
            yield return "public readonly RopeTable Rope;";
        }
    }

    public override IEnumerable<string> Precompute()
    {
        if (_a.Rope is { } r)
        {
            yield return "Rope = RopeTable.Shared(new RopeLayout(RopeType." + r.Type + ", " + Double(r.Theta) + ", " + Double(r.Factor) + ", " +
                Double(r.LowFreqFactor) + ", " + Double(r.HighFreqFactor) + ", " + Int(r.OriginalMaxPositions) + ", " + Double(r.BetaFast) + ", " +
                Double(r.BetaSlow) + ", " + Double(r.AttentionFactor) + "), HeadDim, MaxContext);";
        }
    }

    public override void Forward(SourceWriter w, ref int step)
    {
        w.Line("Span<float> keys = state.Slice(KeysOffset, CacheLength);");
        w.Line("Span<float> values = state.Slice(ValuesOffset, CacheLength);");
        w.Line("Span<float> q = s.Q.AsSpan(0, count * QueryDim);");
        w.Line("Span<float> k = keys.Slice(position * KvDim, count * KvDim);");
        w.Line("Span<float> v = values.Slice(position * KvDim, count * KvDim);");
        w.Line("Span<float> attention = s.Attention.AsSpan(0, count * QueryDim);");
        w.Line(Step(ref step, "q = q_proj·x [count, QueryDim]; k, v = k_proj·x, v_proj·x [count, KvDim], written into the cache rows of these positions" +
            (Quantized ? "; x quantized to int8 once for the three integer products" : "")));
        Project(w, "w.Q", "x", "HiddenSize", "q");
        Project(w, "w.K", "x", "HiddenSize", "k", quantized: true);
        Project(w, "w.V", "x", "HiddenSize", "v", quantized: true);
        if (_a.Bias)
        {
            using (w.Block("for (int t = 0; t < count; t++)"))
            {
                w.Line("Kernels.Add(w.QBias.Row(0), q.Slice(t * QueryDim, QueryDim));");
                w.Line("Kernels.Add(w.KBias.Row(0), k.Slice(t * KvDim, KvDim));");
                w.Line("Kernels.Add(w.VBias.Row(0), v.Slice(t * KvDim, KvDim));");
            }
        }
        if (_a.Rope is not null)
        {
            w.Line(Step(ref step, "rotate q and k by each position's angles (rotate-half pairs i, i + HeadDim/2)"));
            using (w.Block("for (int t = 0; t < count; t++)"))
            {
                w.Line("Kernels.RotateHalf(q.Slice(t * QueryDim, QueryDim), Heads, HeadDim, w.Rope.CosAt(position + t), w.Rope.SinAt(position + t));");
                w.Line("Kernels.RotateHalf(k.Slice(t * KvDim, KvDim), KvHeads, HeadDim, w.Rope.CosAt(position + t), w.Rope.SinAt(position + t));");
            }
        }
        w.Line(Step(ref step, "per token and query head: softmax(q·K[0..its position] / sqrt(HeadDim)) · V of KV head (head / Group); threads split the (head, token) pairs"));
        w.Line("pool.AttendChunk(q, keys, values, Heads, KvHeads, position, count, Scale, s.Scores, attention);");
        if (Model.HasSubNorms)
        {
            w.Line(Step(ref step, "attention = attn_sub_norm(attention), row by row"));
            SubNorm(w, "attention", "QueryDim", "AttnSubNorm");
        }
        w.Line(Step(ref step, "h += o_proj·attention"));
        Project(w, "w.O", "attention", "QueryDim", "output");
        if (_a.Bias)
        {
            using (w.Block("for (int t = 0; t < count; t++)"))
            {
                w.Line("Kernels.Add(w.OBias.Row(0), output.Slice(t * HiddenSize, HiddenSize));");
            }
        }
        w.Line("Kernels.Add(output, h);");
    }
}
