using System.Collections.Generic;
using System.Globalization;
using EdgeJamba.Layout;

namespace EdgeJamba.Spec;

/// <summary>The outcome of reading a spec: a layout when there are no errors, and every problem found.</summary>
sealed partial record SpecResult(ModelLayout? Layout, EquatableArray<SpecProblem> Problems);

/// <summary>
/// Reads and validates a model-layout spec (<c>ModelSpecs/*.model.json</c>; the format is documented
/// in DESIGN.md) into a <see cref="ModelLayout"/>. Reports every problem it can find in one pass.
/// Shared by the generator (diagnostics at build time) and the runtime (imported specs).
/// </summary>
static partial class SpecReader
{
    /// <summary>Largest single dimension accepted (guards against absurd sizes before any product).</summary>
    public const int MaxDimension = 1 << 24;

    /// <summary>Largest fixed state (KV cache + recurrent state) a spec may ask for, in bytes.</summary>
    public const long MaxStateBytes = 64L << 30;

    private static readonly string[] s_families = { "llama", "mixtral", "mamba", "jamba", "xlstm", "xlstm-nxai", "bitnet", "hybrid" };
    private static readonly string[] s_dtypes = { "f32", "f16", "bf16", "q8_0", "ternary" };
    private static readonly string[] s_projections = { "dense", "q8_0", "ternary" };
    private static readonly string[] s_lmHeads = { "dense", "q8_0" };
    private static readonly string[] s_ternaryScales = { "multiply", "divide" };
    private static readonly string[] s_tokenizers = { "sentencepiece", "bpe", "bytes", "none" };
    private static readonly string[] s_mixers = { "attention", "mamba", "mlstm", "slstm" };
    private static readonly string[] s_ffns = { "dense", "moe", "none" };
    private static readonly string[] s_activations = { "silu", "gelu", "relu2" };
    private static readonly string[] s_ropeTypes = { "default", "linear", "llama3", "yarn" };
    private static readonly string[] s_norms = { "rmsnorm", "layernorm1p" };
    private static readonly string[] s_mlstmVariants = { "large", "nxai" };
    private static readonly string[] s_slstmBackends = { "cuda", "vanilla" };

    public static SpecResult Read(string text)
    {
        var problems = new List<SpecProblem>();
        JsonNode root;
        try
        {
            root = JsonReader.Parse(text);
        }
        catch (JsonSyntaxException e)
        {
            problems.Add(new SpecProblem(SpecProblemIds.Syntax, "malformed JSON: " + e.Message, e.Offset, 1));
            return new SpecResult(null, new EquatableArray<SpecProblem>(problems.ToArray()));
        }
        if (root.Kind != JsonKind.Object)
        {
            problems.Add(new SpecProblem(SpecProblemIds.WrongType, "a model spec must be a JSON object, not " + root.KindName, root.Start, root.Length));
            return new SpecResult(null, new EquatableArray<SpecProblem>(problems.ToArray()));
        }

        var model = new SpecObject(root, "the model spec", problems);
        var layout = ReadModel(model, problems);
        model.Finish();
        bool failed = problems.Exists(p => !p.IsWarning);
        return new SpecResult(failed ? null : layout, new EquatableArray<SpecProblem>(problems.ToArray()));
    }

    private static ModelLayout? ReadModel(SpecObject model, List<SpecProblem> problems)
    {
        string? name = model.String("name", required: true);
        if (name is not null && !IsIdentifier(name))
        {
            model.Report(SpecProblemIds.BadName, "'name' must be a C# identifier (letters, digits, '_', not starting with a digit, not a keyword), not '" + name + "'", model.Get("name")!);
            name = null;
        }
        int? family = model.Choice("family", required: true, s_families);
        int? vocab = model.Int("vocab_size", required: true, max: MaxDimension);
        int? hidden = model.Int("hidden_size", required: true, max: MaxDimension);
        int? maxContext = model.Int("max_context", required: true, max: MaxDimension);
        double? eps = model.Number("norm_eps", required: true, exclusiveMin: 0, max: 1);
        bool tie = model.Bool("tie_embeddings", required: false) ?? false;
        int dtype = model.Choice("weight_dtype", required: false, s_dtypes) ?? 0;
        if (dtype >= 3)
        {
            model.Report(SpecProblemIds.Unsupported, "weight_dtype '" + s_dtypes[dtype] + "' is not supported by this version yet", model.Get("weight_dtype")!);
        }
        int tokenizer = model.Choice("tokenizer", required: false, s_tokenizers) ?? 3;
        int? norm = model.Choice("norm", required: false, s_norms) ?? (model.Get("norm") is null ? 0 : null);
        if (norm is not null && family is not null && !FamilyAllows((CheckpointFamily)family.Value, (NormKind)norm.Value))
        {
            model.Report(SpecProblemIds.Inconsistent, "the '" + s_families[family.Value] + "' family normalizes with " +
                (norm.Value == 0 ? "'layernorm1p'" : "'rmsnorm'") + ", not '" + s_norms[norm.Value] + "'", model.Get("norm") ?? model.Get("family")!);
            norm = null;
        }
        double softCap = model.Number("logit_soft_cap", required: false, exclusiveMin: 0) ?? 0;
        int? projections = model.Choice("projections", required: false, s_projections) ?? (model.Get("projections") is null ? 0 : null);
        int ternaryScale = model.Choice("ternary_scale", required: false, s_ternaryScales) ?? 0;
        int? lmHead = model.Choice("lm_head", required: false, s_lmHeads) ?? (model.Get("lm_head") is null ? 0 : null);
        if (family == (int)CheckpointFamily.Bitnet && projections is not null && projections != (int)ProjectionFormat.Ternary)
        {
            model.Report(SpecProblemIds.Inconsistent, "the 'bitnet' family multiplies with ternary weights; give \"projections\": \"ternary\"",
                model.Get("projections") ?? model.Get("family")!);
            projections = null;
        }
        if (projections is not null && projections != (int)ProjectionFormat.Ternary && model.Get("ternary_scale") is { } scaleNode)
        {
            model.Report(SpecProblemIds.Inconsistent, "'ternary_scale' only applies with \"projections\": \"ternary\"", scaleNode);
            projections = null;
        }

        var layersNode = model.Require("layers");
        var layers = new List<LayerLayout>();
        bool layersOk = layersNode is not null;
        if (layersNode is not null)
        {
            if (layersNode.Kind != JsonKind.Array)
            {
                model.Report(SpecProblemIds.WrongType, "'layers' must be an array, not " + layersNode.KindName, layersNode);
                layersOk = false;
            }
            else if (layersNode.Items.Count == 0)
            {
                model.Report(SpecProblemIds.OutOfRange, "'layers' is empty; a model needs at least one layer", layersNode);
                layersOk = false;
            }
            else
            {
                foreach (var item in layersNode.Items)
                {
                    layersOk &= ReadLayerGroup(item, family, hidden, problems, layers);
                }
            }
        }

        if (projections is not null and not (int)ProjectionFormat.Dense && layersOk)
        {
            foreach (var layer in layers)
            {
                if (layer.Mixer is not (AttentionLayout or MambaLayout) || layer.Ffn is not (DenseFfnLayout { FusedGateUp: false } or MoeLayout or NoFfnLayout))
                {
                    model.Report(SpecProblemIds.Unsupported, "'" + s_projections[projections.Value] + "' projections are supported on attention and Mamba layers with a dense (unfused), MoE or no feed-forward, not on layer " +
                        layer.Index.ToString(CultureInfo.InvariantCulture) + " (" + KindName(layer.Mixer) + " + " + KindName(layer.Ffn) + ") by this version",
                        model.Get("projections")!);
                    projections = null;
                    break;
                }
            }
        }

        if (name is null || family is null || vocab is null || hidden is null || maxContext is null || eps is null || norm is null || projections is null || lmHead is null || !layersOk)
        {
            return null;
        }

        var layout = new ModelLayout(name, (CheckpointFamily)family.Value, vocab.Value, hidden.Value, maxContext.Value, eps.Value, tie,
            (WeightFormat)dtype, (TokenizerKind)tokenizer, new EquatableArray<LayerLayout>(layers.ToArray()), (NormKind)norm.Value, softCap,
            (ProjectionFormat)projections.Value, (TernaryScale)ternaryScale, (ProjectionFormat)lmHead.Value);
        CheckSizes(layout, model, problems);
        return layout;
    }

    private static bool ReadLayerGroup(JsonNode item, int? family, int? hidden, List<SpecProblem> problems, List<LayerLayout> layers)
    {
        if (item.Kind != JsonKind.Object)
        {
            problems.Add(new SpecProblem(SpecProblemIds.WrongType, "each entry of 'layers' must be an object, not " + item.KindName, item.Start, item.Length));
            return false;
        }
        var layer = new SpecObject(item, "layer entry " + layers.Count.ToString(CultureInfo.InvariantCulture), problems);
        int repeat = layer.Int("repeat", required: false, min: 1, max: 4096) ?? 1;
        var mixerObj = layer.Object("mixer", required: true);
        var ffnObj = layer.Object("ffn", required: true);
        MixerLayout? mixer = mixerObj is null ? null : ReadMixer(mixerObj, hidden);
        FfnLayout? ffn = ffnObj is null ? null : ReadFfn(ffnObj);
        layer.Finish();
        if (mixer is null || ffn is null)
        {
            return false;
        }
        if (family is not null && !FamilyAllows((CheckpointFamily)family.Value, mixer, ffn))
        {
            layer.Report(SpecProblemIds.Inconsistent, "a " + KindName(mixer) + " mixer with a " + KindName(ffn) + " feed-forward is not a layer of the '" +
                s_families[family.Value] + "' family (its checkpoints have no tensors for it)", item);
            return false;
        }
        for (int i = 0; i < repeat; i++)
        {
            layers.Add(new LayerLayout(layers.Count, mixer, ffn));
        }
        return true;
    }

    private static MixerLayout? ReadMixer(SpecObject mixer, int? hidden)
    {
        MixerLayout? result = null;
        int? kind = mixer.Choice("kind", required: true, s_mixers);
        switch (kind)
        {
            case 0:
                {
                    int? heads = mixer.Int("heads", required: true, max: MaxDimension);
                    int? kvHeads = mixer.Int("kv_heads", required: false, max: MaxDimension) ?? heads;
                    int? headDim = mixer.Int("head_dim", required: false, max: MaxDimension);
                    if (headDim is null && mixer.Get("head_dim") is null && heads is not null && hidden is not null)
                    {
                        headDim = hidden.Value / heads.Value;
                        if (headDim * heads != hidden)
                        {
                            mixer.Report(SpecProblemIds.Inconsistent, "hidden_size " + hidden.Value.ToString(CultureInfo.InvariantCulture) +
                                " is not a multiple of heads; give 'head_dim' explicitly", mixer.Node);
                            headDim = null;
                        }
                    }
                    bool bias = mixer.Bool("bias", required: false) ?? false;
                    var ropeNode = mixer.Require("rope");
                    RopeLayout? rope = null;
                    bool ropeOk = ropeNode is not null;
                    if (ropeNode is not null && ropeNode.Kind != JsonKind.Null)
                    {
                        var ropeObj = mixer.Object("rope", required: true);
                        rope = ropeObj is null ? null : ReadRope(ropeObj);
                        ropeOk = rope is not null;
                        if (rope is not null && headDim is not null && headDim.Value % 2 != 0)
                        {
                            mixer.Report(SpecProblemIds.Inconsistent, "rotary embeddings need an even head_dim, not " + headDim.Value.ToString(CultureInfo.InvariantCulture), ropeNode);
                            ropeOk = false;
                        }
                    }
                    if (heads is not null && kvHeads is not null && heads.Value % kvHeads.Value != 0)
                    {
                        mixer.Report(SpecProblemIds.HeadsNotDivisible, "heads (" + heads.Value.ToString(CultureInfo.InvariantCulture) +
                            ") must be a multiple of kv_heads (" + kvHeads.Value.ToString(CultureInfo.InvariantCulture) + ")", mixer.Get("kv_heads") ?? mixer.Node);
                        kvHeads = null;
                    }
                    if (heads is not null && kvHeads is not null && headDim is not null && ropeOk)
                    {
                        result = new AttentionLayout(heads.Value, kvHeads.Value, headDim.Value, rope, bias);
                    }
                    break;
                }
            case 1:
                {
                    int? dInner = mixer.Int("d_inner", required: true, max: MaxDimension);
                    int? dState = mixer.Int("d_state", required: true, max: 4096);
                    int? dConv = mixer.Int("d_conv", required: true, max: 64);
                    int? dtRank = mixer.Int("dt_rank", required: true, max: MaxDimension);
                    bool norms = mixer.Bool("dt_bc_norms", required: false) ?? false;
                    bool convBias = mixer.Bool("conv_bias", required: false) ?? true;
                    bool projBias = mixer.Bool("proj_bias", required: false) ?? false;
                    if (dInner is not null && dState is not null && dConv is not null && dtRank is not null)
                    {
                        result = new MambaLayout(dInner.Value, dState.Value, dConv.Value, dtRank.Value, norms, convBias, projBias);
                    }
                    break;
                }
            case 2:
                {
                    int? variant = mixer.Choice("variant", required: true, s_mlstmVariants);
                    if (variant is null)
                    {
                        return null; // unknown or missing variant: already reported; its other fields cannot be judged
                    }
                    result = variant == 0 ? ReadMLstmLarge(mixer) : ReadMLstmNxai(mixer);
                    break;
                }
            case 3:
                {
                    int? heads = mixer.Int("heads", required: true, max: MaxDimension);
                    int? convKernel = mixer.Int("conv_kernel", required: true, min: 0, max: 64);
                    int backend = mixer.Choice("backend", required: false, s_slstmBackends) ?? 0;
                    if (heads is not null && hidden is not null && hidden.Value % heads.Value != 0)
                    {
                        mixer.Report(SpecProblemIds.Inconsistent, "an sLSTM splits hidden_size " + hidden.Value.ToString(CultureInfo.InvariantCulture) +
                            " into heads; it is not a multiple of heads (" + heads.Value.ToString(CultureInfo.InvariantCulture) + ")", mixer.Get("heads")!);
                        heads = null;
                    }
                    if (heads is not null && convKernel is not null)
                    {
                        result = new SLstmLayout(heads.Value, convKernel.Value, (SLstmBackend)backend);
                    }
                    break;
                }
            default:
                return null; // unknown or missing kind: already reported; its other fields cannot be judged
        }
        mixer.Finish();
        return result;
    }

    /// <summary>The HF xLSTM ("xLSTM Large") mLSTM: heads, qk_dim and v_dim (both multiples of heads), gate_soft_cap, eps.</summary>
    private static MLstmLargeLayout? ReadMLstmLarge(SpecObject mixer)
    {
        int? heads = mixer.Int("heads", required: true, max: MaxDimension);
        int? qkDim = mixer.Int("qk_dim", required: true, max: MaxDimension);
        int? vDim = mixer.Int("v_dim", required: true, max: MaxDimension);
        double? cap = mixer.Number("gate_soft_cap", required: false, exclusiveMin: 0) ?? 15.0;
        double? eps = mixer.Number("eps", required: false, exclusiveMin: 0, max: 1) ?? 1e-6;
        qkDim = MultipleOfHeads(mixer, "qk_dim", qkDim, heads);
        vDim = MultipleOfHeads(mixer, "v_dim", vDim, heads);
        return heads is null || qkDim is null || vDim is null ? null : new MLstmLargeLayout(heads.Value, qkDim.Value, vDim.Value, cap.Value, eps.Value);
    }

    /// <summary>The NX-AI mLSTM: heads, inner_size (a multiple of heads and of qkv_blocksize), conv_kernel, qkv_blocksize, eps.</summary>
    private static MLstmNxaiLayout? ReadMLstmNxai(SpecObject mixer)
    {
        int? heads = mixer.Int("heads", required: true, max: MaxDimension);
        int? inner = mixer.Int("inner_size", required: true, max: MaxDimension);
        int? convKernel = mixer.Int("conv_kernel", required: true, max: 64);
        int? blockSize = mixer.Int("qkv_blocksize", required: true, max: MaxDimension);
        double? eps = mixer.Number("eps", required: false, exclusiveMin: 0, max: 1) ?? 1e-6;
        inner = MultipleOfHeads(mixer, "inner_size", inner, heads);
        if (inner is not null && blockSize is not null && inner.Value % blockSize.Value != 0)
        {
            mixer.Report(SpecProblemIds.Inconsistent, "inner_size (" + inner.Value.ToString(CultureInfo.InvariantCulture) + ") must be a multiple of qkv_blocksize (" +
                blockSize.Value.ToString(CultureInfo.InvariantCulture) + ")", mixer.Get("qkv_blocksize")!);
            inner = null;
        }
        return heads is null || inner is null || convKernel is null || blockSize is null
            ? null
            : new MLstmNxaiLayout(heads.Value, inner.Value, convKernel.Value, blockSize.Value, eps.Value);
    }

    /// <summary><paramref name="value"/> when it splits evenly over <paramref name="heads"/>; else reports EJ0011 and returns null.</summary>
    private static int? MultipleOfHeads(SpecObject mixer, string field, int? value, int? heads)
    {
        if (value is not null && heads is not null && value.Value % heads.Value != 0)
        {
            mixer.Report(SpecProblemIds.Inconsistent, "'" + field + "' (" + value.Value.ToString(CultureInfo.InvariantCulture) + ") must be a multiple of heads (" +
                heads.Value.ToString(CultureInfo.InvariantCulture) + ")", mixer.Get(field)!);
            return null;
        }
        return value;
    }

    private static RopeLayout? ReadRope(SpecObject rope)
    {
        int type = rope.Choice("type", required: false, s_ropeTypes) ?? 0;
        double? theta = rope.Number("theta", required: true, exclusiveMin: 0);
        bool needsFactor = type != 0;
        double? factor = rope.Number("factor", required: needsFactor, exclusiveMin: 0);
        bool llama3 = type == 2;
        double? low = rope.Number("low_freq_factor", required: llama3, exclusiveMin: 0);
        double? high = rope.Number("high_freq_factor", required: llama3, exclusiveMin: 0);
        int? original = rope.Int("original_max_position_embeddings", required: llama3, max: MaxDimension);
        double? betaFast = rope.Number("beta_fast", required: false, exclusiveMin: 0);
        double? betaSlow = rope.Number("beta_slow", required: false, exclusiveMin: 0);
        double? attentionFactor = rope.Number("attention_factor", required: false, exclusiveMin: 0);
        rope.Finish();
        if (llama3 && low is not null && high is not null && !(high > low))
        {
            rope.Report(SpecProblemIds.Inconsistent, "high_freq_factor must be greater than low_freq_factor", rope.Get("high_freq_factor")!);
            return null;
        }
        if (theta is null || (needsFactor && factor is null) || (llama3 && (low is null || high is null || original is null)))
        {
            return null;
        }
        return new RopeLayout((RopeType)type, theta.Value, factor ?? 1.0, low ?? 0, high ?? 0, original ?? 0, betaFast ?? 32, betaSlow ?? 1, attentionFactor ?? 0);
    }

    private static FfnLayout? ReadFfn(SpecObject ffn)
    {
        FfnLayout? result = null;
        int? kind = ffn.Choice("kind", required: true, s_ffns);
        switch (kind)
        {
            case 0:
                {
                    int? size = ffn.Int("intermediate_size", required: true, max: MaxDimension);
                    int activation = ffn.Choice("activation", required: false, s_activations) ?? 0;
                    bool bias = ffn.Bool("bias", required: false) ?? false;
                    bool fused = ffn.Bool("fused_gate_up", required: false) ?? false;
                    if (fused && bias)
                    {
                        ffn.Report(SpecProblemIds.Unsupported, "biases on a fused gate_up projection are not supported by this version yet", ffn.Get("bias")!);
                        size = null;
                    }
                    if (size is not null)
                    {
                        result = new DenseFfnLayout(size.Value, (Activation)activation, bias, fused);
                    }
                    break;
                }
            case 1:
                {
                    int? experts = ffn.Int("experts", required: true, max: 4096);
                    int? topK = ffn.Int("top_k", required: true, max: 4096);
                    bool? renormalize = ffn.Bool("renormalize", required: true);
                    int? size = ffn.Int("intermediate_size", required: true, max: MaxDimension);
                    int activation = ffn.Choice("activation", required: false, s_activations) ?? 0;
                    if (experts is not null && topK is not null && topK > experts)
                    {
                        ffn.Report(SpecProblemIds.Inconsistent, "top_k (" + topK.Value.ToString(CultureInfo.InvariantCulture) +
                            ") cannot exceed experts (" + experts.Value.ToString(CultureInfo.InvariantCulture) + ")", ffn.Get("top_k")!);
                        topK = null;
                    }
                    if (experts is not null && topK is not null && renormalize is not null && size is not null)
                    {
                        result = new MoeLayout(experts.Value, topK.Value, renormalize.Value, size.Value, (Activation)activation);
                    }
                    break;
                }
            case 2:
                result = new NoFfnLayout();
                break;
            default:
                return null; // unknown or missing kind: already reported; its other fields cannot be judged
        }
        ffn.Finish();
        return result;
    }

    private static bool FamilyAllows(CheckpointFamily family, MixerLayout mixer, FfnLayout ffn) => family switch
    {
        CheckpointFamily.Llama or CheckpointFamily.Bitnet => mixer is AttentionLayout && ffn is DenseFfnLayout { FusedGateUp: false },
        CheckpointFamily.Mixtral => mixer is AttentionLayout && ffn is MoeLayout,
        CheckpointFamily.Mamba => mixer is MambaLayout && ffn is NoFfnLayout,
        CheckpointFamily.Jamba => mixer is AttentionLayout or MambaLayout && ffn is DenseFfnLayout { FusedGateUp: false } or MoeLayout,
        CheckpointFamily.Xlstm => mixer is MLstmLargeLayout && ffn is DenseFfnLayout { FusedGateUp: false },
        CheckpointFamily.XlstmNxai => (mixer is MLstmNxaiLayout && ffn is NoFfnLayout) || (mixer is SLstmLayout && ffn is NoFfnLayout or DenseFfnLayout { FusedGateUp: true }),
        _ => true, // hybrid: every mixer with every feed-forward
    };

    /// <summary>The block and final norms each family's checkpoints were trained with (hybrid: either).</summary>
    private static bool FamilyAllows(CheckpointFamily family, NormKind norm) => family switch
    {
        CheckpointFamily.XlstmNxai => norm == NormKind.LayerNorm1p,
        CheckpointFamily.Hybrid => true,
        _ => norm == NormKind.RmsNorm,
    };

    private static string KindName(MixerLayout mixer) => mixer switch
    {
        AttentionLayout => "attention",
        MambaLayout => "mamba",
        MLstmLargeLayout => "'large' mlstm",
        MLstmNxaiLayout => "'nxai' mlstm",
        _ => "slstm",
    };

    private static string KindName(FfnLayout ffn) => ffn switch
    {
        DenseFfnLayout { FusedGateUp: true } => "dense (fused gate_up)",
        DenseFfnLayout => "dense",
        MoeLayout => "moe",
        _ => "'none'",
    };

    /// <summary>Every weight matrix must be addressable with 32-bit element counts; the fixed state must fit in memory.</summary>
    private static void CheckSizes(ModelLayout layout, SpecObject model, List<SpecProblem> problems)
    {
        long d = layout.HiddenSize;
        bool tooLarge = false;
        void Check(long elements, string what, JsonNode at)
        {
            if (elements > int.MaxValue)
            {
                tooLarge = true;
                problems.Add(new SpecProblem(SpecProblemIds.TooLarge, what + " would have " + elements.ToString(CultureInfo.InvariantCulture) +
                    " elements, more than a 32-bit count allows", at.Start, at.Length));
            }
        }
        var root = model.Node;
        Check(layout.VocabSize * d, "the embedding matrix (vocab_size x hidden_size)", model.Get("vocab_size") ?? root);
        var layersNode = model.Get("layers") ?? root;
        foreach (var layer in layout.Layers)
        {
            string where = "layer " + layer.Index.ToString(CultureInfo.InvariantCulture);
            switch (layer.Mixer)
            {
                case AttentionLayout a:
                    Check((long)a.Heads * a.HeadDim * d, where + "'s q_proj", layersNode);
                    Check((long)layout.MaxContext * a.KvHeads * a.HeadDim, where + "'s KV cache (max_context x kv_heads x head_dim)", model.Get("max_context") ?? root);
                    break;
                case MambaLayout m:
                    Check(2L * m.DInner * d, where + "'s in_proj", layersNode);
                    Check((long)m.DInner * m.DState, where + "'s SSM state", layersNode);
                    Check((long)m.DInner * (m.DtRank + (2L * m.DState)), where + "'s x_proj", layersNode);
                    break;
                case MLstmLargeLayout l:
                    Check(System.Math.Max(l.QkDim, l.VDim) * d, where + "'s q/k/v projections", layersNode);
                    Check(MemoryPlan.MLstmElements(l), where + "'s mLSTM memory", layersNode);
                    break;
                case MLstmNxaiLayout x:
                    Check(2L * x.InnerSize * d, where + "'s proj_up", layersNode);
                    Check(3L * x.InnerSize * x.Heads, where + "'s gates", layersNode);
                    Check(MemoryPlan.MLstmElements(x), where + "'s mLSTM memory", layersNode);
                    break;
            }
            switch (layer.Ffn)
            {
                case DenseFfnLayout f:
                    Check(f.IntermediateSize * d, where + "'s feed-forward", layersNode);
                    break;
                case MoeLayout moe:
                    Check(moe.IntermediateSize * d, where + "'s expert", layersNode);
                    break;
            }
        }
        long stateBytes = MemoryPlan.StateBytes(layout);
        if (!tooLarge && MemoryPlan.StateElements(layout) > int.MaxValue && stateBytes <= MaxStateBytes)
        {
            var at = model.Get("max_context") ?? root;
            problems.Add(new SpecProblem(SpecProblemIds.TooLarge, "the state arena (KV cache at max_context plus recurrent state) would have " +
                MemoryPlan.StateElements(layout).ToString(CultureInfo.InvariantCulture) + " elements, more than a 32-bit count allows; lower max_context",
                at.Start, at.Length));
        }
        if (!tooLarge && stateBytes > MaxStateBytes)
        {
            var at = model.Get("max_context") ?? root;
            problems.Add(new SpecProblem(SpecProblemIds.TooLarge, "the fixed state (KV cache at max_context plus recurrent state) would need " +
                (stateBytes >> 20).ToString(CultureInfo.InvariantCulture) + " MiB, more than the " + (MaxStateBytes >> 30).ToString(CultureInfo.InvariantCulture) +
                " GiB limit; lower max_context", at.Start, at.Length));
        }
    }

    private static readonly string[] s_keywords =
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue", "decimal",
        "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally", "fixed", "float", "for",
        "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock", "long", "namespace", "new", "null", "object",
        "operator", "out", "override", "params", "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed", "short",
        "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked",
        "unsafe", "ushort", "using", "virtual", "void", "volatile", "while", "EdgeJamba",
    };

    /// <summary>Whether <paramref name="name"/> can name a model: a C# identifier of at most 64 ASCII letters, digits and '_', not a keyword.</summary>
    public static bool IsIdentifier(string name)
    {
        if (System.Array.IndexOf(s_keywords, name) >= 0)
        {
            return false;
        }
        if (name.Length == 0 || name.Length > 64 || !(char.IsLetter(name[0]) || name[0] == '_'))
        {
            return false;
        }
        foreach (char c in name)
        {
            if (!(c == '_' || (c < 128 && char.IsLetterOrDigit(c))))
            {
                return false;
            }
        }
        return true;
    }
}
