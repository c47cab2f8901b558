using EdgeJamba.Layout;

namespace EdgeJamba.Runtime;

/// <summary>
/// Runs any validated <see cref="ModelLayout"/> with its dimensions read at run time. It is the
/// oracle the generated code is tested against, the baseline specialization must beat, and the path
/// for checkpoints whose layout is not compiled in. It calls the same <see cref="Kernels"/>.
/// </summary>
public sealed class GenericModel : LanguageModel
{
    private readonly Matrix _embedding;
    private readonly Matrix _finalNorm;
    private readonly Matrix _lmHead;
    private readonly LayerWeights[] _layers;
    private readonly float _eps;

    // Activations, sized for the widest layer (llama2.c's RunState).
    private readonly float[] _h, _x, _q, _attention, _scores, _xz, _xc, _dbc, _dt, _y, _gate, _up, _ffnOut, _router, _logits;
    private readonly int[] _experts;

    public GenericModel(ModelLayout layout, Checkpoint checkpoint)
        : base(layout)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var names = TensorNames.For(layout.Family);
        int d = layout.HiddenSize;
        _eps = (float)layout.NormEps;
        _embedding = checkpoint.Matrix(names.Embedding, layout.VocabSize, d);
        _finalNorm = checkpoint.Matrix(names.FinalNorm, 1, d);
        _lmHead = layout.TieEmbeddings ? _embedding : checkpoint.Matrix(TensorNames.LmHead, layout.VocabSize, d);
        _layers = new LayerWeights[layout.Layers.Count];
        int maxQuery = 0, maxInner = 0, maxDbc = 0, maxFfn = 0, maxExperts = 1, maxTopK = 1;
        foreach (var layer in layout.Layers)
        {
            _layers[layer.Index] = new LayerWeights(layout, layer, checkpoint, names);
            switch (layer.Mixer)
            {
                case AttentionLayout a:
                    maxQuery = Math.Max(maxQuery, a.QueryDim + (2 * a.KvDim));
                    break;
                case MambaLayout m:
                    maxInner = Math.Max(maxInner, m.DInner);
                    maxDbc = Math.Max(maxDbc, m.DtRank + (2 * m.DState));
                    break;
            }
            switch (layer.Ffn)
            {
                case DenseFfnLayout f:
                    maxFfn = Math.Max(maxFfn, f.IntermediateSize);
                    break;
                case MoeLayout e:
                    maxFfn = Math.Max(maxFfn, e.IntermediateSize);
                    maxExperts = Math.Max(maxExperts, e.Experts);
                    maxTopK = Math.Max(maxTopK, e.TopK);
                    break;
            }
        }
        _h = new float[d];
        _x = new float[d];
        _q = new float[maxQuery];
        _attention = new float[maxQuery];
        _scores = new float[layout.AttentionLayerCount > 0 ? layout.MaxContext : 0];
        _xz = new float[2 * maxInner];
        _xc = new float[maxInner];
        _dbc = new float[maxDbc];
        _dt = new float[maxInner];
        _y = new float[maxInner];
        _gate = new float[maxFfn];
        _up = new float[maxFfn];
        _ffnOut = new float[d];
        _router = new float[maxExperts];
        _experts = new int[maxTopK];
        _logits = new float[layout.VocabSize];
    }

    public override string EngineName => "generic";

    public override long ScratchBytes =>
        sizeof(float) * ((long)_h.Length + _x.Length + _q.Length + _attention.Length + _scores.Length + _xz.Length + _xc.Length + _dbc.Length +
            _dt.Length + _y.Length + _gate.Length + _up.Length + _ffnOut.Length + _router.Length + _logits.Length) + (sizeof(int) * _experts.Length);

    public override ReadOnlySpan<float> Forward(int token, int position)
    {
        CheckInput(token, position);
        var h = _h.AsSpan();
        _embedding.Row(token).CopyTo(h);
        foreach (var w in _layers)
        {
            Kernels.RmsNorm(h, w.MixerNorm.Row(0), _eps, _x);
            switch (w.Layer.Mixer)
            {
                case AttentionLayout a:
                    Attention(a, w, position);
                    break;
                case MambaLayout m:
                    Mamba(m, w);
                    break;
            }
            switch (w.Layer.Ffn)
            {
                case DenseFfnLayout f:
                    Kernels.RmsNorm(h, w.FfnNorm.Row(0), _eps, _x);
                    GatedMlp(w.Gate, w.Up, w.Down, w.GateBias, w.UpBias, w.DownBias, f.Activation, f.IntermediateSize);
                    Kernels.Add(_ffnOut, h);
                    break;
                case MoeLayout e:
                    Kernels.RmsNorm(h, w.FfnNorm.Row(0), _eps, _x);
                    Moe(e, w);
                    break;
            }
        }
        Kernels.RmsNorm(h, _finalNorm.Row(0), _eps, _x);
        Kernels.MatVec(_lmHead, _x, _logits);
        return _logits;
    }

    /// <summary>h += o_proj(attention over the cache of q_proj(x)), writing this position's K and V into the cache.</summary>
    private void Attention(AttentionLayout a, LayerWeights w, int position)
    {
        int kvDim = a.KvDim;
        var cache = State.Slice((int)w.StateOffset, (int)MemoryPlan.KvElements(a, Layout.MaxContext));
        var keys = cache[..(Layout.MaxContext * kvDim)];
        var values = cache[(Layout.MaxContext * kvDim)..];
        var q = _q.AsSpan(0, a.QueryDim);
        var k = keys.Slice(position * kvDim, kvDim);
        var v = values.Slice(position * kvDim, kvDim);
        Linear(w.Q, w.QBias, _x, q);
        Linear(w.K, w.KBias, _x, k);
        Linear(w.V, w.VBias, _x, v);
        if (w.Rope is { } rope)
        {
            Kernels.RotateHalf(q, a.Heads, a.HeadDim, rope.CosAt(position), rope.SinAt(position));
            Kernels.RotateHalf(k, a.KvHeads, a.HeadDim, rope.CosAt(position), rope.SinAt(position));
        }
        int group = a.Heads / a.KvHeads;
        float scale = (float)(1.0 / Math.Sqrt(a.HeadDim)); // rounded once, as the generated code and HF (head_dim ** -0.5) do
        var output = _attention.AsSpan(0, a.QueryDim);
        for (int head = 0; head < a.Heads; head++)
        {
            int kvOffset = head / group * a.HeadDim;
            Kernels.Attend(q.Slice(head * a.HeadDim, a.HeadDim), keys[kvOffset..], values[kvOffset..], position + 1, kvDim, scale, _scores,
                output.Slice(head * a.HeadDim, a.HeadDim));
        }
        Linear(w.O, w.OBias, output, _ffnOut);
        Kernels.Add(_ffnOut, _h);
    }

    /// <summary>h += out_proj(selective_scan(conv(in_proj(x))) * silu(z)), one step of the recurrence.</summary>
    private void Mamba(MambaLayout m, LayerWeights w)
    {
        int e = m.DInner;
        var state = State.Slice((int)w.StateOffset, (int)MemoryPlan.RecurrentElements(w.Layer));
        var convState = state[..(e * m.DConv)];
        var ssmState = state[(e * m.DConv)..];
        var xz = _xz.AsSpan(0, 2 * e);
        Linear(w.InProj, w.InProjBias, _x, xz);
        var xc = _xc.AsSpan(0, e);
        Kernels.CausalConv1dStep(xz[..e], convState, w.Conv.AsSpan(), w.ConvBias.Length == 0 ? default : w.ConvBias.Row(0), xc);
        Kernels.Silu(xc);
        var dbc = _dbc.AsSpan(0, m.DtRank + (2 * m.DState));
        Kernels.MatVec(w.XProj, xc, dbc);
        var dtRaw = dbc[..m.DtRank];
        var b = dbc.Slice(m.DtRank, m.DState);
        var c = dbc.Slice(m.DtRank + m.DState, m.DState);
        if (m.DtBcNorms)
        {
            Kernels.RmsNorm(dtRaw, w.DtNorm.Row(0), _eps, dtRaw);
            Kernels.RmsNorm(b, w.BNorm.Row(0), _eps, b);
            Kernels.RmsNorm(c, w.CNorm.Row(0), _eps, c);
        }
        var dt = _dt.AsSpan(0, e);
        Linear(w.DtProj, w.DtBias, dtRaw, dt);
        Kernels.Softplus(dt);
        var y = _y.AsSpan(0, e);
        Kernels.SelectiveScanStep(xc, dt, w.A, b, c, w.D.Row(0), xz[e..], ssmState, y);
        Linear(w.OutProj, w.OutProjBias, y, _ffnOut);
        Kernels.Add(_ffnOut, _h);
    }

    /// <summary>_ffnOut = down(act(gate·x) ⊙ up·x).</summary>
    private void GatedMlp(Matrix gate, Matrix up, Matrix down, Matrix gateBias, Matrix upBias, Matrix downBias, Activation activation, int size)
    {
        var g = _gate.AsSpan(0, size);
        var u = _up.AsSpan(0, size);
        Linear(gate, gateBias, _x, g);
        Linear(up, upBias, _x, u);
        Kernels.GatedActivation(activation, g, u, g);
        Linear(down, downBias, g, _ffnOut);
    }

    /// <summary>h += Σ over the top-k experts of p_e · Expert_e(x); p renormalized over the k when the family does.</summary>
    private void Moe(MoeLayout e, LayerWeights w)
    {
        var router = _router.AsSpan(0, e.Experts);
        Kernels.MatVec(w.Router, _x, router);
        Kernels.Softmax(router);
        var chosen = _experts.AsSpan(0, e.TopK);
        Kernels.TopK(router, chosen);
        float total = 0;
        foreach (int expert in chosen)
        {
            total += router[expert];
        }
        foreach (int expert in chosen)
        {
            GatedMlp(w.ExpertGate[expert], w.ExpertUp[expert], w.ExpertDown[expert], default, default, default, e.Activation, e.IntermediateSize);
            Kernels.AddScaled(_ffnOut, e.Renormalize ? router[expert] / total : router[expert], _h);
        }
    }

    private static void Linear(Matrix w, Matrix bias, ReadOnlySpan<float> x, Span<float> y)
    {
        Kernels.MatVec(w, x, y);
        if (bias.Length != 0)
        {
            Kernels.Add(bias.Row(0), y);
        }
    }

    /// <summary>One layer's tensors, bound and shape-checked at load.</summary>
    private sealed class LayerWeights
    {
        public LayerWeights(ModelLayout layout, LayerLayout layer, Checkpoint ckpt, TensorNames names)
        {
            int i = layer.Index, d = layout.HiddenSize;
            Layer = layer;
            StateOffset = MemoryPlan.LayerStateOffset(layout, i);
            MixerNorm = ckpt.Matrix(names.MixerNorm(i), 1, d);
            if (layer.Ffn is not NoFfnLayout)
            {
                FfnNorm = ckpt.Matrix(names.FfnNorm(i), 1, d);
            }
            switch (layer.Mixer)
            {
                case AttentionLayout a:
                    Q = ckpt.Matrix(names.Attention(i, "q"), a.QueryDim, d);
                    K = ckpt.Matrix(names.Attention(i, "k"), a.KvDim, d);
                    V = ckpt.Matrix(names.Attention(i, "v"), a.KvDim, d);
                    O = ckpt.Matrix(names.Attention(i, "o"), d, a.QueryDim);
                    if (a.Bias)
                    {
                        QBias = ckpt.Matrix(names.Attention(i, "q", "bias"), 1, a.QueryDim);
                        KBias = ckpt.Matrix(names.Attention(i, "k", "bias"), 1, a.KvDim);
                        VBias = ckpt.Matrix(names.Attention(i, "v", "bias"), 1, a.KvDim);
                        OBias = ckpt.Matrix(names.Attention(i, "o", "bias"), 1, d);
                    }
                    Rope = a.Rope is null ? null : RopeTable.Shared(a.Rope, a.HeadDim, layout.MaxContext);
                    break;
                case MambaLayout m:
                    InProj = ckpt.Matrix(names.Mamba(i, "in_proj.weight"), 2 * m.DInner, d);
                    Conv = ckpt.Matrix(names.Mamba(i, "conv1d.weight"), m.DInner, m.DConv);
                    XProj = ckpt.Matrix(names.Mamba(i, "x_proj.weight"), m.DtRank + (2 * m.DState), m.DInner);
                    DtProj = ckpt.Matrix(names.Mamba(i, "dt_proj.weight"), m.DInner, m.DtRank);
                    DtBias = ckpt.Matrix(names.Mamba(i, "dt_proj.bias"), 1, m.DInner);
                    D = ckpt.Matrix(names.Mamba(i, "D"), 1, m.DInner);
                    OutProj = ckpt.Matrix(names.Mamba(i, "out_proj.weight"), d, m.DInner);
                    if (m.ConvBias)
                    {
                        ConvBias = ckpt.Matrix(names.Mamba(i, "conv1d.bias"), 1, m.DInner);
                    }
                    if (m.ProjBias)
                    {
                        InProjBias = ckpt.Matrix(names.Mamba(i, "in_proj.bias"), 1, 2 * m.DInner);
                        OutProjBias = ckpt.Matrix(names.Mamba(i, "out_proj.bias"), 1, d);
                    }
                    if (m.DtBcNorms)
                    {
                        DtNorm = ckpt.Matrix(names.Mamba(i, "dt_layernorm.weight"), 1, m.DtRank);
                        BNorm = ckpt.Matrix(names.Mamba(i, "b_layernorm.weight"), 1, m.DState);
                        CNorm = ckpt.Matrix(names.Mamba(i, "c_layernorm.weight"), 1, m.DState);
                    }
                    // A = -exp(A_log), once, in fp32.
                    var aLog = ckpt.Matrix(names.Mamba(i, "A_log"), m.DInner, m.DState).AsSpan();
                    A = new float[aLog.Length];
                    for (int j = 0; j < A.Length; j++)
                    {
                        A[j] = -MathF.Exp(aLog[j]);
                    }
                    break;
            }
            switch (layer.Ffn)
            {
                case DenseFfnLayout f:
                    Gate = ckpt.Matrix(names.Mlp(i, "gate"), f.IntermediateSize, d);
                    Up = ckpt.Matrix(names.Mlp(i, "up"), f.IntermediateSize, d);
                    Down = ckpt.Matrix(names.Mlp(i, "down"), d, f.IntermediateSize);
                    if (f.Bias)
                    {
                        GateBias = ckpt.Matrix(names.Mlp(i, "gate", "bias"), 1, f.IntermediateSize);
                        UpBias = ckpt.Matrix(names.Mlp(i, "up", "bias"), 1, f.IntermediateSize);
                        DownBias = ckpt.Matrix(names.Mlp(i, "down", "bias"), 1, d);
                    }
                    break;
                case MoeLayout e:
                    Router = ckpt.Matrix(names.Router(i), e.Experts, d);
                    ExpertGate = new Matrix[e.Experts];
                    ExpertUp = new Matrix[e.Experts];
                    ExpertDown = new Matrix[e.Experts];
                    for (int x = 0; x < e.Experts; x++)
                    {
                        ExpertGate[x] = ckpt.Matrix(names.Expert(i, x, "gate"), e.IntermediateSize, d);
                        ExpertUp[x] = ckpt.Matrix(names.Expert(i, x, "up"), e.IntermediateSize, d);
                        ExpertDown[x] = ckpt.Matrix(names.Expert(i, x, "down"), d, e.IntermediateSize);
                    }
                    break;
            }
        }

        public LayerLayout Layer { get; }
        public long StateOffset { get; }
        public Matrix MixerNorm { get; }
        public Matrix FfnNorm { get; }
        public Matrix Q { get; }
        public Matrix K { get; }
        public Matrix V { get; }
        public Matrix O { get; }
        public Matrix QBias { get; }
        public Matrix KBias { get; }
        public Matrix VBias { get; }
        public Matrix OBias { get; }
        public RopeTable? Rope { get; }
        public Matrix InProj { get; }
        public Matrix InProjBias { get; }
        public Matrix Conv { get; }
        public Matrix ConvBias { get; }
        public Matrix XProj { get; }
        public Matrix DtNorm { get; }
        public Matrix BNorm { get; }
        public Matrix CNorm { get; }
        public Matrix DtProj { get; }
        public Matrix DtBias { get; }
        public float[] A { get; } = [];
        public Matrix D { get; }
        public Matrix OutProj { get; }
        public Matrix OutProjBias { get; }
        public Matrix Gate { get; }
        public Matrix Up { get; }
        public Matrix Down { get; }
        public Matrix GateBias { get; }
        public Matrix UpBias { get; }
        public Matrix DownBias { get; }
        public Matrix Router { get; }
        public Matrix[] ExpertGate { get; } = [];
        public Matrix[] ExpertUp { get; } = [];
        public Matrix[] ExpertDown { get; } = [];
    }
}
