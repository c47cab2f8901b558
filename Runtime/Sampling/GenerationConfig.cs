using System.Text.Json;
using EdgeJamba.Runtime.Tokenization;

namespace EdgeJamba.Runtime.Sampling;

/// <summary>
/// The sampling defaults a model ships in <c>generation_config.json</c> (Hugging Face field names). Each
/// value is null when the file does not set it; command-line flags given explicitly win over these, and
/// these win over the built-in defaults of <see cref="SamplerOptions"/>. <c>"do_sample": false</c> means
/// greedy decoding, as in <c>transformers</c>.
/// </summary>
public sealed record GenerationConfig
{
    public bool? DoSample { get; init; }

    public float? Temperature { get; init; }

    public int? TopK { get; init; }

    public float? TopP { get; init; }

    public float? MinP { get; init; }

    public float? RepetitionPenalty { get; init; }

    public int? MaxNewTokens { get; init; }

    /// <summary>The settings of <paramref name="model"/>'s <c>generation_config.json</c>; all null when it has none.</summary>
    /// <exception cref="EdgeJambaException">The file is not JSON, or a field has the wrong type; the message names both.</exception>
    public static GenerationConfig Read(ModelFiles model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using JsonDocument? document = JsonFiles.ParseIfExists(model, TokenizerLoader.GenerationConfigFile);
        if (document is null)
        {
            return new GenerationConfig();
        }
        string path = model.PathOf(TokenizerLoader.GenerationConfigFile);
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new EdgeJambaException($"{path}: expected a JSON object at the top level.");
        }
        return new GenerationConfig
        {
            DoSample = Field<bool>(root, "do_sample", path, v => v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : (bool?)null, "true or false"),
            Temperature = Field(root, "temperature", path, Float, "a number"),
            TopK = Field<int>(root, "top_k", path, v => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int k) ? k : (int?)null, "an integer"),
            TopP = Field(root, "top_p", path, Float, "a number"),
            MinP = Field(root, "min_p", path, Float, "a number"),
            RepetitionPenalty = Field(root, "repetition_penalty", path, Float, "a number"),
            MaxNewTokens = Field<int>(root, "max_new_tokens", path, v => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) ? n : (int?)null, "an integer"),
        };
    }

    /// <summary>
    /// <paramref name="options"/> with this file's values in place of the settings the user did not give
    /// (<paramref name="given"/> says which were given, by <see cref="SamplerOptions"/> property name).
    /// </summary>
    public SamplerOptions ApplyTo(SamplerOptions options, Func<string, bool> given)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(given);
        return options with
        {
            Greedy = given(nameof(SamplerOptions.Greedy)) || DoSample is not false ? options.Greedy : true,
            Temperature = given(nameof(SamplerOptions.Temperature)) ? options.Temperature : Temperature ?? options.Temperature,
            TopK = given(nameof(SamplerOptions.TopK)) ? options.TopK : TopK ?? options.TopK,
            TopP = given(nameof(SamplerOptions.TopP)) ? options.TopP : TopP ?? options.TopP,
            MinP = given(nameof(SamplerOptions.MinP)) ? options.MinP : MinP ?? options.MinP,
            RepeatPenalty = given(nameof(SamplerOptions.RepeatPenalty)) ? options.RepeatPenalty : RepetitionPenalty ?? options.RepeatPenalty,
        };
    }

    private static float? Float(JsonElement value) => value.ValueKind == JsonValueKind.Number ? value.GetSingle() : null;

    private static T? Field<T>(JsonElement root, string name, string path, Func<JsonElement, T?> read, string expected)
        where T : struct
    {
        if (!root.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return read(value) ?? throw new EdgeJambaException($"{path}: \"{name}\" must be {expected}.");
    }
}
