using System.CommandLine;
using System.Globalization;
using System.Text;
using EdgeJamba.Runtime;
using EdgeJamba.Runtime.Generation;
using EdgeJamba.Runtime.Sampling;
using EdgeJamba.Runtime.Tokenization;

namespace EdgeJamba.Cli;

/// <summary>The main job: prompt from stdin, streamed completion to stdout.</summary>
internal static class GenerateCommand
{
    public static void Configure(RootCommand root)
    {
        var defaults = new SamplerOptions();
        var model = Cli.ModelOption(required: false);
        var maxTokens = new Option<int>("--max-tokens", "-n") { Description = "Tokens to generate at most", DefaultValueFactory = _ => 256 }.Range(0, int.MaxValue);
        var temperature = new Option<float>("--temperature", "-t") { Description = "Sampling temperature; 0 = greedy", DefaultValueFactory = _ => defaults.Temperature };
        var topK = new Option<int>("--top-k") { Description = "Keep the k most likely tokens; 0 = off", DefaultValueFactory = _ => defaults.TopK }.Range(0, int.MaxValue);
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass; 1 = off", DefaultValueFactory = _ => defaults.TopP };
        var minP = new Option<float>("--min-p") { Description = "Drop tokens below min-p times the top probability; 0 = off", DefaultValueFactory = _ => defaults.MinP };
        var repeatPenalty = new Option<float>("--repeat-penalty") { Description = "Penalty for recently seen tokens; 1 = off", DefaultValueFactory = _ => defaults.RepeatPenalty };
        var seed = new Option<ulong?>("--seed") { Description = "Random seed (default: from the clock, printed with --stats)" };
        var greedy = new Option<bool>("--greedy") { Description = "Always take the most likely token" };
        var stop = new Option<string[]>("--stop") { Description = "Stop before this text (repeatable)", AllowMultipleArgumentsPerToken = false };
        var threads = Cli.ThreadsOption();
        var stats = new Option<bool>("--stats") { Description = "Print token counts and speed to stderr" };
        var keepTail = new Option<bool>("--keep-tail") { Description = "Keep the end of a prompt longer than the context instead of refusing it" };
        var stateIn = new Option<string?>("--state-in") { Description = "Resume the session saved in this file (stdin then continues it; may be empty)" };
        var stateOut = new Option<string?>("--state-out") { Description = "Save the whole session (state, tokens, sampler) to this file after the run" };
        var context = Cli.ContextOption();
        var engine = Cli.EngineOption();
        var checkWeights = Cli.CheckWeightsOption();
        foreach (var o in new Option[] { model, maxTokens, temperature, topK, topP, minP, repeatPenalty, seed, greedy, stop, threads, stats, keepTail, stateIn, stateOut, context, engine, checkWeights })
        {
            root.Options.Add(o);
        }

        root.SetAction(parse => Cli.Run(() =>
        {
            string? directory = parse.GetValue(model);
            if (directory is null)
            {
                throw new EdgeJambaException("no model given: pass --model DIR (a Hugging Face folder with config.json and safetensors weights)");
            }
            var samplerOptions = new SamplerOptions
            {
                Temperature = parse.GetValue(temperature),
                TopK = parse.GetValue(topK),
                TopP = parse.GetValue(topP),
                MinP = parse.GetValue(minP),
                // --greedy is the model's own argmax: the repetition penalty applies only when asked for explicitly.
                RepeatPenalty = parse.GetValue(greedy) && parse.GetResult(repeatPenalty) is null or { Implicit: true } ? 1f : parse.GetValue(repeatPenalty),
                Seed = parse.GetValue(seed) ?? (ulong)DateTime.UtcNow.Ticks,
                Greedy = parse.GetValue(greedy),
            };
            try
            {
                samplerOptions.Validate();
            }
            catch (ArgumentOutOfRangeException e)
            {
                string message = e.Message;
                int cut = message.IndexOf(" (Parameter", StringComparison.Ordinal);
                throw new EdgeJambaException($"{FlagOf(e.ParamName)}: invalid value: " + (cut > 0 ? message[..cut] : message));
            }
            if (parse.GetValue(stateOut) is { } target && Path.GetDirectoryName(Path.GetFullPath(target)) is { } folder && !Directory.Exists(folder))
            {
                throw new EdgeJambaException($"--state-out {target}: the folder does not exist"); // refused before any text is generated
            }
            using var loaded = Cli.Load(directory, parse.GetValue(engine), parse.GetValue(context), parse.GetValue(threads), parse.GetValue(checkWeights));
            var tokenizer = TokenizerLoader.Load(directory, loaded.Layout.VocabSize, Notice);
            var generator = new TextGenerator(loaded.Model, tokenizer, new Sampler(loaded.Layout.VocabSize, samplerOptions));
            generator.Notice += Notice;
            if (parse.GetValue(stateIn) is { } resumeFrom)
            {
                SessionSnapshot.Read(resumeFrom, generator);
            }
            var overflow = parse.GetValue(keepTail) ? ContextOverflow.KeepTail : ContextOverflow.Refuse;
            string prompt;
            using (var stdin = Console.OpenStandardInput())
            {
                prompt = PromptReader.Read(stdin, loaded.Layout.MaxContext - generator.History.Count, overflow, Notice);
            }
            using var cancel = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                cancel.Cancel();
            };
            using var stdout = new StreamWriter(Cli.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
            var options = new GenerationOptions
            {
                MaxTokens = parse.GetValue(maxTokens),
                Stops = parse.GetValue(stop) ?? [],
                Overflow = overflow,
            };
            var result = generator.Generate(prompt, stdout, options, cancel.Token);
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
}
