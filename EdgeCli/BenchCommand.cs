using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EdgeJamba.Runtime;

namespace EdgeJamba.Cli;

/// <summary>
/// <c>edgejamba bench --model DIR [-p 128] [-n 256] [--repeat 5]</c>: prompt-processing and decode speed of a
/// model on this machine, with the median and the spread over repeats, and the decode cost at the start
/// and at the end of the run (flat for recurrent layers, growing with position for attention).
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = Cli.ModelOption();
        var prompt = new Option<int>("--prompt-tokens", "-p") { Description = "Prompt tokens to prefill", DefaultValueFactory = _ => 128 };
        var generate = new Option<int>("--gen-tokens", "-n") { Description = "Tokens to decode after the prompt", DefaultValueFactory = _ => 256 };
        var repeat = new Option<int>("--repeat", "-r") { Description = "Repetitions (median and range are reported)", DefaultValueFactory = _ => 5 };
        var engine = Cli.EngineOption();
        var context = Cli.ContextOption();
        foreach (var o in new[] { prompt, generate, repeat })
        {
            o.Range(1, int.MaxValue);
        }
        var command = new Command("bench", "Measure prefill and decode speed (tokens/s, median and range over repeats)") { model, prompt, generate, repeat, engine, context };
        command.SetAction(parse => Cli.Run(() =>
        {
            using var loaded = Cli.Load(parse.GetValue(model), parse.GetValue(engine), parse.GetValue(context));
            var m = loaded.Model;
            int p = parse.GetValue(prompt), n = parse.GetValue(generate), r = parse.GetValue(repeat);
            if (p + n > loaded.Layout.MaxContext)
            {
                throw new EdgeJambaException($"--prompt-tokens + --gen-tokens ({p + n}) exceed the context of {loaded.Layout.MaxContext}; lower them or raise --ctx");
            }
            var random = new Random(1234);
            var tokens = Enumerable.Range(0, p).Select(_ => random.Next(loaded.Layout.VocabSize)).ToArray();
            var prefill = new List<double>();
            var decode = new List<double>();
            var early = new List<double>();
            var late = new List<double>();
            int window = Math.Max(1, n / 8);
            var perToken = new double[n];
            for (int run = 0; run <= r; run++) // run 0 warms up (JIT-free under AOT, but caches and page faults)
            {
                m.Reset();
                long start = Stopwatch.GetTimestamp();
                var logits = m.Prefill(tokens, 0);
                double prefillSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                int next = Kernels.ArgMax(logits);
                long decodeStart = Stopwatch.GetTimestamp();
                for (int i = 0; i < n; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    next = Kernels.ArgMax(m.Forward(next, p + i));
                    perToken[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                }
                double decodeSeconds = Stopwatch.GetElapsedTime(decodeStart).TotalSeconds;
                if (run > 0)
                {
                    prefill.Add(p / prefillSeconds);
                    decode.Add(n / decodeSeconds);
                    early.Add(perToken.Take(window).Average());
                    late.Add(perToken.Skip(n - window).Average());
                }
            }
            var o = Console.Out;
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"model: {loaded.Files.Name} ({loaded.Layout.Layers.Count} layers, engine {m.EngineName}, 1 thread)"));
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"prefill {p,5} tokens: {Summary(prefill)} tok/s"));
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"decode  {n,5} tokens: {Summary(decode)} tok/s"));
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"decode cost, positions {p}..{p + window - 1}: {Summary(early)} ms/token; positions {p + n - window}..{p + n - 1}: {Summary(late)} ms/token"));
            return Cli.Ok;
        }));
        return command;
    }

    /// <summary>"median (min..max)" over the repeats.</summary>
    private static string Summary(List<double> values)
    {
        var sorted = values.Order().ToArray();
        double median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        return string.Create(CultureInfo.InvariantCulture, $"{Format(median)} ({Format(sorted[0])}..{Format(sorted[^1])})");
    }

    private static string Format(double value) => value >= 100 ? value.ToString("F0", CultureInfo.InvariantCulture) : value.ToString("G3", CultureInfo.InvariantCulture);
}
