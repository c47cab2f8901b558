using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace EdgeJamba.Train;

// Field names are the Hugging Face module names: named_parameters() yields the checkpoint's tensor names
// (ARCHITECTURES §5.7) with no renaming table. The math is HF JambaForCausalLM's slow (non-CUDA) path.
#pragma warning disable IDE1006, CA1707 // HF names

/// <summary>HF <c>JambaRMSNorm</c>: <c>w · x / sqrt(mean(x²) + eps)</c> over the last dimension.</summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double _eps;

    public RmsNorm(long size, double eps) : base(nameof(RmsNorm))
    {
        weight = new Parameter(ones(size));
        _eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => weight * (x * rsqrt(x.pow(2).mean([-1], keepdim: true) + _eps));
}

/// <summary>
/// The projections <c>edgejamba build --quant ternary</c> converts (attention q/k/v/o, Mamba in/out, FFN and expert
/// gate/up/down; not x_proj, dt_proj, the router or the embedding): plain <c>x·Wᵀ</c>, or with
/// <see cref="JambaConfig.TernaryProjections"/> BitNet b1.58's quantization-aware forward, which computes what the ternary
/// format computes at inference (Runtime <c>WeightQuantizer.Ternarize</c> and <c>Kernels.QuantizeInt8Rows</c>):
/// <c>γ = max(mean|W|, 1e-5)</c> (mean in float64), <c>W_q = clamp(round(W · (1/γ)), −1, 1) · γ</c>; per token
/// <c>a = max(max|x|, 1e-5)</c>, <c>x_q = round(x · (127/a)) · (a/127)</c>; rounding half to even (torch.round), and
/// straight-through estimators: the gradients flow to the latent float weights and inputs as if both quantizers were the identity.
/// </summary>
internal static class Projection
{
    public static Tensor Apply(Linear projection, Tensor x, bool ternary)
    {
        if (!ternary)
        {
            return projection.forward(x);
        }
        Tensor w = projection.weight!;
        Tensor gamma = w.abs().to_type(ScalarType.Float64).mean().to_type(ScalarType.Float32).clamp_min(1e-5);
        Tensor wq = (w * gamma.reciprocal()).round().clamp(-1, 1) * gamma;
        Tensor absMax = x.abs().amax([-1], keepdim: true).clamp_min(1e-5);
        Tensor xq = (x * full_like(absMax, 127).div(absMax)).round().clamp(-127, 127) * (absMax / 127);
        return F.linear(x + (xq - x).detach(), w + (wq - w).detach(), projection.bias);
    }
}

/// <summary>HF <c>JambaMLP</c> (one expert too): <c>down(silu(gate·x) ⊙ up·x)</c>, no biases.</summary>
internal sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear gate_proj;
    private readonly Linear up_proj;
    private readonly Linear down_proj;
    private readonly bool _ternary;

    public Mlp(JambaConfig c) : base(nameof(Mlp))
    {
        _ternary = c.TernaryProjections;
        gate_proj = nn.Linear(c.HiddenSize, c.IntermediateSize, hasBias: false);
        up_proj = nn.Linear(c.HiddenSize, c.IntermediateSize, hasBias: false);
        down_proj = nn.Linear(c.IntermediateSize, c.HiddenSize, hasBias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) =>
        Projection.Apply(down_proj, F.silu(Projection.Apply(gate_proj, x, _ternary)) * Projection.Apply(up_proj, x, _ternary), _ternary);
}

/// <summary>
/// HF <c>JambaSparseMoeBlock</c>: softmax over all experts in fp32, top-k, weights NOT renormalized.
/// <see cref="AuxLoss"/> holds the Switch-style load-balancing term of the last training forward.
/// </summary>
internal sealed class SparseMoe : nn.Module<Tensor, Tensor>
{
    private readonly Linear router;
    private readonly ModuleList<Mlp> experts;
    private readonly int _topK;

    public SparseMoe(JambaConfig c) : base(nameof(SparseMoe))
    {
        router = nn.Linear(c.HiddenSize, c.NumExperts, hasBias: false);
        experts = new ModuleList<Mlp>(Enumerable.Range(0, c.NumExperts).Select(_ => new Mlp(c)).ToArray());
        _topK = c.NumExpertsPerTok;
        RegisterComponents();
    }

    public Tensor? AuxLoss { get; private set; }

    public override Tensor forward(Tensor x)
    {
        long[] shape = x.shape;
        Tensor flat = x.reshape(-1, shape[^1]);
        Tensor probabilities = F.softmax(router.forward(flat), -1);
        (Tensor weights, Tensor chosen) = probabilities.topk(_topK, dim: -1);
        Tensor y = zeros_like(flat);
        var fractions = new Tensor[experts.Count];
        for (int e = 0; e < experts.Count; e++)
        {
            Tensor hit = chosen.eq(e);
            Tensor rows = hit.any(-1).nonzero().squeeze(-1);
            fractions[e] = hit.sum().to_type(ScalarType.Float32).unsqueeze(0) / (double)(flat.shape[0] * _topK);
            if (rows.numel() == 0)
            {
                continue;
            }
            Tensor w = (weights * hit).sum(-1).index_select(0, rows).unsqueeze(-1);
            y = y.index_add(0, rows, experts[e].forward(flat.index_select(0, rows)) * w, 1);
        }
        // Switch-style balance term: experts · Σ_e (share of assignments to e) · (mean router probability of e).
        AuxLoss = training ? experts.Count * (cat(fractions, 0) * probabilities.mean([0])).sum() : null;
        return y.reshape(shape);
    }
}

/// <summary>HF <c>JambaAttention</c>: no RoPE, GQA by <c>repeat_kv</c>, causal softmax(q·kᵀ/√hd), no biases.</summary>
internal sealed class Attention : nn.Module<Tensor, Tensor>
{
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear o_proj;
    private readonly int _heads;
    private readonly int _kvHeads;
    private readonly int _headDim;
    private readonly bool _ternary;

    public Attention(JambaConfig c) : base(nameof(Attention))
    {
        _ternary = c.TernaryProjections;
        _heads = c.NumAttentionHeads;
        _kvHeads = c.NumKeyValueHeads;
        _headDim = c.HeadDim;
        q_proj = nn.Linear(c.HiddenSize, _heads * _headDim, hasBias: false);
        k_proj = nn.Linear(c.HiddenSize, _kvHeads * _headDim, hasBias: false);
        v_proj = nn.Linear(c.HiddenSize, _kvHeads * _headDim, hasBias: false);
        o_proj = nn.Linear(_heads * _headDim, c.HiddenSize, hasBias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        long b = x.shape[0], t = x.shape[1];
        int repeat = _heads / _kvHeads;
        Tensor q = Projection.Apply(q_proj, x, _ternary).view(b, t, _heads, _headDim).transpose(1, 2);
        Tensor k = Projection.Apply(k_proj, x, _ternary).view(b, t, _kvHeads, _headDim).transpose(1, 2).repeat_interleave(repeat, dim: 1);
        Tensor v = Projection.Apply(v_proj, x, _ternary).view(b, t, _kvHeads, _headDim).transpose(1, 2).repeat_interleave(repeat, dim: 1);
        Tensor scores = q.matmul(k.transpose(-2, -1)) / Math.Sqrt(_headDim);
        Tensor future = ones(t, t, dtype: ScalarType.Bool).triu(1);
        Tensor probabilities = F.softmax(scores.masked_fill(future, double.NegativeInfinity), -1);
        Tensor o = probabilities.matmul(v).transpose(1, 2).reshape(b, t, _heads * _headDim);
        return Projection.Apply(o_proj, o, _ternary);
    }
}

/// <summary>Depthwise causal conv: weight <c>[E, 1, K]</c> (tap K−1 multiplies the newest input) and bias <c>[E]</c>.</summary>
internal sealed class DepthwiseConv : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly int _kernel;

    public DepthwiseConv(int channels, int kernel) : base(nameof(DepthwiseConv))
    {
        _kernel = kernel;
        double bound = 1.0 / Math.Sqrt(kernel);
        weight = new Parameter(empty(channels, 1, kernel).uniform_(-bound, bound));
        bias = new Parameter(empty(channels).uniform_(-bound, bound));
        RegisterComponents();
    }

    /// <summary><paramref name="x"/>: <c>[B, E, T]</c> → <c>[B, E, T]</c>, zero history before t = 0.</summary>
    public override Tensor forward(Tensor x) =>
        F.conv1d(x, weight, bias, padding: _kernel - 1, groups: x.shape[1]).narrow(2, 0, x.shape[2]);
}

/// <summary>HF <c>JambaMambaMixer</c> slow path, with the dt/B/C RMSNorms after the x_proj split.</summary>
internal sealed class MambaMixer : nn.Module<Tensor, Tensor>
{
    private readonly Linear in_proj;
    private readonly DepthwiseConv conv1d;
    private readonly Linear x_proj;
    private readonly RmsNorm dt_layernorm;
    private readonly RmsNorm b_layernorm;
    private readonly RmsNorm c_layernorm;
    private readonly Linear dt_proj;
    private readonly Parameter A_log;
    private readonly Parameter D;
    private readonly Linear out_proj;
    private readonly int _inner;
    private readonly int _state;
    private readonly int _rank;
    private readonly bool _ternary;

    public MambaMixer(JambaConfig c) : base(nameof(MambaMixer))
    {
        _ternary = c.TernaryProjections;
        _inner = c.MambaInner;
        _state = c.MambaDState;
        _rank = c.MambaDtRank;
        in_proj = nn.Linear(c.HiddenSize, 2 * _inner, hasBias: false);
        conv1d = new DepthwiseConv(_inner, c.MambaDConv);
        x_proj = nn.Linear(_inner, _rank + (2 * _state), hasBias: false);
        dt_layernorm = new RmsNorm(_rank, c.RmsNormEps);
        b_layernorm = new RmsNorm(_state, c.RmsNormEps);
        c_layernorm = new RmsNorm(_state, c.RmsNormEps);
        dt_proj = nn.Linear(_rank, _inner, hasBias: true);
        // HF init: A = -[1..N] per channel, D = 1. dt_proj as in Mamba: dt log-uniform in [1e-3, 1e-1] through softplus⁻¹.
        A_log = new Parameter(arange(1, _state + 1, dtype: ScalarType.Float32).log().expand(_inner, _state).contiguous());
        D = new Parameter(ones(_inner));
        out_proj = nn.Linear(_inner, c.HiddenSize, hasBias: false);
        RegisterComponents();
        using (no_grad())
        {
            double bound = Math.Pow(_rank, -0.5);
            dt_proj.weight!.uniform_(-bound, bound);
            Tensor dt = (rand(_inner) * (Math.Log(0.1) - Math.Log(1e-3)) + Math.Log(1e-3)).exp().clamp_min(1e-4);
            dt_proj.bias!.copy_(dt + (-(-dt).expm1()).log());
        }
    }

    public override Tensor forward(Tensor hidden)
    {
        Tensor xz = Projection.Apply(in_proj, hidden, _ternary);
        Tensor x = xz.narrow(-1, 0, _inner);
        Tensor z = xz.narrow(-1, _inner, _inner);
        Tensor xc = F.silu(conv1d.forward(x.transpose(1, 2))).transpose(1, 2);                  // [B, T, E]
        Tensor dbc = x_proj.forward(xc);
        Tensor dtR = dt_layernorm.forward(dbc.narrow(-1, 0, _rank));
        Tensor bN = b_layernorm.forward(dbc.narrow(-1, _rank, _state));
        Tensor cN = c_layernorm.forward(dbc.narrow(-1, _rank + _state, _state));
        Tensor dt = F.softplus(dt_proj.forward(dtR));                                            // [B, T, E]
        Tensor a = -A_log.exp();                                                                  // [E, N]
        Tensor scan = is_grad_enabled() ? SelectiveScan.apply(dt, xc, bN, cN, a) : SelectiveScan.Evaluate(dt, xc, bN, cN, a);
        Tensor y = scan + (xc * D);                              // [B, T, E]
        return Projection.Apply(out_proj, y * F.silu(z), _ternary);
    }
}

/// <summary>HF <c>JambaAttentionDecoderLayer</c> / <c>JambaMambaDecoderLayer</c>: pre-norm mixer and FFN, both residual.</summary>
internal sealed class DecoderLayer : nn.Module<Tensor, Tensor>
{
    private readonly RmsNorm input_layernorm;
    private readonly nn.Module<Tensor, Tensor>? self_attn;
    private readonly nn.Module<Tensor, Tensor>? mamba;
    private readonly RmsNorm pre_ff_layernorm;
    private readonly nn.Module<Tensor, Tensor> feed_forward;

    public DecoderLayer(JambaConfig c, int index) : base(nameof(DecoderLayer))
    {
        input_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        if (c.IsAttention(index))
        {
            self_attn = new Attention(c);
        }
        else
        {
            mamba = new MambaMixer(c);
        }
        pre_ff_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        feed_forward = c.IsMoe(index) ? new SparseMoe(c) : new Mlp(c);
        RegisterComponents();
    }

    public Tensor? AuxLoss => (feed_forward as SparseMoe)?.AuxLoss;

    public override Tensor forward(Tensor h)
    {
        Tensor normed = input_layernorm.forward(h);
        h = h + (self_attn ?? mamba!).forward(normed);
        return h + feed_forward.forward(pre_ff_layernorm.forward(h));
    }
}

/// <summary>HF <c>JambaModel</c>: embedding, decoder layers, final RMSNorm.</summary>
internal sealed class JambaBackbone : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<DecoderLayer> layers;
    private readonly RmsNorm final_layernorm;

    public JambaBackbone(JambaConfig c) : base(nameof(JambaBackbone))
    {
        embed_tokens = nn.Embedding(c.VocabSize, c.HiddenSize);
        layers = new ModuleList<DecoderLayer>(Enumerable.Range(0, c.NumHiddenLayers).Select(i => new DecoderLayer(c, i)).ToArray());
        final_layernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        RegisterComponents();
    }

    public Tensor EmbeddingWeight => embed_tokens.weight!;

    public IEnumerable<DecoderLayer> Layers => layers;

    public override Tensor forward(Tensor tokens)
    {
        Tensor h = embed_tokens.forward(tokens);
        foreach (DecoderLayer layer in layers)
        {
            h = layer.forward(h);
        }
        return final_layernorm.forward(h);
    }
}

/// <summary>HF <c>JambaForCausalLM</c> with <c>tie_word_embeddings</c>: logits = embedding · h (no separate lm_head tensor).</summary>
internal sealed class JambaForCausalLM : nn.Module<Tensor, Tensor>
{
    private readonly JambaBackbone model;

    public JambaForCausalLM(JambaConfig c) : base(nameof(JambaForCausalLM))
    {
        model = new JambaBackbone(c);
        RegisterComponents();
        using (no_grad())
        {
            // HF _init_weights: normal(0, initializer_range) for every Linear and the embedding.
            foreach ((string name, Parameter p) in named_parameters())
            {
                if (p.dim() == 2 && !name.EndsWith("dt_proj.weight", StringComparison.Ordinal) && !name.EndsWith("A_log", StringComparison.Ordinal))
                {
                    p.normal_(0, 0.02);
                }
            }
        }
    }

    /// <summary>Sum of the MoE load-balancing terms of the last training forward (zero in eval mode).</summary>
    public Tensor AuxLoss() => model.Layers.Select(l => l.AuxLoss).OfType<Tensor>().Aggregate(zeros(1).squeeze(), (a, b) => a + b);

    /// <summary><paramref name="tokens"/> <c>[B, T]</c> int64 → logits <c>[B, T, V]</c>.</summary>
    public override Tensor forward(Tensor tokens) => F.linear(model.forward(tokens), model.EmbeddingWeight);
}
