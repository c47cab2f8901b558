using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeJamba.Runtime;
using EdgeJamba.Runtime.Generation;
using EdgeJamba.Runtime.Sampling;
using EdgeJamba.Runtime.Tokenization;

namespace EdgeJamba.Cli;

/// <summary>
/// The one-request-per-line modes. Each request starts from a fresh state, so its result does not depend on
/// the lines before it.
/// <list type="bullet">
/// <item><c>--each-line</c>: a line is a plain prompt; its completion is written followed by one newline.</item>
/// <item><c>--jsonl</c>: a line is a JSON object (<see cref="Fields"/>); blank lines are skipped; for every other
/// line one JSON object is written: the completion, token counts and ids, timings and the stop reason,
/// or <c>"error"</c> naming the line and the field.</item>
/// </list>
/// A failed request does not stop the others; the exit code is then <see cref="Cli.SomeRequestsFailed"/>.
/// </summary>
internal sealed class RequestRunner(LoadedModel loaded, ITextTokenizer tokenizer, SamplerOptions sampling, GenerationOptions generation, bool seedGiven, Action<string> notice)
{
    /// <summary>The fields a JSONL request may have (<c>prompt</c> is required).</summary>
    public static readonly string[] Fields = ["prompt", "max_tokens", "temperature", "top_k", "top_p", "min_p", "repeat_penalty", "seed", "greedy", "stop", "id"];

    private long MaxLineBytes => generation.Overflow == ContextOverflow.KeepTail ? PromptReader.MaxPromptBytes : PromptReader.ByteBudget(loaded.Layout.MaxContext);

    public int RunEachLine(Stream input, TextWriter output, CancellationToken cancel)
    {
        bool failed = false;
        foreach (InputLine line in PromptReader.ReadLines(input, MaxLineBytes))
        {
            try
            {
                string prompt = Decode(line);
                var (stats, _) = Generate(prompt, sampling, generation, output, cancel);
                output.Write('\n');
                if (stats.StopReason == "interrupted")
                {
                    return Cli.Interrupted;
                }
            }
            catch (EdgeJambaException e)
            {
                output.Write('\n'); // one output line per input line, even for a failed one
                notice($"error: line {line.Number}: {e.Message}");
                failed = true;
            }
        }
        return failed ? Cli.SomeRequestsFailed : Cli.Ok;
    }

    public int RunJsonl(Stream input, TextWriter output, CancellationToken cancel)
    {
        bool failed = false;
        foreach (InputLine line in PromptReader.ReadLines(input, MaxLineBytes))
        {
            if (line.Bytes is { } raw && raw.AsSpan().Trim(" \t"u8).IsEmpty)
            {
                continue;
            }
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteNumber("line", line.Number);
                try
                {
                    var request = Parse(line, json);
                    var completion = new StringWriter(CultureInfo.InvariantCulture);
                    var (stats, tokens) = Generate(request.Prompt, request.Sampling, request.Generation, completion, cancel);
                    json.WriteString("completion", completion.ToString());
                    json.WriteNumber("prompt_tokens", stats.PromptTokens);
                    json.WriteNumber("completion_tokens", stats.GeneratedTokens);
                    json.WriteStartArray("tokens");
                    foreach (int token in tokens)
                    {
                        json.WriteNumberValue(token);
                    }
                    json.WriteEndArray();
                    json.WriteString("stop_reason", stats.StopReason.Replace(' ', '_'));
                    json.WriteNumber("seed", request.Sampling.Seed);
                    json.WriteNumber("prefill_ms", Math.Round(stats.PrefillTime.TotalMilliseconds, 3));
                    json.WriteNumber("decode_ms", Math.Round(stats.DecodeTime.TotalMilliseconds, 3));
                    json.WriteNumber("prefill_tokens_per_s", Math.Round(stats.PrefillTokensPerSecond, 1));
                    json.WriteNumber("decode_tokens_per_s", Math.Round(stats.DecodeTokensPerSecond, 1));
                    if (stats.StopReason == "interrupted")
                    {
                        json.WriteEndObject();
                        json.Flush();
                        WriteLine(output, buffer);
                        return Cli.Interrupted;
                    }
                }
                catch (EdgeJambaException e)
                {
                    json.WriteString("error", $"line {line.Number}: {e.Message}");
                    failed = true;
                }
                json.WriteEndObject();
            }
            WriteLine(output, buffer);
        }
        return failed ? Cli.SomeRequestsFailed : Cli.Ok;
    }

    private static void WriteLine(TextWriter output, MemoryStream json)
    {
        output.Write(Encoding.UTF8.GetString(json.GetBuffer(), 0, (int)json.Length));
        output.Write('\n');
        output.Flush();
    }

    /// <summary>Runs one request on a fresh state; returns its statistics and the ids of the generated tokens.</summary>
    private (GenerationStats Stats, List<int> Tokens) Generate(string prompt, SamplerOptions options, GenerationOptions settings, TextWriter output, CancellationToken cancel)
    {
        loaded.Model.Reset();
        var generator = new TextGenerator(loaded.Model, tokenizer, new Sampler(loaded.Layout.VocabSize, options));
        generator.Notice += notice;
        var stats = generator.Generate(prompt, output, settings, cancel);
        generator.Finish(output);
        return (stats, generator.History.GetRange(generator.History.Count - stats.GeneratedTokens, stats.GeneratedTokens));
    }

    private string Decode(InputLine line)
    {
        if (line.Bytes is not { } bytes)
        {
            throw TooLong();
        }
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            notice(string.Create(CultureInfo.InvariantCulture, $"warning: line {line.Number} is not valid UTF-8 (first bad byte at column {e.Index + 1}); invalid bytes were replaced by U+FFFD"));
            return Encoding.UTF8.GetString(bytes);
        }
    }

    /// <summary>Reads one JSONL request; its <c>id</c>, if any, is echoed into <paramref name="result"/> at once.</summary>
    private (string Prompt, SamplerOptions Sampling, GenerationOptions Generation) Parse(InputLine line, Utf8JsonWriter result)
    {
        if (line.Bytes is not { } bytes)
        {
            throw TooLong();
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new EdgeJambaException($"not a JSON object ({e.Message})");
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new EdgeJambaException($"a request must be a JSON object, not a JSON {root.ValueKind}");
            }
            if (root.TryGetProperty("id", out JsonElement id))
            {
                result.WritePropertyName("id");
                id.WriteTo(result);
            }
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (Array.IndexOf(Fields, property.Name) < 0)
                {
                    throw new EdgeJambaException($"unknown field \"{property.Name}\" (a request has {string.Join(", ", Fields.Select(f => '"' + f + '"'))})");
                }
            }
            string prompt = root.TryGetProperty("prompt", out JsonElement p) && p.ValueKind == JsonValueKind.String
                ? p.GetString()!
                : throw new EdgeJambaException("\"prompt\" must be a string and is required");
            var options = sampling with
            {
                Temperature = Number(root, "temperature", sampling.Temperature),
                TopK = Integer(root, "top_k", sampling.TopK),
                TopP = Number(root, "top_p", sampling.TopP),
                MinP = Number(root, "min_p", sampling.MinP),
                RepeatPenalty = Number(root, "repeat_penalty", sampling.RepeatPenalty),
                Greedy = root.TryGetProperty("greedy", out JsonElement g)
                    ? g.ValueKind is JsonValueKind.True or JsonValueKind.False ? g.GetBoolean() : throw Wrong("greedy", "true or false")
                    : sampling.Greedy,
                Seed = root.TryGetProperty("seed", out JsonElement s)
                    ? s.ValueKind == JsonValueKind.Number && s.TryGetUInt64(out ulong seed) ? seed : throw Wrong("seed", "a non-negative integer")
                    : seedGiven ? sampling.Seed : (ulong)DateTime.UtcNow.Ticks,
            };
            if (options.Greedy && !sampling.Greedy && !root.TryGetProperty("repeat_penalty", out _))
            {
                options = options with { RepeatPenalty = 1f }; // as --greedy: the model's own argmax unless a penalty is asked for
            }
            GenerateCommand.Validate(options, origin: "");
            int maxTokens = Integer(root, "max_tokens", generation.MaxTokens);
            if (maxTokens < 0)
            {
                throw Wrong("max_tokens", "a non-negative integer");
            }
            var stops = generation.Stops;
            if (root.TryGetProperty("stop", out JsonElement stop))
            {
                stops = stop.ValueKind switch
                {
                    JsonValueKind.String => [stop.GetString()!],
                    JsonValueKind.Array when stop.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String) => [.. stop.EnumerateArray().Select(x => x.GetString()!)],
                    _ => throw Wrong("stop", "a string or a list of strings"),
                };
            }
            return (prompt, options, generation with { MaxTokens = maxTokens, Stops = stops });
        }
    }

    private EdgeJambaException TooLong() => new(string.Create(CultureInfo.InvariantCulture,
        $"longer than {MaxLineBytes} bytes, more than the context of {loaded.Layout.MaxContext} tokens can hold; shorten it, raise --ctx, or pass --keep-tail"));

    private static float Number(JsonElement root, string name, float fallback) =>
        !root.TryGetProperty(name, out JsonElement value) ? fallback
        : value.ValueKind == JsonValueKind.Number && float.IsFinite(value.GetSingle()) ? value.GetSingle() : throw Wrong(name, "a number");

    private static int Integer(JsonElement root, string name, int fallback) =>
        !root.TryGetProperty(name, out JsonElement value) ? fallback
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int result) ? result : throw Wrong(name, "an integer");

    private static EdgeJambaException Wrong(string name, string expected) => new($"\"{name}\" must be {expected}");
}
