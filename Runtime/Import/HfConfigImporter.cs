using System.Globalization;
using System.Text.Json;
using EdgeJamba.Layout;
using EdgeJamba.Runtime.Tokenization;

namespace EdgeJamba.Runtime.Import;

/// <summary>
/// Turns a Hugging Face <c>config.json</c> into a validated <see cref="ModelLayout"/>, with the field
/// names and defaults of each family's configuration class (see ARCHITECTURES.md). Every problem is an
/// <see cref="EdgeJambaException"/> naming the file and the field.
/// </summary>
public static class HfConfigImporter
{
    /// <summary>The <c>model_type</c> values this version can import.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ["llama", "mistral", "mixtral", "mamba", "jamba", "xlstm", "xlstm-nxai", "bitnet"];

    /// <summary>Context used for a model whose config gives no limit (recurrent-only models have no KV cache).</summary>
    public const int DefaultRecurrentContext = 65536;

    /// <summary>Largest context chosen by default for attention models; <c>--ctx</c> raises it.</summary>
    public const int DefaultMaxContext = 4096;

    /// <summary>Reads <c>config.json</c> in <paramref name="modelDirectory"/>.</summary>
    /// <param name="maxContext">The KV-cache size to plan for; null picks <c>min(max_position_embeddings, 4096)</c>.</param>
    public static ModelLayout Import(string modelDirectory, int? maxContext = null) => Import(ModelFiles.FromDirectory(modelDirectory), maxContext);

    /// <summary>Reads the <c>config.json</c> of <paramref name="model"/>.</summary>
    /// <param name="maxContext">The KV-cache size to plan for; null picks <c>min(max_position_embeddings, 4096)</c>.</param>
    public static ModelLayout Import(ModelFiles model, int? maxContext = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        string path = model.PathOf(TokenizerLoader.ConfigFile);
        if (!model.Exists(TokenizerLoader.ConfigFile))
        {
            throw new EdgeJambaException($"{path}: not found; a model folder needs a Hugging Face config.json");
        }
        string text = System.Text.Encoding.UTF8.GetString(model.ReadAllBytes(TokenizerLoader.ConfigFile));
        var layout = ImportText(text, path, ClassName(model.ModelName), maxContext);
        return layout with { Tokenizer = DetectTokenizer(model) };
    }

    /// <summary>Reads config text; <paramref name="path"/> is only used in messages.</summary>
    public static ModelLayout ImportText(string text, string path, string name, int? maxContext = null)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new EdgeJambaException($"{path}: not valid JSON ({e.Message})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new EdgeJambaException($"{path}: must hold a JSON object");
            }
            var c = new ConfigFields(doc.RootElement, path);
            string modelType = c.String("model_type") ?? throw new EdgeJambaException($"{path}: 'model_type' is missing");
            var layout = modelType switch
            {
                "llama" or "mistral" => Llama(c, name, maxContext, CheckpointFamily.Llama),
                "mixtral" => Llama(c, name, maxContext, CheckpointFamily.Mixtral),
                "mamba" => Mamba(c, name, maxContext),
                "jamba" => Jamba(c, name, maxContext),
                "xlstm" => Xlstm(c, name, maxContext),
                "xlstm-nxai" => XlstmNxai(c, name, maxContext),
                "bitnet" => Bitnet(c, name, maxContext),
                _ => throw new EdgeJambaException(
                    $"{path}: model_type '{modelType}' is not supported; supported: {string.Join(", ", SupportedModelTypes)}"),
            };
            return Validate(layout, path);
        }
    }

    private static ModelLayout Llama(ConfigFields c, string name, int? maxContext, CheckpointFamily family)
    {
        int hidden = c.Int("hidden_size", 4096);
        int heads = c.Positive("num_attention_heads", 32);
        int kvHeads = c.IntOrNull("num_key_value_heads") ?? heads;
        int headDim = c.IntOrNull("head_dim") ?? (hidden / heads);
        int layers = c.Int("num_hidden_layers", 32);
        int maxPositions = c.Int("max_position_embeddings", 2048);
        int context = ChooseContext(c, maxContext, maxPositions);
        int? window = c.IntOrNull("sliding_window");
        if (window is { } w && w < context)
        {
            throw new EdgeJambaException($"{c.Path}: sliding_window {w} is smaller than the context {context}; sliding-window attention is not " +
                $"supported, so run with --ctx {w} or less");
        }
        var attention = new AttentionLayout(heads, kvHeads, headDim, Rope(c), c.Bool("attention_bias", false));
        var activation = Activation(c);
        FfnLayout ffn = family == CheckpointFamily.Mixtral
            ? new MoeLayout(c.Int("num_local_experts", 8), c.Int("num_experts_per_tok", 2), Renormalize: true, c.Int("intermediate_size", 14336), activation)
            : new DenseFfnLayout(c.Int("intermediate_size", 11008), activation, c.Bool("mlp_bias", false));
        var list = new LayerLayout[layers];
        for (int i = 0; i < layers; i++)
        {
            list[i] = new LayerLayout(i, attention, ffn);
        }
        return new ModelLayout(name, family, c.Int("vocab_size", 32000), hidden, context, c.Double("rms_norm_eps", 1e-6),
            c.Bool("tie_word_embeddings", false), WeightFormat.F32, TokenizerKind.None, new EquatableArray<LayerLayout>(list));
    }

    /// <summary>
    /// HF <c>BitNetForCausalLM</c> (ARCHITECTURES §7): a Llama block with sub-norms, relu² MLP and ternary BitLinear projections.
    /// <c>quantization_config.linear_class</c> says what a stored <c>weight_scale</c> means (default <c>bitlinear</c>: divide).
    /// </summary>
    private static ModelLayout Bitnet(ConfigFields c, string name, int? maxContext)
    {
        var llama = Llama(c, name, maxContext, CheckpointFamily.Bitnet);
        var scale = TernaryScale.Divide;
        if (c.Object("quantization_config") is { } q)
        {
            if (q.Bool("use_rms_norm", false))
            {
                throw new EdgeJambaException($"{c.Path}: quantization_config.use_rms_norm true (an RMSNorm inside every BitLinear) is not supported; supported: false");
            }
            string linear = q.String("linear_class") ?? "bitlinear";
            scale = linear switch
            {
                "autobitlinear" => TernaryScale.Multiply,
                "bitlinear" => TernaryScale.Divide,
                _ => throw new EdgeJambaException($"{c.Path}: quantization_config.linear_class '{linear}' is not supported; supported: autobitlinear, bitlinear"),
            };
        }
        return llama with { Projections = ProjectionFormat.Ternary, TernaryScale = scale };
    }

    private static ModelLayout Mamba(ConfigFields c, string name, int? maxContext)
    {
        int hidden = c.IntOrNull("hidden_size") ?? c.Int("d_model", 768);
        int layers = c.IntOrNull("num_hidden_layers") ?? c.Int("n_layer", 32);
        int expand = c.Positive("expand", 2);
        var mamba = new MambaLayout(
            c.IntOrNull("intermediate_size") ?? c.Product("expand", expand, hidden),
            c.Int("state_size", 16),
            c.Int("conv_kernel", 4),
            DtRank(c, "time_step_rank", hidden),
            DtBcNorms: false,
            c.Bool("use_conv_bias", true),
            c.Bool("use_bias", false));
        var list = new LayerLayout[layers];
        for (int i = 0; i < layers; i++)
        {
            list[i] = new LayerLayout(i, mamba, new NoFfnLayout());
        }
        return new ModelLayout(name, CheckpointFamily.Mamba, c.Int("vocab_size", 50280), hidden, maxContext ?? DefaultRecurrentContext,
            c.Double("layer_norm_epsilon", 1e-5), c.Bool("tie_word_embeddings", true), WeightFormat.F32, TokenizerKind.None,
            new EquatableArray<LayerLayout>(list));
    }

    private static ModelLayout Jamba(ConfigFields c, string name, int? maxContext)
    {
        int hidden = c.Int("hidden_size", 4096);
        int heads = c.Positive("num_attention_heads", 32);
        int layers = c.Int("num_hidden_layers", 32);
        int attnPeriod = c.Int("attn_layer_period", 8), attnOffset = c.Int("attn_layer_offset", 4);
        int expertPeriod = c.Int("expert_layer_period", 2), expertOffset = c.Int("expert_layer_offset", 1);
        if (attnPeriod < 1 || attnOffset < 0 || attnOffset >= attnPeriod)
        {
            throw new EdgeJambaException($"{c.Path}: attn_layer_offset ({attnOffset}) must be in [0, attn_layer_period ({attnPeriod}))");
        }
        if (expertPeriod < 1 || expertOffset < 0 || expertOffset >= expertPeriod)
        {
            throw new EdgeJambaException($"{c.Path}: expert_layer_offset ({expertOffset}) must be in [0, expert_layer_period ({expertPeriod}))");
        }
        int experts = c.Int("num_experts", 16);
        var activation = Activation(c);
        var attention = new AttentionLayout(heads, c.IntOrNull("num_key_value_heads") ?? heads, hidden / heads, Rope: null, Bias: false);
        var mamba = new MambaLayout(c.Product("mamba_expand", c.Positive("mamba_expand", 2), hidden), c.Int("mamba_d_state", 16), c.Int("mamba_d_conv", 4),
            DtRank(c, "mamba_dt_rank", hidden), DtBcNorms: true, c.Bool("mamba_conv_bias", true), c.Bool("mamba_proj_bias", false));
        var dense = new DenseFfnLayout(c.Int("intermediate_size", 14336), activation, Bias: false);
        var moe = new MoeLayout(experts, c.Int("num_experts_per_tok", 2), Renormalize: false, dense.IntermediateSize, activation);
        var list = new LayerLayout[layers];
        for (int i = 0; i < layers; i++)
        {
            MixerLayout mixer = i % attnPeriod == attnOffset ? attention : mamba;
            FfnLayout ffn = experts > 1 && i % expertPeriod == expertOffset ? moe : dense;
            list[i] = new LayerLayout(i, mixer, ffn);
        }
        int context = ChooseContext(c, maxContext, c.Int("max_position_embeddings", 262144));
        return new ModelLayout(name, CheckpointFamily.Jamba, c.Int("vocab_size", 65536), hidden, context, c.Double("rms_norm_eps", 1e-6),
            c.Bool("tie_word_embeddings", false), WeightFormat.F32, TokenizerKind.None, new EquatableArray<LayerLayout>(list));
    }

    /// <summary>HF <c>xLSTMForCausalLM</c> (xLSTM-7b): mLSTM blocks with a SwiGLU FFN, RMSNorms, soft-capped logits (ARCHITECTURES §6.3).</summary>
    private static ModelLayout Xlstm(ConfigFields c, string name, int? maxContext)
    {
        int hidden = c.IntOrNull("hidden_size") ?? c.Int("embedding_dim", 4096);
        int layers = c.IntOrNull("num_hidden_layers") ?? c.Int("num_blocks", 32);
        if (c.Bool("use_bias", false))
        {
            throw new EdgeJambaException($"{c.Path}: use_bias true (biases on every projection and norm) is not supported; supported: false");
        }
        string weightMode = c.String("weight_mode") ?? "single";
        if (weightMode != "single")
        {
            throw new EdgeJambaException($"{c.Path}: weight_mode '{weightMode}' is not supported; supported: single");
        }
        // As the transformers layer computes them: int() truncation, and the FFN rounding done on floats with //.
        int qk = (int)(hidden * c.Double("qk_dim_factor", 0.5));
        int v = (int)(hidden * c.Double("v_dim_factor", 1.0));
        double multiple = c.Double("ffn_round_up_to_multiple_of", 64);
        int ffn = (int)(Math.Floor(((hidden * c.Double("ffn_proj_factor", 2.667)) + multiple - 1) / multiple) * multiple);
        var mlstm = new MLstmLargeLayout(c.Int("num_heads", 8), qk, v, c.Double("gate_soft_cap", 15.0), c.Double("eps", 1e-6));
        var dense = new DenseFfnLayout(ffn, Layout.Activation.Silu, Bias: false);
        var list = new LayerLayout[layers];
        for (int i = 0; i < layers; i++)
        {
            list[i] = new LayerLayout(i, mlstm, dense);
        }
        return new ModelLayout(name, CheckpointFamily.Xlstm, c.Int("vocab_size", 50304), hidden, maxContext ?? DefaultRecurrentContext, c.Double("norm_eps", 1e-6),
            c.Bool("tie_word_embeddings", false), WeightFormat.F32, TokenizerKind.None, new EquatableArray<LayerLayout>(list),
            NormKind.RmsNorm, c.Double("output_logit_soft_cap", 30.0));
    }

    /// <summary>
    /// NX-AI <c>xLSTMLMModel</c> (our marker <c>xlstm-nxai</c>): <c>dataclasses.asdict</c> of its config, blocks placed by
    /// <c>_block_map</c> or <c>slstm_at</c>; mLSTM blocks without FFN, sLSTM blocks with a fused gated FFN; LayerNorms 1 + w, eps 1e-5.
    /// </summary>
    private static ModelLayout XlstmNxai(ConfigFields c, string name, int? maxContext)
    {
        int hidden = c.Int("embedding_dim", 0);
        int blocks = c.Int("num_blocks", 0);
        if (hidden <= 0 || blocks <= 0)
        {
            throw new EdgeJambaException($"{c.Path}: 'embedding_dim' and 'num_blocks' must be given and positive");
        }
        if (!c.Bool("add_post_blocks_norm", true))
        {
            throw new EdgeJambaException($"{c.Path}: add_post_blocks_norm false is not supported; supported: true");
        }
        if (c.Bool("bias", false))
        {
            throw new EdgeJambaException($"{c.Path}: bias true is not supported; supported: false");
        }
        bool[] isSLstm = SLstmBlocks(c, blocks);
        MixerLayout? mlstm = null, slstm = null;
        FfnLayout slstmFfn = new NoFfnLayout();
        if (isSLstm.Contains(false))
        {
            var m = (c.Object("mlstm_block") ?? throw new EdgeJambaException($"{c.Path}: mLSTM blocks need 'mlstm_block'")).Object("mlstm")
                ?? throw new EdgeJambaException($"{c.Path}: mLSTM blocks need 'mlstm_block.mlstm'");
            if (m.Bool("bias", false))
            {
                throw new EdgeJambaException($"{c.Path}: mlstm_block.mlstm.bias true is not supported; supported: false");
            }
            int inner = m.IntOrNull("_inner_embedding_dim") ?? m.IntOrNull("_proj_up_dim") ?? ProjUp(m, hidden, 2.0);
            mlstm = new MLstmNxaiLayout(m.Int("num_heads", 4), inner, m.Int("conv1d_kernel_size", 4), m.Int("qkv_proj_blocksize", 4), Eps: 1e-6);
        }
        if (isSLstm.Contains(true))
        {
            var block = c.Object("slstm_block") ?? throw new EdgeJambaException($"{c.Path}: sLSTM blocks need 'slstm_block'");
            var s = block.Object("slstm") ?? throw new EdgeJambaException($"{c.Path}: sLSTM blocks need 'slstm_block.slstm'");
            string backend = s.String("backend") ?? "cuda";
            var layout = backend switch
            {
                "cuda" => SLstmBackend.Cuda,
                "vanilla" => SLstmBackend.Vanilla,
                _ => throw new EdgeJambaException($"{c.Path}: slstm_block.slstm.backend '{backend}' is not supported; supported: cuda, vanilla"),
            };
            string function = s.String("function") ?? "slstm";
            if (function != "slstm")
            {
                throw new EdgeJambaException($"{c.Path}: slstm_block.slstm.function '{function}' is not supported; supported: slstm");
            }
            slstm = new SLstmLayout(s.Int("num_heads", 4), s.Int("conv1d_kernel_size", 4), layout);
            if (block.Object("feedforward") is { } f)
            {
                string type = f.String("ff_type") ?? "ffn_gated";
                if (type != "ffn_gated" || f.Bool("bias", false))
                {
                    throw new EdgeJambaException($"{c.Path}: slstm_block.feedforward must be 'ffn_gated' without bias");
                }
                string act = f.String("act_fn") ?? "gelu";
                var activation = act switch
                {
                    "gelu" => Layout.Activation.Gelu,
                    "swish" or "silu" => Layout.Activation.Silu,
                    _ => throw new EdgeJambaException($"{c.Path}: slstm_block.feedforward.act_fn '{act}' is not supported; supported: gelu, swish"),
                };
                slstmFfn = new DenseFfnLayout(f.IntOrNull("_proj_up_dim") ?? ProjUp(f, hidden, 1.3), activation, Bias: false, FusedGateUp: true);
            }
        }
        var list = new LayerLayout[blocks];
        for (int i = 0; i < blocks; i++)
        {
            list[i] = isSLstm[i] ? new LayerLayout(i, slstm!, slstmFfn) : new LayerLayout(i, mlstm!, new NoFfnLayout());
        }
        return new ModelLayout(name, CheckpointFamily.XlstmNxai, c.Int("vocab_size", 0), hidden, maxContext ?? DefaultRecurrentContext, 1e-5,
            c.Bool("tie_weights", false), WeightFormat.F32, TokenizerKind.None, new EquatableArray<LayerLayout>(list), NormKind.LayerNorm1p);
    }

    /// <summary>Which blocks are sLSTM: <c>_block_map</c> ("0,1,0": 1 = sLSTM) when present, else <c>slstm_at</c> (indices or "all").</summary>
    private static bool[] SLstmBlocks(ConfigFields c, int blocks)
    {
        var result = new bool[blocks];
        if (c.String("_block_map") is { } map)
        {
            string[] parts = map.Split(',');
            if (parts.Length != blocks || parts.Any(p => p.Trim() is not ("0" or "1")))
            {
                throw new EdgeJambaException($"{c.Path}: _block_map '{map}' must list 0 (mLSTM) or 1 (sLSTM) for each of the {blocks} blocks");
            }
            for (int i = 0; i < blocks; i++)
            {
                result[i] = parts[i].Trim() == "1";
            }
            return result;
        }
        var at = c.Get("slstm_at");
        if (at is { ValueKind: JsonValueKind.String } all && all.GetString() == "all")
        {
            Array.Fill(result, true);
        }
        else if (at is { ValueKind: JsonValueKind.Array } list)
        {
            foreach (var e in list.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int i) || i < 0 || i >= blocks)
                {
                    throw new EdgeJambaException($"{c.Path}: slstm_at entries must be block indices in [0, {blocks}), not {e.GetRawText()}");
                }
                result[i] = true;
            }
        }
        else if (at is not null)
        {
            throw new EdgeJambaException($"{c.Path}: 'slstm_at' must be a list of block indices or \"all\"");
        }
        return result;
    }

    /// <summary>NX-AI up-projection size: <c>proj_factor · embedding_dim</c> rounded up to a multiple of <c>round_proj_up_to_multiple_of</c>.</summary>
    private static int ProjUp(ConfigFields c, int hidden, double defaultFactor)
    {
        double multiple = c.Double("round_proj_up_to_multiple_of", 64);
        double size = c.Double("proj_factor", defaultFactor) * hidden;
        return (int)((c.Bool("round_proj_up_dim_up", true) ? Math.Ceiling(size / multiple) : Math.Floor(size / multiple)) * multiple);
    }

    private static int ChooseContext(ConfigFields c, int? requested, int maxPositions)
    {
        if (requested is { } r)
        {
            return r;
        }
        _ = c;
        return Math.Min(maxPositions, DefaultMaxContext);
    }

    private static int DtRank(ConfigFields c, string field, int hidden)
    {
        var e = c.Get(field);
        if (e is null || (e.Value.ValueKind == JsonValueKind.String && e.Value.GetString() == "auto"))
        {
            return (hidden + 15) / 16;
        }
        return c.Int(field, 0);
    }

    private static Activation Activation(ConfigFields c)
    {
        string act = c.String("hidden_act") ?? "silu";
        return act switch
        {
            "silu" or "swish" => Layout.Activation.Silu,
            "gelu" => Layout.Activation.Gelu,
            "relu2" => Layout.Activation.Relu2,
            _ => throw new EdgeJambaException($"{c.Path}: hidden_act '{act}' is not supported; supported: silu, gelu, relu2"),
        };
    }

    /// <summary>RoPE from <c>rope_theta</c> + <c>rope_scaling</c>, or the transformers v5 <c>rope_parameters</c>.</summary>
    private static RopeLayout Rope(ConfigFields c)
    {
        ConfigFields? scaling = c.Object("rope_parameters") ?? c.Object("rope_scaling");
        double theta = scaling?.DoubleOrNull("rope_theta") ?? c.Double("rope_theta", 10000.0);
        if (scaling is null)
        {
            return new RopeLayout(RopeType.Default, theta, 1, 0, 0, 0, 32, 1, 0);
        }
        string type = scaling.String("rope_type") ?? scaling.String("type") ?? "default";
        double factor = scaling.Double("factor", 1.0);
        int original = scaling.IntOrNull("original_max_position_embeddings") ?? c.Int("max_position_embeddings", 2048);
        return type switch
        {
            "default" => new RopeLayout(RopeType.Default, theta, 1, 0, 0, 0, 32, 1, 0),
            "linear" => new RopeLayout(RopeType.Linear, theta, factor, 0, 0, 0, 32, 1, 0),
            "llama3" => new RopeLayout(RopeType.Llama3, theta, factor, scaling.Double("low_freq_factor", 1), scaling.Double("high_freq_factor", 4), original, 32, 1, 0),
            "yarn" => new RopeLayout(RopeType.Yarn, theta, factor, 0, 0, original, scaling.Double("beta_fast", 32), scaling.Double("beta_slow", 1),
                scaling.DoubleOrNull("attention_factor") ?? 0),
            _ => throw new EdgeJambaException($"{c.Path}: rope type '{type}' is not supported; supported: default, linear, llama3, yarn"),
        };
    }

    /// <summary>
    /// Post-training quantization of a layout's projections (<c>--quant q8_0|ternary</c>): the same layout with
    /// <paramref name="format"/> and, as llama.cpp's Q8_0 files do, a q8_0 classifier (dense with <c>--quant f32</c>), validated
    /// like a spec; its float checkpoint is then quantized at load (<see cref="Checkpoint.Q8"/>, <see cref="Checkpoint.Ternary"/>).
    /// A checkpoint already stored in <paramref name="format"/> is kept as it is. <paramref name="what"/> names the source in messages.
    /// </summary>
    public static ModelLayout Quantize(ModelLayout layout, ProjectionFormat format, string what)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var head = format == ProjectionFormat.Dense ? ProjectionFormat.Dense : ProjectionFormat.Q8_0;
        return layout.Projections == format
            ? layout
            : Validate(layout with { Projections = format, TernaryScale = TernaryScale.Multiply, LmHead = head }, what);
    }

    /// <summary>The <c>--quant</c> names of the projection formats: <c>f32</c> (dense), <c>q8_0</c>, <c>ternary</c>.</summary>
    public static ProjectionFormat ParseQuant(string name) => name switch
    {
        "f32" or "dense" => ProjectionFormat.Dense,
        "q8_0" => ProjectionFormat.Q8_0,
        "ternary" => ProjectionFormat.Ternary,
        _ => throw new EdgeJambaException($"--quant: '{name}' is not a weight format; supported: f32, q8_0, ternary"),
    };

    private static ModelLayout Validate(ModelLayout layout, string path)
    {
        // The same checks a spec file gets: run the layout through the shared validator via its spec text.
        string spec = SpecWriter.Write(layout);
        var result = Spec.SpecReader.Read(spec);
        foreach (var p in result.Problems)
        {
            if (!p.IsWarning)
            {
                throw new EdgeJambaException($"{path}: {p.Id}: {p.Message}");
            }
        }
        return result.Layout!;
    }

    /// <summary>The tokenizer file a folder carries: tokenizer.json (byte-level BPE) wins over tokenizer.model (SentencePiece).</summary>
    public static TokenizerKind DetectTokenizer(ModelFiles model) =>
        model.Exists(TokenizerLoader.HuggingFaceTokenizerFile) ? TokenizerKind.Bpe :
        model.Exists(TokenizerLoader.SentencePieceFile) ? TokenizerKind.SentencePiece : TokenizerKind.None;

    /// <summary>A C# identifier for the spec's <c>name</c> (the generated class) from a model's name.</summary>
    private static string ClassName(string modelName)
    {
        var chars = modelName.Where(ch => ch < 128 && char.IsLetterOrDigit(ch)).ToArray();
        string name = new(chars);
        // A folder named after a C# keyword (e.g. ModelSpecs/default) gets the same prefix as one starting with a digit.
        return Spec.SpecReader.IsIdentifier(name) || name.Length > 64 ? name : "Model" + name;
    }

    /// <summary>Typed reads of config fields with HF defaults; wrong types name the field.</summary>
    private sealed class ConfigFields(JsonElement element, string path)
    {
        public string Path { get; } = path;

        public JsonElement? Get(string name) =>
            element.TryGetProperty(name, out var e) && e.ValueKind != JsonValueKind.Null ? e : null;

        public ConfigFields? Object(string name) => Get(name) is { ValueKind: JsonValueKind.Object } e ? new ConfigFields(e, Path) : null;

        public string? String(string name) => Get(name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } e => e.GetString(),
            _ => throw Wrong(name, "a string"),
        };

        public int? IntOrNull(string name)
        {
            var e = Get(name);
            if (e is null)
            {
                return null;
            }
            if (e.Value.ValueKind == JsonValueKind.Number && e.Value.TryGetInt32(out int v))
            {
                return v;
            }
            if (e.Value.ValueKind == JsonValueKind.Number && e.Value.TryGetDouble(out double d) && d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue)
            {
                return (int)d;
            }
            throw Wrong(name, "an integer");
        }

        public int Int(string name, int fallback) => IntOrNull(name) ?? fallback;

        /// <summary>A count that something is divided by or multiplied with: at least 1.</summary>
        public int Positive(string name, int fallback)
        {
            int value = Int(name, fallback);
            return value >= 1 ? value : throw new EdgeJambaException($"{Path}: '{name}' must be at least 1, not {value}");
        }

        /// <summary><paramref name="factor"/> (the value of <paramref name="name"/>) times <paramref name="size"/>, refused when it overflows 32 bits.</summary>
        public int Product(string name, int factor, int size) =>
            (long)factor * size is var product and >= int.MinValue and <= int.MaxValue
                ? (int)product
                : throw new EdgeJambaException($"{Path}: '{name}' ({factor}) times the hidden size ({size}) overflows 32 bits");

        public double? DoubleOrNull(string name)
        {
            var e = Get(name);
            if (e is null)
            {
                return null;
            }
            return e.Value.ValueKind == JsonValueKind.Number ? e.Value.GetDouble() : throw Wrong(name, "a number");
        }

        public double Double(string name, double fallback) => DoubleOrNull(name) ?? fallback;

        public bool Bool(string name, bool fallback) => Get(name) switch
        {
            null => fallback,
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            _ => throw Wrong(name, "true or false"),
        };

        private EdgeJambaException Wrong(string name, string expected) =>
            new($"{Path}: '{name}' must be {expected}, not {Get(name)!.Value.ValueKind.ToString().ToLowerInvariant()} {Get(name)!.Value.GetRawText()}");
    }
}
