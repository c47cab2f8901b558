using System.CommandLine;
using System.Globalization;
using System.Text;
using EdgeJamba.Runtime;
using EdgeJamba.Runtime.Generation;
using EdgeJamba.Runtime.Sampling;
using EdgeJamba.Runtime.Tokenization;

namespace EdgeJamba.Cli;

/// <summary>
/// The main job: prompt from stdin, streamed completion to stdout. <c>--each-line</c> treats every input line
/// as its own prompt; <c>--jsonl</c> reads one JSON request per line and writes one JSON result per line
/// (<see cref="RequestRunner"/>). In every mode stdout carries only completions.
/// </summary>
internal static class GenerateCommand
{
    public static void Configure(RootCommand root)
    {
        var defaults = new SamplerOptions();
        var model = Cli.ModelOption();
        var maxTokens = new Option<int>("--max-tokens", "-n") { Description = "Tokens to generate at most", DefaultValueFactory = _ => 256 }.Range(0, int.MaxValue);
        var temperature = new Option<float>("--temperature", "-t") { Description = "Sampling temperature; 0 = greedy (default: the model's generation_config.json, else 0.8)", DefaultValueFactory = _ => defaults.Temperature };
        var topK = new Option<int>("--top-k") { Description = "Keep the k most likely tokens; 0 = off (default: generation_config.json, else 40)", DefaultValueFactory = _ => defaults.TopK }.Range(0, int.MaxValue);
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass; 1 = off (default: generation_config.json, else 0.95)", DefaultValueFactory = _ => defaults.TopP };
        var minP = new Option<float>("--min-p") { Description = "Drop tokens below min-p times the top probability; 0 = off (default: generation_config.json, else 0.05)", DefaultValueFactory = _ => defaults.MinP };
        var repeatPenalty = new Option<float>("--repeat-penalty") { Description = "Penalty for recently seen tokens; 1 = off (default: generation_config.json, else 1.1)", DefaultValueFactory = _ => defaults.RepeatPenalty };
        var seed = new Option<ulong?>("--seed") { Description = "Random seed (default: from the clock, printed with --stats)" };
        var greedy = new Option<bool>("--greedy") { Description = "Always take the most likely token" };
        var stop = new Option<string[]>("--stop") { Description = "Stop before this text (repeatable)", AllowMultipleArgumentsPerToken = false };
        var threads = Cli.ThreadsOption();
        var stats = new Option<bool>("--stats") { Description = "Print token counts and speed to stderr" };
        var keepTail = new Option<bool>("--keep-tail") { Description = "Keep the end of a prompt longer than the context instead of refusing it" };
        var stateIn = new Option<string?>("--state-in") { Description = "Resume the session saved in this file (stdin then continues it; may be empty)" };
        var stateOut = new Option<string?>("--state-out") { Description = "Save the whole session (state, tokens, sampler) to this file after the run" };
        var eachLine = new Option<bool>("--each-line") { Description = "Every stdin line is a separate prompt (fresh state); each completion is followed by a newline" };
        var jsonl = new Option<bool>("--jsonl") { Description = "Every stdin line is a JSON request {\"prompt\", \"max_tokens\", \"temperature\", \"top_k\", \"top_p\", \"min_p\", \"repeat_penalty\", \"seed\", \"stop\"}; one JSON result per line on stdout" };
        var context = Cli.ContextOption();
        var engine = Cli.EngineOption();
        var checkWeights = Cli.CheckWeightsOption();
        foreach (var o in new Option[] { model, maxTokens, temperature, topK, topP, minP, repeatPenalty, seed, greedy, stop, threads, stats, keepTail, stateIn, stateOut, eachLine, jsonl, context, engine, checkWeights })
        {
            root.Options.Add(o);
        }

        root.SetAction(parse => Cli.Run(() =>
        {
            bool perLine = parse.GetValue(eachLine), json = parse.GetValue(jsonl);
            if (perLine && json)
            {
                throw new UsageException("--each-line and --jsonl cannot be combined");
            }
            if ((perLine || json) && (parse.GetValue(stateIn) is not null || parse.GetValue(stateOut) is not null))
            {
                throw new UsageException($"{(json ? "--jsonl" : "--each-line")} runs each request on a fresh state; --state-in and --state-out apply to a single prompt");
            }
            if (parse.GetValue(stateOut) is { } target && Path.GetDirectoryName(Path.GetFullPath(target)) is { } folder && !Directory.Exists(folder))
            {
                throw new EdgeJambaException($"--state-out {target}: the folder does not exist"); // refused before any text is generated
            }
            bool Given(Option option) => parse.GetResult(option) is { Implicit: false };
            var flags = new SamplerOptions
            {
                Temperature = parse.GetValue(temperature),
                TopK = parse.GetValue(topK),
                TopP = parse.GetValue(topP),
                MinP = parse.GetValue(minP),
                RepeatPenalty = parse.GetValue(repeatPenalty),
                Seed = parse.GetValue(seed) ?? (ulong)DateTime.UtcNow.Ticks,
                Greedy = parse.GetValue(greedy),
            };
            Validate(flags, origin: null); // before any file is opened
            using var loaded = Cli.Load(parse.GetValue(model), parse.GetValue(engine), parse.GetValue(context), parse.GetValue(threads), parse.GetValue(checkWeights));
            var generationConfig = GenerationConfig.Read(loaded.Files);
            var samplerOptions = generationConfig.ApplyTo(flags, name => name switch
            {
                nameof(SamplerOptions.Temperature) => Given(temperature),
                nameof(SamplerOptions.TopK) => Given(topK),
                nameof(SamplerOptions.TopP) => Given(topP),
                nameof(SamplerOptions.MinP) => Given(minP),
                nameof(SamplerOptions.RepeatPenalty) => Given(repeatPenalty),
                _ => Given(greedy),
            });
            if (samplerOptions.Greedy && !Given(repeatPenalty) && generationConfig.RepetitionPenalty is null)
            {
                samplerOptions = samplerOptions with { RepeatPenalty = 1f }; // greedy is the model's own argmax unless a penalty is asked for
            }
            Validate(samplerOptions, loaded.Files.PathOf(TokenizerLoader.GenerationConfigFile) + ": ");
            var tokenizer = TokenizerLoader.Load(loaded.Files, loaded.Layout.VocabSize, Notice);
            var generation = new GenerationOptions
            {
                MaxTokens = Given(maxTokens) ? parse.GetValue(maxTokens) : generationConfig.MaxNewTokens ?? parse.GetValue(maxTokens),
                Stops = parse.GetValue(stop) ?? [],
                Overflow = parse.GetValue(keepTail) ? ContextOverflow.KeepTail : ContextOverflow.Refuse,
            };

            using var cancel = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                cancel.Cancel();
            };
            using var stdin = Console.OpenStandardInput();
            using var stdout = new StreamWriter(StandardOutput.Open(), new UTF8Encoding(false)) { AutoFlush = !json };
            var session = new RequestRunner(loaded, tokenizer, samplerOptions, generation, parse.GetValue(seed) is not null, Notice);
            if (json)
            {
                return session.RunJsonl(stdin, stdout, cancel.Token);
            }
            if (perLine)
            {
                return session.RunEachLine(stdin, stdout, cancel.Token);
            }

            var generator = new TextGenerator(loaded.Model, tokenizer, new Sampler(loaded.Layout.VocabSize, samplerOptions));
            generator.Notice += Notice;
            if (parse.GetValue(stateIn) is { } resumeFrom)
            {
                SessionSnapshot.Read(resumeFrom, generator);
            }
            string prompt = PromptReader.Read(stdin, loaded.Layout.MaxContext - generator.History.Count, generation.Overflow, Notice);
            var result = generator.Generate(prompt, stdout, generation, cancel.Token);
            if (parse.GetValue(stateOut) is { } saveTo)
            {
                SessionSnapshot.Write(saveTo, generator); // an unfinished character stays in the snapshot
            }
            else
            {
                generator.Finish(stdout);
            }
            if (parse.GetValue(stats))
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"edgejamba: engine {loaded.Model.EngineName}, seed {samplerOptions.Seed}; prompt {result.PromptTokens} tokens in {result.PrefillTime.TotalMilliseconds:F1} ms " +
                    $"({result.PrefillTokensPerSecond:F1} tok/s); generated {result.GeneratedTokens} tokens in {result.DecodeTime.TotalMilliseconds:F1} ms " +
                    $"({result.DecodeTokensPerSecond:F1} tok/s); stopped: {result.StopReason}"));
            }
            return result.StopReason == "interrupted" ? Cli.Interrupted : Cli.Ok;
        }));
    }

    /// <summary>
    /// Checks sampling settings, naming what is at fault: a flag (<paramref name="origin"/> null: a usage error),
    /// or a field of a JSONL request or of a file (<paramref name="origin"/> names it).
    /// </summary>
    internal static void Validate(SamplerOptions options, string? origin)
    {
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            string message = e.Message;
            int cut = message.IndexOf(" (Parameter", StringComparison.Ordinal);
            string problem = cut > 0 ? message[..cut] : message;
            throw origin is null
                ? new UsageException($"{FlagOf(e.ParamName)}: invalid value: {problem}")
                : new EdgeJambaException($"{origin}{FieldOf(e.ParamName)}: invalid value: {problem}");
        }
    }

    private static void Notice(string message) => Console.Error.WriteLine("edgejamba: " + message);

    /// <summary>The flag of a <see cref="SamplerOptions"/> property named by its validation.</summary>
    private static string FlagOf(string? option) => option switch
    {
        nameof(SamplerOptions.Temperature) => "--temperature",
        nameof(SamplerOptions.TopK) => "--top-k",
        nameof(SamplerOptions.TopP) => "--top-p",
        nameof(SamplerOptions.MinP) => "--min-p",
        nameof(SamplerOptions.RepeatPenalty) => "--repeat-penalty",
        _ => "sampling option " + option,
    };

    /// <summary>The JSONL request field of a <see cref="SamplerOptions"/> property named by its validation.</summary>
    private static string FieldOf(string? option) => option switch
    {
        nameof(SamplerOptions.Temperature) => "\"temperature\"",
        nameof(SamplerOptions.TopK) => "\"top_k\"",
        nameof(SamplerOptions.TopP) => "\"top_p\"",
        nameof(SamplerOptions.MinP) => "\"min_p\"",
        nameof(SamplerOptions.RepeatPenalty) => "\"repeat_penalty\"",
        _ => "sampling option " + option,
    };
}
