using System.Text.Json;

namespace EdgeJamba.Runtime.Tokenization;

/// <summary>
/// Finds and loads the tokenizer of a Hugging Face style model folder.
/// <list type="number">
/// <item><c>tokenizer.json</c> when it describes a byte-level BPE (<see cref="ByteLevelBpeTextTokenizer"/>);
/// a <c>tokenizer.json</c> of another kind is skipped in favour of <c>tokenizer.model</c> when that exists
/// (Llama 2 and Mistral folders ship both), and is an error otherwise.</item>
/// <item>else <c>tokenizer.model</c> (<see cref="SentencePieceTextTokenizer"/>);</item>
/// <item>else the byte tokenizer (<see cref="ByteTextTokenizer"/>), if the model's vocabulary has at least
/// 256 entries: ids 256 .. vocabSize-1 become special tokens named <c>&lt;|special_N|&gt;</c>.</item>
/// </list>
/// Special tokens come from <see cref="ReadSettings"/>.
/// </summary>
public static class TokenizerLoader
{
    public const string HuggingFaceTokenizerFile = "tokenizer.json";
    public const string SentencePieceFile = "tokenizer.model";
    public const string TokenizerConfigFile = "tokenizer_config.json";
    public const string GenerationConfigFile = "generation_config.json";
    public const string ConfigFile = "config.json";

    /// <param name="modelDirectory">The model folder.</param>
    /// <param name="vocabSize">The model's vocabulary size (rows of its embedding); the tokenizer may not be larger.</param>
    /// <param name="notice">Receives a warning when a Hugging Face folder (one with <c>config.json</c>) has no tokenizer file and the byte tokenizer stands in.</param>
    /// <exception cref="EdgeJambaException">No usable tokenizer, or a file is unreadable, corrupt or inconsistent; the message names it.</exception>
    public static ITextTokenizer Load(string modelDirectory, int vocabSize, Action<string>? notice = null) =>
        Load(ModelFiles.FromDirectory(modelDirectory), vocabSize, notice);

    /// <param name="model">The model's files.</param>
    /// <param name="vocabSize">The model's vocabulary size (rows of its embedding); the tokenizer may not be larger.</param>
    /// <param name="notice">Receives a warning when a Hugging Face model (one with <c>config.json</c>) has no tokenizer file and the byte tokenizer stands in.</param>
    /// <exception cref="EdgeJambaException">No usable tokenizer, or a file is unreadable, corrupt or inconsistent; the message names it.</exception>
    public static ITextTokenizer Load(ModelFiles model, int vocabSize, Action<string>? notice = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        TokenizerSettings settings = ReadSettings(model);
        string jsonPath = model.PathOf(HuggingFaceTokenizerFile);
        string modelPath = model.PathOf(SentencePieceFile);

        ITextTokenizer tokenizer;
        string source;
        if (model.Exists(HuggingFaceTokenizerFile))
        {
            using JsonDocument document = JsonFiles.Parse(model, HuggingFaceTokenizerFile);
            bool useSentencePiece = !ByteLevelBpeTextTokenizer.IsByteLevel(document.RootElement) && model.Exists(SentencePieceFile);
            source = useSentencePiece ? modelPath : jsonPath;
            tokenizer = useSentencePiece
                ? SentencePieceTextTokenizer.Create(model.ReadAllBytes(SentencePieceFile), modelPath, settings)
                : ByteLevelBpeTextTokenizer.Create(document.RootElement, jsonPath, settings);
        }
        else if (model.Exists(SentencePieceFile))
        {
            source = modelPath;
            tokenizer = SentencePieceTextTokenizer.Create(model.ReadAllBytes(SentencePieceFile), modelPath, settings);
        }
        else if (vocabSize >= 256)
        {
            source = model.Name;
            if (model.Exists(ConfigFile))
            {
                notice?.Invoke($"warning: {model.Name} has no {HuggingFaceTokenizerFile} or {SentencePieceFile}; using the byte tokenizer (one token per byte), which this model was probably not trained with");
            }
            string[] specials = Enumerable.Range(256, vocabSize - 256).Select(id => $"<|special_{id}|>").ToArray();
            tokenizer = new ByteTextTokenizer(specials, settings with { BosToken = null, EosToken = null });
        }
        else
        {
            throw new EdgeJambaException(
                $"{model.Name}: no {HuggingFaceTokenizerFile} or {SentencePieceFile}, and the vocabulary of {vocabSize} is too small for the byte tokenizer (256 ids).");
        }

        if (tokenizer.VocabSize > vocabSize)
        {
            throw new EdgeJambaException($"{source}: the tokenizer has {tokenizer.VocabSize} tokens but the model's vocabulary has only {vocabSize}.");
        }
        return tokenizer;
    }

    /// <summary>
    /// Reads the special-token choices of a model folder:
    /// <c>bos_token_id</c> and <c>eos_token_id</c> (an integer or a list of integers) from
    /// <c>generation_config.json</c>, else from <c>config.json</c>; <c>bos_token</c>/<c>eos_token</c> (a string
    /// or an object with <c>content</c>) and <c>add_bos_token</c> from <c>tokenizer_config.json</c>.
    /// Missing files and null values mean "not set".
    /// </summary>
    /// <exception cref="EdgeJambaException">A file is not valid JSON or a value has the wrong type; the message names the file and field.</exception>
    public static TokenizerSettings ReadSettings(ModelFiles model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var settings = new TokenizerSettings();
        foreach (string file in new[] { ConfigFile, GenerationConfigFile })
        {
            string path = model.PathOf(file);
            using JsonDocument? document = JsonFiles.ParseIfExists(model, file);
            if (document is null)
            {
                continue;
            }
            JsonElement root = document.RootElement;
            List<int>? bos = ReadIds(root, "bos_token_id", path);
            List<int>? eos = ReadIds(root, "eos_token_id", path);
            settings = settings with
            {
                BosId = bos is null ? settings.BosId : bos.Count > 0 ? bos[0] : null,
                EosIds = eos ?? settings.EosIds,
            };
        }

        string configPath = model.PathOf(TokenizerConfigFile);
        using JsonDocument? tokenizerConfig = JsonFiles.ParseIfExists(model, TokenizerConfigFile);
        if (tokenizerConfig is not null)
        {
            JsonElement root = tokenizerConfig.RootElement;
            settings = settings with
            {
                AddBos = Value(root, "add_bos_token", configPath) is JsonElement add
                    ? add.ValueKind is JsonValueKind.True or JsonValueKind.False ? add.GetBoolean() : throw WrongType(configPath, "add_bos_token", "true or false")
                    : null,
                BosToken = ReadTokenText(root, "bos_token", configPath),
                EosToken = ReadTokenText(root, "eos_token", configPath),
            };
        }
        return settings;
    }

    private static List<int>? ReadIds(JsonElement root, string name, string path)
    {
        if (Value(root, name, path) is not JsonElement value)
        {
            return null;
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int id) && id >= 0)
        {
            return [id];
        }
        if (value.ValueKind == JsonValueKind.Array)
        {
            var ids = new List<int>();
            foreach (JsonElement item in value.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out int itemId) || itemId < 0)
                {
                    throw WrongType(path, name, "a non-negative integer or a list of them");
                }
                ids.Add(itemId);
            }
            return ids;
        }
        throw WrongType(path, name, "a non-negative integer or a list of them");
    }

    private static string? ReadTokenText(JsonElement root, string name, string path)
    {
        if (Value(root, name, path) is not JsonElement value)
        {
            return null;
        }
        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }
        if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out JsonElement content) && content.ValueKind == JsonValueKind.String)
        {
            return content.GetString();
        }
        throw WrongType(path, name, "a string or an object with a \"content\" string");
    }

    private static JsonElement? Value(JsonElement root, string name, string path)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new EdgeJambaException($"{path}: expected a JSON object at the top level.");
        }
        return root.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null ? value : null;
    }

    private static EdgeJambaException WrongType(string path, string name, string expected) => new($"{path}: \"{name}\" must be {expected}.");
}
