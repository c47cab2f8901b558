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
    private readonly float[] _finalNormScale;
    private readonly Matrix _lmHead; // a dense classifier
    private readonly Q8Matrix _lmHeadQ8; // a q8_0 classifier (Layout.LmHead)
    private readonly LayerWeights[] _layers;
    private readonly float _eps;

    /// <summary>
    /// Tokens processed per batched pass of a prompt; decode is a pass of one token. Each pass reads every weight (and widens
    /// every 16-bit one) once, so longer passes cost less per token: jamba-128m prefill of 256 tokens on one thread, f32 /
    /// f16, 247 / 232 tok/s in passes of 32, 288 / 282 in passes of 64, 311 / 301 in passes of 128 (the default model and
    /// stories260K no slower); the scratch grows with it (the default model's 0.37 → 1.42 MiB).
    /// </summary>
    public const int Chunk = 128;

    // Activations for up to Chunk tokens, row-major [token, width], sized for the widest layer (llama2.c's RunState).
    private readonly float[] _h, _x, _out, _q, _attention, _scores, _xz, _xc, _dbc, _dtRaw, _dt, _y, _qkv, _gates, _recurrent, _gate, _up, _router, _gathered, _expertOut, _logits;
    // MoE: each token's chosen experts [Chunk, top-k], and the chosen slot of each row gathered for one expert.
    private readonly int[] _experts, _slots;

    // Int8 codes of the input of a quantized projection [Chunk, padded width] and their scales (per token, or per q8_0 block).
    private readonly sbyte[] _xq;
    private readonly float[] _xqScales;

    public GenericModel(ModelLayout layout, Checkpoint checkpoint)
        : base(layout)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var names = TensorNames.For(layout.Family);
        int d = layout.HiddenSize;
        _eps = (float)layout.NormEps;
        _embedding = checkpoint.Weight(names.Embedding, layout.VocabSize, d);
        _finalNorm = checkpoint.Matrix(names.FinalNorm, 1, d);
        _finalNormScale = layout.Norm == NormKind.LayerNorm1p ? NormWeights.OnePlus(_finalNorm.Row(0)) : [];
        string head = layout.TieEmbeddings ? names.Embedding : TensorNames.LmHead;
        if (layout.LmHead == ProjectionFormat.Q8_0)
        {
            _lmHeadQ8 = checkpoint.Q8(head, layout.VocabSize, d);
        }
        else
        {
            _lmHead = layout.TieEmbeddings ? _embedding : checkpoint.Weight(head, layout.VocabSize, d);
        }
        _layers = new LayerWeights[layout.Layers.Count];
        int maxQuery = 0, maxInner = 0, maxDbc = 0, maxRank = 0, maxFfn = 0, maxExperts = 0, maxTopK = 0, maxQkv = 0, maxGates = 0, maxRecurrent = 0;
        foreach (var layer in layout.Layers)
        {
            _layers[layer.Index] = new LayerWeights(layout, layer, checkpoint, names);
            switch (layer.Mixer)
            {
                case AttentionLayout a:
                    maxQuery = Math.Max(maxQuery, a.QueryDim);
                    break;
                case MambaLayout m:
                    maxInner = Math.Max(maxInner, m.DInner);
                    maxDbc = Math.Max(maxDbc, m.DtRank + (2 * m.DState));
                    maxRank = Math.Max(maxRank, m.DtRank);
                    break;
                case MLstmLargeLayout l:
                    maxInner = Math.Max(maxInner, l.VDim);
                    maxQkv = Math.Max(maxQkv, (2 * l.QkDim) + (2 * l.VDim));
                    maxGates = Math.Max(maxGates, 2 * l.Heads);
                    break;
                case MLstmNxaiLayout x:
                    maxInner = Math.Max(maxInner, x.InnerSize);
                    maxQkv = Math.Max(maxQkv, 3 * x.InnerSize);
                    maxGates = Math.Max(maxGates, 2 * x.Heads);
                    break;
                case SLstmLayout:
                    maxInner = Math.Max(maxInner, d);
                    maxGates = Math.Max(maxGates, 4 * d);
                    maxRecurrent = 4 * d;
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
        _h = new float[Chunk * d];
        _x = new float[Chunk * d];
        _out = new float[Chunk * d];
        _q = new float[Chunk * maxQuery];
        _attention = new float[Chunk * maxQuery];
        _scores = new float[maxQuery > 0 ? 2 * layout.MaxContext : 0]; // two heads at a time (Kernels.AttendChunk)
        _xz = new float[Chunk * 2 * maxInner];
        _xc = new float[Chunk * maxInner];
        _dbc = new float[Chunk * maxDbc];
        _dtRaw = new float[Chunk * maxRank];
        _dt = new float[Chunk * maxInner];
        _y = new float[Chunk * maxInner];
        _qkv = new float[Chunk * maxQkv];
        _gates = new float[Chunk * maxGates];
        _recurrent = new float[maxRecurrent];
        _gate = new float[Chunk * maxFfn];
        _up = new float[Chunk * maxFfn];
        _router = new float[Chunk * maxExperts];
        _gathered = new float[maxExperts > 0 ? Chunk * d : 0];
        _expertOut = new float[Chunk * maxTopK * d];
        _experts = new int[Chunk * maxTopK];
        _slots = new int[maxExperts > 0 ? Chunk : 0];
        _logits = new float[layout.VocabSize];
        var (codes, scales) = QuantizedRows.InputBuffers(layout, Chunk, Math.Max(Math.Max(d, maxInner), Math.Max(maxQuery, maxFfn)));
        _xq = new sbyte[codes];
        _xqScales = new float[scales];
    }

    public override string EngineName => "generic";

    public override long ScratchBytes =>
        sizeof(float) * ((long)_h.Length + _x.Length + _out.Length + _q.Length + _attention.Length + _scores.Length + _xz.Length + _xc.Length +
            _dbc.Length + _dtRaw.Length + _dt.Length + _y.Length + _qkv.Length + _gates.Length + _recurrent.Length + _gate.Length + _up.Length +
            _router.Length + _gathered.Length + _expertOut.Length + _logits.Length + _xqScales.Length) +
        (sizeof(int) * ((long)_experts.Length + _slots.Length)) + _xq.Length;

    public override ReadOnlySpan<float> Forward(int token, int position)
    {
        CheckInput(token, position);
        Run([token], position);
        return _logits;
    }

    /// <summary>The prompt in passes of up to <see cref="Chunk"/> tokens: every projection is one matrix-matrix product per pass.</summary>
    public override ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens, int position)
    {
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("no tokens to prefill", nameof(tokens));
        }
        for (int i = 0; i < tokens.Length; i++)
        {
            CheckInput(tokens[i], position + i);
        }
        for (int start = 0; start < tokens.Length; start += Chunk)
        {
            Run(tokens.Slice(start, Math.Min(Chunk, tokens.Length - start)), position + start);
        }
        return _logits;
    }

    /// <summary>Feeds <paramref name="tokens"/> (at most <see cref="Chunk"/>) at positions from <paramref name="position"/>; logits of the last.</summary>
    private void Run(ReadOnlySpan<int> tokens, int position)
    {
        int n = tokens.Length, d = Layout.HiddenSize;
        var h = _h.AsSpan(0, n * d);
        var x = _x.AsSpan(0, n * d);
        var output = _out.AsSpan(0, n * d);
        for (int t = 0; t < n; t++)
        {
            _embedding.CopyRowTo(tokens[t], h.Slice(t * d, d));
        }
        foreach (var w in _layers)
        {
            NormRows(h, w.MixerNorm, w.MixerNormScale, x, n);
            switch (w.Layer.Mixer)
            {
                case AttentionLayout a:
                    Attention(a, w, position, n);
                    break;
                case MambaLayout m:
                    Mamba(m, w, n);
                    break;
                case MLstmLargeLayout l:
                    MLstmLarge(l, w, n);
                    break;
                case MLstmNxaiLayout xl:
                    MLstmNxai(xl, w, n);
                    break;
                case SLstmLayout sl:
                    SLstm(sl, w, n);
                    break;
            }
            Kernels.Add(output, h);
            switch (w.Layer.Ffn)
            {
                case DenseFfnLayout f:
                    NormRows(h, w.FfnNorm, w.FfnNormScale, x, n);
                    if (w.Quantized)
                    {
                        QuantizedMlp(w, f.Activation, f.IntermediateSize, n);
                    }
                    else
                    {
                        GatedMlp(w.Gate, w.Up, w.Down, w.GateBias, w.UpBias, w.DownBias, f.Activation, f.IntermediateSize, n);
                    }
                    Kernels.Add(output, h);
                    break;
                case MoeLayout e:
                    NormRows(h, w.FfnNorm, w.FfnNormScale, x, n);
                    Moe(e, w, n);
                    break;
            }
        }
        NormRows(h.Slice((n - 1) * d, d), _finalNorm, _finalNormScale, x[..d], 1);
        if (Layout.LmHead == ProjectionFormat.Q8_0)
        {
            Kernels.QuantizeQ8Rows(x[..d], 1, d, _xq, _xqScales);
            Workers.Q8MatMul(_lmHeadQ8, _xq, _xqScales, 1, _logits);
        }
        else
        {
            Workers.MatVec(_lmHead, x[..d], _logits);
        }
        if (Layout.LogitSoftCap > 0)
        {
            Kernels.SoftCap(_logits, (float)Layout.LogitSoftCap);
        }
    }

    /// <summary>x = norm(h) row by row: RMSNorm with <paramref name="weight"/>, or the 1 + w LayerNorm with its precomputed <paramref name="onePlus"/>.</summary>
    private void NormRows(ReadOnlySpan<float> h, Matrix weight, float[] onePlus, Span<float> x, int n)
    {
        int d = Layout.HiddenSize;
        for (int t = 0; t < n; t++)
        {
            if (Layout.Norm == NormKind.LayerNorm1p)
            {
                Kernels.LayerNorm(h.Slice(t * d, d), onePlus, _eps, x.Slice(t * d, d));
            }
            else
            {
                Kernels.RmsNorm(h.Slice(t * d, d), weight.Row(0), _eps, x.Slice(t * d, d));
            }
        }
    }

    /// <summary>_out = o_proj(causal attention of q_proj(x) over the cache), after writing the K and V of these positions into it.</summary>
    private void Attention(AttentionLayout a, LayerWeights w, int position, int n)
    {
        int kvDim = a.KvDim, qDim = a.QueryDim;
        var cache = State.Slice((int)w.StateOffset, (int)MemoryPlan.KvElements(a, Layout.MaxContext));
        var keys = cache[..(Layout.MaxContext * kvDim)];
        var values = cache[(Layout.MaxContext * kvDim)..];
        var q = _q.AsSpan(0, n * qDim);
        var k = keys.Slice(position * kvDim, n * kvDim);
        var v = values.Slice(position * kvDim, n * kvDim);
        var x = _x.AsSpan(0, n * Layout.HiddenSize);
        if (w.Quantized)
        {
            QuantizeInput(x, Layout.HiddenSize, n);
            QuantizedProduct(w.QuantQ, n, q);
            QuantizedProduct(w.QuantK, n, k);
            QuantizedProduct(w.QuantV, n, v);
            AddBias(w.QBias, q, n);
            AddBias(w.KBias, k, n);
            AddBias(w.VBias, v, n);
        }
        else
        {
            Linear(w.Q, w.QBias, x, q, n);
            Linear(w.K, w.KBias, x, k, n);
            Linear(w.V, w.VBias, x, v, n);
        }
        if (w.Rope is { } rope)
        {
            for (int t = 0; t < n; t++)
            {
                Kernels.RotateHalf(q.Slice(t * qDim, qDim), a.Heads, a.HeadDim, rope.CosAt(position + t), rope.SinAt(position + t));
                Kernels.RotateHalf(k.Slice(t * kvDim, kvDim), a.KvHeads, a.HeadDim, rope.CosAt(position + t), rope.SinAt(position + t));
            }
        }
        float scale = (float)(1.0 / Math.Sqrt(a.HeadDim));
        var attention = _attention.AsSpan(0, n * qDim);
        Workers.AttendChunk(q, keys, values, a.Heads, a.KvHeads, position, n, scale, _scores, attention);
        if (Layout.HasSubNorms)
        {
            SubNorm(attention, w.AttentionSubNorm, n);
        }
        Project(w.O, w.QuantO, w.OBias, attention, _out.AsSpan(0, n * Layout.HiddenSize), n);
    }

    /// <summary>BitNet's sub-norm: each of the n rows of <paramref name="rows"/> RMS-normalized in place by <paramref name="weight"/>.</summary>
    private void SubNorm(Span<float> rows, Matrix weight, int n)
    {
        int width = weight.Cols;
        for (int t = 0; t < n; t++)
        {
            Kernels.RmsNorm(rows.Slice(t * width, width), weight.Row(0), _eps, rows.Slice(t * width, width));
        }
    }

    /// <summary>The n rows of <paramref name="x"/> (<paramref name="width"/> each) quantized to int8 into _xq, _xqScales, as the projection format wants.</summary>
    private void QuantizeInput(ReadOnlySpan<float> x, int width, int n)
    {
        if (Layout.Projections == ProjectionFormat.Ternary)
        {
            Kernels.QuantizeInt8Rows(x, n, width, _xq, _xqScales);
        }
        else
        {
            Kernels.QuantizeQ8Rows(x, n, width, _xq, _xqScales);
        }
    }

    /// <summary>y = w·(the n rows in _xq) for a quantized projection.</summary>
    private void QuantizedProduct(in QuantizedWeight w, int n, Span<float> y)
    {
        if (Layout.Projections == ProjectionFormat.Ternary)
        {
            Workers.TernaryMatMul(w.Ternary, _xq, _xqScales, n, y);
        }
        else
        {
            Workers.Q8MatMul(w.Q8, _xq, _xqScales, n, y);
        }
    }

    /// <summary>_out = out_proj(selective_scan(conv(in_proj(x))) · silu(z)), the recurrence run over the tokens in order.</summary>
    private void Mamba(MambaLayout m, LayerWeights w, int n)
    {
        int e = m.DInner, dbcWidth = m.DtRank + (2 * m.DState);
        var state = State.Slice((int)w.StateOffset, (int)MemoryPlan.RecurrentElements(Layout, w.Layer));
        var convState = state[..(e * m.DConv)];
        var ssmState = state[(e * m.DConv)..];
        var xz = _xz.AsSpan(0, n * 2 * e);
        var xc = _xc.AsSpan(0, n * e);
        var dbc = _dbc.AsSpan(0, n * dbcWidth);
        var dtRaw = _dtRaw.AsSpan(0, n * m.DtRank);
        var dt = _dt.AsSpan(0, n * e);
        var y = _y.AsSpan(0, n * e);
        Project(w.InProj, w.QuantInProj, w.InProjBias, _x.AsSpan(0, n * Layout.HiddenSize), xz, n);
        Workers.CausalConv1dSilu(xz, 2 * e, convState, w.Conv.AsSpan(), w.ConvBias.Length == 0 ? default : w.ConvBias.Row(0), n, xc);
        Workers.MatMul(w.XProj, xc, n, dbc);
        for (int t = 0; t < n; t++)
        {
            var row = dbc.Slice(t * dbcWidth, dbcWidth);
            if (m.DtBcNorms)
            {
                Kernels.RmsNorm(row[..m.DtRank], w.DtNorm.Row(0), _eps, row[..m.DtRank]);
                Kernels.RmsNorm(row.Slice(m.DtRank, m.DState), w.BNorm.Row(0), _eps, row.Slice(m.DtRank, m.DState));
                Kernels.RmsNorm(row.Slice(m.DtRank + m.DState, m.DState), w.CNorm.Row(0), _eps, row.Slice(m.DtRank + m.DState, m.DState));
            }
            row[..m.DtRank].CopyTo(dtRaw.Slice(t * m.DtRank, m.DtRank));
        }
        Linear(w.DtProj, w.DtBias, dtRaw, dt, n);
        Kernels.Softplus(dt);
        Workers.SelectiveScan(xc, dt, w.A, dbc[m.DtRank..], dbc[(m.DtRank + m.DState)..], dbcWidth, w.D.Row(0), xz[e..], 2 * e, ssmState, n, y);
        Project(w.OutProj, w.QuantOutProj, w.OutProjBias, y, _out.AsSpan(0, n * Layout.HiddenSize), n);
    }

    /// <summary>y = W·x (+ bias) for n rows of <paramref name="dense"/>.Cols (or, with quantized projections, of the quantized matrix's).</summary>
    private void Project(Matrix dense, in QuantizedWeight quantized, Matrix bias, ReadOnlySpan<float> x, Span<float> y, int n)
    {
        if (Layout.Projections == ProjectionFormat.Dense)
        {
            Linear(dense, bias, x, y, n);
            return;
        }
        QuantizeInput(x, quantized.Cols, n);
        QuantizedProduct(quantized, n, y);
        AddBias(bias, y, n);
    }

    /// <summary>y[t] += bias for each of the n rows of y (as wide as the bias); nothing when there is no bias.</summary>
    private static void AddBias(Matrix bias, Span<float> y, int n)
    {
        for (int t = 0; bias.Length != 0 && t < n; t++)
        {
            Kernels.Add(bias.Row(0), y.Slice(t * bias.Cols, bias.Cols));
        }
    }

    /// <summary>
    /// HF xLSTM mLSTM: _out = out_proj(sigmoid(o) ⊙ multihead_norm(mLSTM cell(q, k, v; soft-capped gates))), the cell stepped
    /// token after token through the layer's (C, n, m).
    /// </summary>
    private void MLstmLarge(MLstmLargeLayout l, LayerWeights w, int n)
    {
        int qk = l.QkDim, vd = l.VDim, heads = l.Heads, dqk = l.QkHeadDim, dv = l.VHeadDim;
        var state = State.Slice((int)w.StateOffset, (int)MemoryPlan.MLstmElements(l));
        var memory = state[..(heads * dqk * dv)];
        var normalizer = state.Slice(heads * dqk * dv, heads * dqk);
        var stabilizer = state.Slice((heads * dqk * dv) + (heads * dqk), heads);
        var x = _x.AsSpan(0, n * Layout.HiddenSize);
        var qkv = _qkv.AsSpan(0, n * ((2 * qk) + (2 * vd)));
        var q = qkv[..(n * qk)];
        var k = qkv.Slice(n * qk, n * qk);
        var v = qkv.Slice(2 * n * qk, n * vd);
        var o = qkv.Slice((2 * n * qk) + (n * vd), n * vd);
        Workers.MatMul(w.Q, x, n, q);
        Workers.MatMul(w.K, x, n, k);
        Workers.MatMul(w.V, x, n, v);
        Workers.MatMul(w.O, x, n, o);
        var gates = _gates.AsSpan(0, 2 * n * heads);
        var inputGates = gates[..(n * heads)];
        var forgetGates = gates[(n * heads)..];
        Linear(w.IGate, w.IGateBias, x, inputGates, n);
        Linear(w.FGate, w.FGateBias, x, forgetGates, n);
        Kernels.SoftCap(gates, (float)l.GateSoftCap);
        var y = _y.AsSpan(0, n * vd);
        float queryScale = (float)(1.0 / Math.Sqrt(dqk));
        Workers.MLstmChunk(q, k, qk, v, vd, inputGates, forgetGates, queryScale, 1f, (float)l.Eps, memory, normalizer, stabilizer, w.OutNorm.Row(0), _eps, n, y);
        Kernels.SigmoidGate(o, y, y);
        Workers.MatMul(w.OutProj, y, n, _out.AsSpan(0, n * Layout.HiddenSize));
    }

    /// <summary>
    /// NX-AI mLSTM: [xm | z] = proj_up(x); xc = silu(conv(xm)); q, k = headwise(xc), v = headwise(xm); gates from cat(q, k, v);
    /// the cell token after token; _out = proj_down((outnorm(h) + skip ⊙ xc) ⊙ silu(z)).
    /// </summary>
    private void MLstmNxai(MLstmNxaiLayout l, LayerWeights w, int n)
    {
        int inner = l.InnerSize, heads = l.Heads, dh = l.HeadDim, blocks = inner / l.QkvBlockSize;
        var state = State.Slice((int)w.StateOffset, (int)MemoryPlan.MLstmElements(l));
        var convState = state[..(inner * l.ConvKernel)];
        var cell = state[(inner * l.ConvKernel)..];
        var memory = cell[..(heads * dh * dh)];
        var normalizer = cell.Slice(heads * dh * dh, heads * dh);
        var stabilizer = cell.Slice((heads * dh * dh) + (heads * dh), heads);
        var xz = _xz.AsSpan(0, n * 2 * inner);
        var xc = _xc.AsSpan(0, n * inner);
        var qkv = _qkv.AsSpan(0, n * 3 * inner);
        Workers.MatMul(w.InProj, _x.AsSpan(0, n * Layout.HiddenSize), n, xz);
        Workers.CausalConv1dSilu(xz, 2 * inner, convState, w.Conv.AsSpan(), w.ConvBias.Row(0), n, xc);
        for (int t = 0; t < n; t++)
        {
            var xm = xz.Slice(t * 2 * inner, inner);
            var xct = xc.Slice(t * inner, inner);
            var row = qkv.Slice(t * 3 * inner, 3 * inner);
            Kernels.BlockDiagonalMatVec(w.Q.AsSpan(), blocks, xct, row[..inner]);
            Kernels.BlockDiagonalMatVec(w.K.AsSpan(), blocks, xct, row.Slice(inner, inner));
            Kernels.BlockDiagonalMatVec(w.V.AsSpan(), blocks, xm, row.Slice(2 * inner, inner));
        }
        var gates = _gates.AsSpan(0, 2 * n * heads);
        var inputGates = gates[..(n * heads)];
        var forgetGates = gates[(n * heads)..];
        Linear(w.IGate, w.IGateBias, qkv, inputGates, n);
        Linear(w.FGate, w.FGateBias, qkv, forgetGates, n);
        var y = _y.AsSpan(0, n * inner);
        float keyScale = (float)(1.0 / Math.Sqrt(dh));
        Workers.MLstmChunk(qkv, qkv[inner..], 3 * inner, qkv[(2 * inner)..], 3 * inner, inputGates, forgetGates, 1f, keyScale, (float)l.Eps, memory, normalizer,
            stabilizer, w.OutNormScale, _eps, n, y);
        for (int t = 0; t < n; t++)
        {
            var yt = y.Slice(t * inner, inner);
            Kernels.AddProduct(w.Skip.Row(0), xc.Slice(t * inner, inner), yt);
            Kernels.GatedActivation(Activation.Silu, xz.Slice((t * 2 * inner) + inner, inner), yt, yt);
        }
        Workers.MatMul(w.OutProj, y, n, _out.AsSpan(0, n * Layout.HiddenSize));
    }

    /// <summary>
    /// NX-AI sLSTM: gate inputs i, f from silu(conv(x)) and z, o from x (headwise), plus bias; then token after token the
    /// recurrent term of the previous y, the cell, and _out = group_norm(y) per head.
    /// </summary>
    private void SLstm(SLstmLayout l, LayerWeights w, int n)
    {
        int d = Layout.HiddenSize, heads = l.Heads;
        var state = State.Slice((int)w.StateOffset, (int)MemoryPlan.SLstmElements(l, d));
        var convState = state[..(d * l.ConvKernel)];
        var cell = state[(d * l.ConvKernel)..];
        var yState = cell[..d];
        var c = cell.Slice(d, d);
        var normalizer = cell.Slice(2 * d, d);
        var stabilizer = cell.Slice(3 * d, d);
        var x = _x.AsSpan(0, n * d);
        var xc = _xc.AsSpan(0, n * d);
        var gates = _gates.AsSpan(0, n * 4 * d);
        var recurrent = _recurrent.AsSpan(0, 4 * d);
        var output = _out.AsSpan(0, n * d);
        if (l.ConvKernel > 0)
        {
            Workers.CausalConv1dSilu(x, d, convState, w.Conv.AsSpan(), w.ConvBias.Row(0), n, xc);
        }
        else
        {
            x.CopyTo(xc);
        }
        for (int t = 0; t < n; t++)
        {
            var xt = x.Slice(t * d, d);
            var xct = xc.Slice(t * d, d);
            var g = gates.Slice(t * 4 * d, 4 * d);
            for (int gate = 0; gate < 4; gate++)
            {
                Kernels.BlockDiagonalMatVec(w.GateWeights[gate].AsSpan(), heads, gate < 2 ? xct : xt, g.Slice(gate * d, d));
            }
            Kernels.Add(w.CellBias, g);
        }
        Workers.SLstmChunk(gates, w.Recurrent, heads, recurrent, c, normalizer, stabilizer, yState, w.OutNormScale, _eps, n, output);
    }

    /// <summary>_out = down(act(gate·x) ⊙ up·x) for n rows of _x.</summary>
    private void GatedMlp(Matrix gate, Matrix up, Matrix down, Matrix gateBias, Matrix upBias, Matrix downBias, Activation activation, int size, int n)
    {
        var g = _gate.AsSpan(0, n * size);
        var u = _up.AsSpan(0, n * size);
        var x = _x.AsSpan(0, n * Layout.HiddenSize);
        Linear(gate, gateBias, x, g, n);
        Linear(up, upBias, x, u, n);
        Kernels.GatedActivation(activation, g, u, g);
        Linear(down, downBias, g, _out.AsSpan(0, n * Layout.HiddenSize), n);
    }

    /// <summary>_out = down(act(gate·x) ⊙ up·x), BitNet's sub-norm before down, every product integer on int8-quantized inputs.</summary>
    private void QuantizedMlp(LayerWeights w, Activation activation, int size, int n)
    {
        var g = _gate.AsSpan(0, n * size);
        var u = _up.AsSpan(0, n * size);
        QuantizeInput(_x.AsSpan(0, n * Layout.HiddenSize), Layout.HiddenSize, n);
        QuantizedProduct(w.QuantGate, n, g);
        QuantizedProduct(w.QuantUp, n, u);
        AddBias(w.GateBias, g, n);
        AddBias(w.UpBias, u, n);
        Kernels.GatedActivation(activation, g, u, g);
        if (Layout.HasSubNorms)
        {
            SubNorm(g, w.FfnSubNorm, n);
        }
        Project(w.Down, w.QuantDown, w.DownBias, g, _out.AsSpan(0, n * Layout.HiddenSize), n);
    }

    /// <summary>
    /// h += Σ over each token's top-k experts (largest first) of p_e · Expert_e(x), p renormalized over the k when the family
    /// does. Expert by expert, the rows of the tokens that chose it are gathered and go through its matrices as one product
    /// each, so a prompt reads each chosen expert once per pass rather than once per token.
    /// </summary>
    private void Moe(MoeLayout e, LayerWeights w, int n)
    {
        int d = Layout.HiddenSize, size = e.IntermediateSize, k = e.TopK;
        var router = _router.AsSpan(0, n * e.Experts);
        var chosen = _experts.AsSpan(0, n * k);
        Workers.MatMul(w.Router, _x.AsSpan(0, n * d), n, router);
        for (int t = 0; t < n; t++)
        {
            var p = router.Slice(t * e.Experts, e.Experts);
            Kernels.Softmax(p);
            Kernels.TopK(p, chosen.Slice(t * k, k));
        }
        for (int expert = 0; expert < e.Experts; expert++)
        {
            int rows = 0;
            for (int slot = 0; slot < chosen.Length; slot++)
            {
                if (chosen[slot] == expert)
                {
                    _x.AsSpan(slot / k * d, d).CopyTo(_gathered.AsSpan(rows * d, d));
                    _slots[rows++] = slot;
                }
            }
            if (rows == 0)
            {
                continue;
            }
            var gathered = _gathered.AsSpan(0, rows * d);
            var gate = _gate.AsSpan(0, rows * size);
            var up = _up.AsSpan(0, rows * size);
            var output = _out.AsSpan(0, rows * d);
            if (w.Quantized)
            {
                QuantizeInput(gathered, d, rows);
                QuantizedProduct(w.QuantExpertGate[expert], rows, gate);
                QuantizedProduct(w.QuantExpertUp[expert], rows, up);
                Kernels.GatedActivation(e.Activation, gate, up, gate);
                QuantizeInput(gate, size, rows);
                QuantizedProduct(w.QuantExpertDown[expert], rows, output);
            }
            else
            {
                Workers.MatMul(w.ExpertGate[expert], gathered, rows, gate);
                Workers.MatMul(w.ExpertUp[expert], gathered, rows, up);
                Kernels.GatedActivation(e.Activation, gate, up, gate);
                Workers.MatMul(w.ExpertDown[expert], gate, rows, output);
            }
            for (int i = 0; i < rows; i++)
            {
                output.Slice(i * d, d).CopyTo(_expertOut.AsSpan(_slots[i] * d, d));
            }
        }
        for (int t = 0; t < n; t++)
        {
            var p = router.Slice(t * e.Experts, e.Experts);
            float total = 1f; // dividing by 1 is exact: raw softmax weights unless the family renormalizes
            if (e.Renormalize)
            {
                total = 0f;
                for (int j = 0; j < k; j++)
                {
                    total += p[chosen[(t * k) + j]];
                }
            }
            for (int j = 0; j < k; j++)
            {
                int slot = (t * k) + j;
                Kernels.AddScaled(_expertOut.AsSpan(slot * d, d), p[chosen[slot]] / total, _h.AsSpan(t * d, d));
            }
        }
    }

    /// <summary>y = W·x (+ bias) for n rows.</summary>
    private void Linear(Matrix w, Matrix bias, ReadOnlySpan<float> x, Span<float> y, int n)
    {
        Workers.MatMul(w, x, n, y);
        if (bias.Length != 0)
        {
            for (int t = 0; t < n; t++)
            {
                Kernels.Add(bias.Row(0), y.Slice(t * w.Rows, w.Rows));
            }
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
            bool onePlus = layout.Norm == NormKind.LayerNorm1p;
            MixerNorm = ckpt.Matrix(names.MixerNorm(i), 1, d);
            MixerNormScale = onePlus ? NormWeights.OnePlus(MixerNorm.Row(0)) : [];
            if (layer.Ffn is not NoFfnLayout)
            {
                FfnNorm = ckpt.Matrix(names.FfnNorm(i), 1, d);
                FfnNormScale = onePlus ? NormWeights.OnePlus(FfnNorm.Row(0)) : [];
            }
            Quantized = layout.Projections != ProjectionFormat.Dense;
            switch (layer.Mixer)
            {
                case AttentionLayout a:
                    if (Quantized)
                    {
                        QuantQ = new QuantizedWeight(layout, ckpt, names.Attention(i, "q"), a.QueryDim, d);
                        QuantK = new QuantizedWeight(layout, ckpt, names.Attention(i, "k"), a.KvDim, d);
                        QuantV = new QuantizedWeight(layout, ckpt, names.Attention(i, "v"), a.KvDim, d);
                        QuantO = new QuantizedWeight(layout, ckpt, names.Attention(i, "o"), d, a.QueryDim);
                    }
                    else
                    {
                        Q = ckpt.Weight(names.Attention(i, "q"), a.QueryDim, d);
                        K = ckpt.Weight(names.Attention(i, "k"), a.KvDim, d);
                        V = ckpt.Weight(names.Attention(i, "v"), a.KvDim, d);
                        O = ckpt.Weight(names.Attention(i, "o"), d, a.QueryDim);
                    }
                    if (layout.HasSubNorms)
                    {
                        AttentionSubNorm = ckpt.Matrix(names.AttentionSubNorm(i), 1, a.QueryDim);
                    }
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
                    if (Quantized)
                    {
                        QuantInProj = new QuantizedWeight(layout, ckpt, names.Mamba(i, "in_proj.weight"), 2 * m.DInner, d);
                        QuantOutProj = new QuantizedWeight(layout, ckpt, names.Mamba(i, "out_proj.weight"), d, m.DInner);
                    }
                    else
                    {
                        InProj = ckpt.Weight(names.Mamba(i, "in_proj.weight"), 2 * m.DInner, d);
                        OutProj = ckpt.Weight(names.Mamba(i, "out_proj.weight"), d, m.DInner);
                    }
                    Conv = ckpt.Matrix(names.Mamba(i, "conv1d.weight"), m.DInner, m.DConv);
                    XProj = ckpt.Weight(names.Mamba(i, "x_proj.weight"), m.DtRank + (2 * m.DState), m.DInner);
                    DtProj = ckpt.Weight(names.Mamba(i, "dt_proj.weight"), m.DInner, m.DtRank);
                    DtBias = ckpt.Matrix(names.Mamba(i, "dt_proj.bias"), 1, m.DInner);
                    D = ckpt.Matrix(names.Mamba(i, "D"), 1, m.DInner);
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
                case MLstmLargeLayout l:
                    Q = ckpt.Weight(names.MLstm(i, "q.weight"), l.QkDim, d);
                    K = ckpt.Weight(names.MLstm(i, "k.weight"), l.QkDim, d);
                    V = ckpt.Weight(names.MLstm(i, "v.weight"), l.VDim, d);
                    O = ckpt.Weight(names.MLstm(i, "ogate_preact.weight"), l.VDim, d);
                    IGate = ckpt.Weight(names.MLstm(i, "igate_preact.weight"), l.Heads, d);
                    IGateBias = ckpt.Matrix(names.MLstm(i, "igate_preact.bias"), 1, l.Heads);
                    FGate = ckpt.Weight(names.MLstm(i, "fgate_preact.weight"), l.Heads, d);
                    FGateBias = ckpt.Matrix(names.MLstm(i, "fgate_preact.bias"), 1, l.Heads);
                    OutNorm = ckpt.Matrix(names.MLstm(i, "multihead_norm.weight"), 1, l.VDim);
                    OutProj = ckpt.Weight(names.MLstm(i, "out_proj.weight"), d, l.VDim);
                    break;
                case MLstmNxaiLayout x:
                    {
                        int inner = x.InnerSize, blocks = inner / x.QkvBlockSize;
                        InProj = ckpt.Weight(names.MLstm(i, "proj_up.weight"), 2 * inner, d);
                        Q = ckpt.Stacked(names.MLstm(i, "q_proj.weight"), blocks, x.QkvBlockSize, x.QkvBlockSize);
                        K = ckpt.Stacked(names.MLstm(i, "k_proj.weight"), blocks, x.QkvBlockSize, x.QkvBlockSize);
                        V = ckpt.Stacked(names.MLstm(i, "v_proj.weight"), blocks, x.QkvBlockSize, x.QkvBlockSize);
                        Conv = ckpt.Matrix(names.MLstm(i, "conv1d.conv.weight"), inner, x.ConvKernel);
                        ConvBias = ckpt.Matrix(names.MLstm(i, "conv1d.conv.bias"), 1, inner);
                        IGate = ckpt.Weight(names.MLstm(i, "mlstm_cell.igate.weight"), x.Heads, 3 * inner);
                        IGateBias = ckpt.Matrix(names.MLstm(i, "mlstm_cell.igate.bias"), 1, x.Heads);
                        FGate = ckpt.Weight(names.MLstm(i, "mlstm_cell.fgate.weight"), x.Heads, 3 * inner);
                        FGateBias = ckpt.Matrix(names.MLstm(i, "mlstm_cell.fgate.bias"), 1, x.Heads);
                        OutNormScale = NormWeights.OnePlus(ckpt.Matrix(names.MLstm(i, "mlstm_cell.outnorm.weight"), 1, inner).Row(0));
                        Skip = ckpt.Matrix(names.MLstm(i, "learnable_skip"), 1, inner);
                        OutProj = ckpt.Weight(names.MLstm(i, "proj_down.weight"), d, inner);
                        break;
                    }
                case SLstmLayout s:
                    {
                        int dh = d / s.Heads;
                        if (s.ConvKernel > 0)
                        {
                            Conv = ckpt.Matrix(names.SLstm(i, "conv1d.conv.weight"), d, s.ConvKernel);
                            ConvBias = ckpt.Matrix(names.SLstm(i, "conv1d.conv.bias"), 1, d);
                        }
                        GateWeights = [.. LayoutTensors.SLstmGateTensors.Select(g => ckpt.Stacked(names.SLstm(i, g), s.Heads, dh, dh))];
                        string recurrent = names.SLstm(i, "slstm_cell._recurrent_kernel_");
                        Recurrent = SLstmWeights.Recurrent(
                            (s.Backend == SLstmBackend.Cuda ? ckpt.Stacked(recurrent, s.Heads, dh, 4 * dh) : ckpt.Stacked(recurrent, s.Heads, 4 * dh, dh)).AsSpan(),
                            s.Heads, dh, s.Backend);
                        CellBias = SLstmWeights.Bias(ckpt.Matrix(names.SLstm(i, "slstm_cell._bias_"), 1, 4 * d).Row(0), s.Heads, dh, s.Backend);
                        OutNormScale = NormWeights.OnePlus(ckpt.Matrix(names.SLstm(i, "group_norm.weight"), 1, d).Row(0));
                        break;
                    }
            }
            switch (layer.Ffn)
            {
                case DenseFfnLayout { FusedGateUp: true } f:
                    {
                        var gateUp = ckpt.Weight(names.Mlp(i, "gate_up"), 2 * f.IntermediateSize, d);
                        Gate = gateUp.Slice(0, f.IntermediateSize);
                        Up = gateUp.Slice(f.IntermediateSize, f.IntermediateSize);
                        Down = ckpt.Weight(names.Mlp(i, "down"), d, f.IntermediateSize);
                        break;
                    }
                case DenseFfnLayout f:
                    if (Quantized)
                    {
                        QuantGate = new QuantizedWeight(layout, ckpt, names.Mlp(i, "gate"), f.IntermediateSize, d);
                        QuantUp = new QuantizedWeight(layout, ckpt, names.Mlp(i, "up"), f.IntermediateSize, d);
                        QuantDown = new QuantizedWeight(layout, ckpt, names.Mlp(i, "down"), d, f.IntermediateSize);
                    }
                    else
                    {
                        Gate = ckpt.Weight(names.Mlp(i, "gate"), f.IntermediateSize, d);
                        Up = ckpt.Weight(names.Mlp(i, "up"), f.IntermediateSize, d);
                        Down = ckpt.Weight(names.Mlp(i, "down"), d, f.IntermediateSize);
                    }
                    if (layout.HasSubNorms)
                    {
                        FfnSubNorm = ckpt.Matrix(names.FfnSubNorm(i), 1, f.IntermediateSize);
                    }
                    if (f.Bias)
                    {
                        GateBias = ckpt.Matrix(names.Mlp(i, "gate", "bias"), 1, f.IntermediateSize);
                        UpBias = ckpt.Matrix(names.Mlp(i, "up", "bias"), 1, f.IntermediateSize);
                        DownBias = ckpt.Matrix(names.Mlp(i, "down", "bias"), 1, d);
                    }
                    break;
                case MoeLayout e when Quantized:
                    Router = ckpt.Weight(names.Router(i), e.Experts, d);
                    QuantExpertGate = new QuantizedWeight[e.Experts];
                    QuantExpertUp = new QuantizedWeight[e.Experts];
                    QuantExpertDown = new QuantizedWeight[e.Experts];
                    for (int x = 0; x < e.Experts; x++)
                    {
                        QuantExpertGate[x] = new QuantizedWeight(layout, ckpt, names.Expert(i, x, "gate"), e.IntermediateSize, d);
                        QuantExpertUp[x] = new QuantizedWeight(layout, ckpt, names.Expert(i, x, "up"), e.IntermediateSize, d);
                        QuantExpertDown[x] = new QuantizedWeight(layout, ckpt, names.Expert(i, x, "down"), d, e.IntermediateSize);
                    }
                    break;
                case MoeLayout e:
                    Router = ckpt.Weight(names.Router(i), e.Experts, d);
                    ExpertGate = new Matrix[e.Experts];
                    ExpertUp = new Matrix[e.Experts];
                    ExpertDown = new Matrix[e.Experts];
                    for (int x = 0; x < e.Experts; x++)
                    {
                        ExpertGate[x] = ckpt.Weight(names.Expert(i, x, "gate"), e.IntermediateSize, d);
                        ExpertUp[x] = ckpt.Weight(names.Expert(i, x, "up"), e.IntermediateSize, d);
                        ExpertDown[x] = ckpt.Weight(names.Expert(i, x, "down"), d, e.IntermediateSize);
                    }
                    break;
            }
        }

        public LayerLayout Layer { get; }
        public long StateOffset { get; }
        public bool Quantized { get; }
        public QuantizedWeight QuantQ { get; }
        public QuantizedWeight QuantK { get; }
        public QuantizedWeight QuantV { get; }
        public QuantizedWeight QuantO { get; }
        public QuantizedWeight QuantGate { get; }
        public QuantizedWeight QuantUp { get; }
        public QuantizedWeight QuantDown { get; }
        public QuantizedWeight QuantInProj { get; }
        public QuantizedWeight QuantOutProj { get; }
        public QuantizedWeight[] QuantExpertGate { get; } = [];
        public QuantizedWeight[] QuantExpertUp { get; } = [];
        public QuantizedWeight[] QuantExpertDown { get; } = [];
        public Matrix AttentionSubNorm { get; }
        public Matrix FfnSubNorm { get; }
        public Matrix MixerNorm { get; }
        public float[] MixerNormScale { get; } = [];
        public Matrix FfnNorm { get; }
        public float[] FfnNormScale { get; } = [];
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
        public Matrix IGate { get; }
        public Matrix IGateBias { get; }
        public Matrix FGate { get; }
        public Matrix FGateBias { get; }
        public Matrix OutNorm { get; }
        public float[] OutNormScale { get; } = [];
        public Matrix Skip { get; }
        public Matrix[] GateWeights { get; } = [];
        public float[] Recurrent { get; } = [];
        public float[] CellBias { get; } = [];
        public Matrix Router { get; }
        public Matrix[] ExpertGate { get; } = [];
        public Matrix[] ExpertUp { get; } = [];
        public Matrix[] ExpertDown { get; } = [];
    }

    /// <summary>A projection in the layout's quantized format: the ternary or the q8_0 matrix, bound by name.</summary>
    private readonly struct QuantizedWeight
    {
        public QuantizedWeight(ModelLayout layout, Checkpoint checkpoint, string name, int rows, int cols)
        {
            Rows = rows;
            Cols = cols;
            if (layout.Projections == ProjectionFormat.Ternary)
            {
                Ternary = checkpoint.Ternary(name, rows, cols, layout.TernaryScale);
            }
            else
            {
                Q8 = checkpoint.Q8(name, rows, cols);
            }
        }

        public TernaryMatrix Ternary { get; }

        public Q8Matrix Q8 { get; }

        public int Rows { get; }

        public int Cols { get; }
    }
}
