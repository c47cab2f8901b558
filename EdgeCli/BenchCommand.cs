using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using EdgeJamba.Generated;
using EdgeJamba.Layout;
using EdgeJamba.Runtime;
using EdgeJamba.Runtime.Import;

namespace EdgeJamba.Cli;

/// <summary>
/// <c>edgejamba bench (--model DIR | --random SHAPE [--dtype f32|bf16|f16] [--quant f32|q8_0|ternary]) [-p 128] [-n 256] [-r 5] [--threads N] [--json] [--csv FILE] [--svg FILE]</c>:
/// prompt-processing and decode speed on this machine, median and range over repeats; the decode latency of every
/// position (flat for recurrent layers, growing for attention) as CSV and an SVG plot; and a streaming-read probe
/// of the memory bandwidth, against which the decode is put as a share of its roofline.
/// With <c>--compare-engines</c>, the specialized code and the generic engine run the same mapped weights in one
/// process, round after round in alternating order, and the speed-up is given per round (median and range): a
/// comparison that separate runs on a shared machine blur.
/// </summary>
internal static class BenchCommand
{
    /// <summary>
    /// The bandwidth probe's working set is the weight bytes a decode step reads, within these bounds: a model whose
    /// weights fit a cache is put against that cache's bandwidth, a larger one against the memory's.
    /// </summary>
    private const int MinProbeBytes = 1 << 20, MaxProbeBytes = 256 << 20;

    /// <summary>Named random-weight shapes: the compiled-in layouts of ModelSpecs/ by their spec names.</summary>
    private static readonly (string Shape, string Layout)[] s_shapes =
        [("stories15M", "Stories15M"), ("stories110M", "Stories110M"), ("mamba-130m", "Mamba130M"), ("jamba-128m", "Jamba128M")];

    public static Command Create()
    {
        var model = Cli.ModelOption();
        var random = new Option<string?>("--random")
        {
            Description = "Seeded random weights of a named shape instead of --model: " + string.Join(", ", s_shapes.Select(s => s.Shape)),
        };
        var dtype = new Option<string>("--dtype")
        {
            Description = "Storage of the --random weights: f32, bf16 or f16 (16-bit weights stay 16-bit in memory)",
            DefaultValueFactory = _ => "f32",
        };
        dtype.AcceptOnlyFromAmong("f32", "bf16", "f16");
        var quant = new Option<string>("--quant")
        {
            Description = "Projections of the --random model: f32, q8_0 or ternary (quantized at load from the random weights, with a q8_0 classifier, as build --quant does)",
            DefaultValueFactory = _ => "f32",
        };
        quant.AcceptOnlyFromAmong("f32", "q8_0", "ternary");
        var prompt = new Option<int>("--prompt-tokens", "-p") { Description = "Prompt tokens to prefill", DefaultValueFactory = _ => 128 };
        var generate = new Option<int>("--gen-tokens", "-n") { Description = "Tokens to decode after the prompt", DefaultValueFactory = _ => 256 };
        var repeat = new Option<int>("--repeat", "-r") { Description = "Repetitions (median and range are reported)", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text" };
        var csv = new Option<string?>("--csv") { Description = "Write the decode latency per position (median over repeats) as CSV" };
        var svg = new Option<string?>("--svg") { Description = "Plot the decode latency per position as SVG" };
        var compare = new Option<bool>("--compare-engines")
        {
            Description = "Run the specialized code and the generic engine on the same weights in one process, interleaved, and report the speed-up of each round",
        };
        var engine = Cli.EngineOption();
        var context = Cli.ContextOption();
        var threads = Cli.ThreadsOption();
        foreach (var o in new[] { prompt, generate, repeat })
        {
            o.Range(1, int.MaxValue);
        }
        var command = new Command("bench", "Measure prefill and decode speed (tokens/s, median and range over repeats) and memory bandwidth")
        {
            model, random, dtype, quant, prompt, generate, repeat, engine, context, threads, json, csv, svg, compare,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            string? directory = parse.GetValue(model), shape = parse.GetValue(random);
            if (directory is not null && shape is not null)
            {
                throw new UsageException("bench: give --model DIR or --random SHAPE (" + string.Join(", ", s_shapes.Select(s => s.Shape)) + "), not both");
            }
            string format = parse.GetValue(quant)!;
            if (shape is null && (format != "f32" || parse.GetValue(dtype) != "f32"))
            {
                throw new UsageException("bench: --dtype and --quant choose the storage of --random weights; a --model folder is measured as it is stored");
            }
            bool compareEngines = parse.GetValue(compare);
            if (compareEngines && parse.GetValue(engine) != EngineChoice.Auto)
            {
                throw new UsageException("bench: --compare-engines runs both engines; drop --engine");
            }
            if (compareEngines && (parse.GetValue(csv) is not null || parse.GetValue(svg) is not null))
            {
                throw new UsageException("bench: the latency CSV and plot are of one engine; drop --compare-engines, or --csv and --svg");
            }
            // The random weights (up to half a gigabyte) live in a temporary folder only until they are loaded: the folder is
            // removed as soon as the model has mapped its files, and by a Ctrl+C or SIGTERM that comes before.
            string? temporary = null;
            using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => DeleteFolder(temporary));
            using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => DeleteFolder(temporary));
            try
            {
                if (shape is not null)
                {
                    temporary = Path.Combine(Path.GetTempPath(), "edgejamba-bench-" + Guid.NewGuid().ToString("N"));
                    var layout = HfConfigImporter.Quantize(RandomLayout(shape), HfConfigImporter.ParseQuant(format), "--quant " + format);
                    RandomCheckpoint.Write(layout, temporary, seed: 1, parse.GetValue(dtype) switch
                    {
                        "bf16" => TensorDType.BF16,
                        "f16" => TensorDType.F16,
                        _ => TensorDType.F32,
                    });
                    directory = temporary;
                }
                using var loaded = Cli.Load(directory, compareEngines ? EngineChoice.Specialized : parse.GetValue(engine), parse.GetValue(context),
                    parse.GetValue(threads));
                DeleteFolder(temporary); // mapped files stay readable until the model is closed
                var settings = new Settings(parse.GetValue(prompt), parse.GetValue(generate), parse.GetValue(repeat));
                string name = shape ?? loaded.Files.Name;
                if (compareEngines)
                {
                    using var generic = new GenericModel(loaded.Layout, loaded.Checkpoint);
                    generic.SetThreads(loaded.Model.Threads);
                    var comparison = Compare(loaded, generic, settings);
                    if (parse.GetValue(json))
                    {
                        WriteJson(comparison, settings, name, loaded);
                    }
                    else
                    {
                        WriteText(comparison, settings, name, loaded);
                    }
                    return Cli.Ok;
                }
                var result = Measure(loaded, settings);
                if (parse.GetValue(csv) is { } csvPath)
                {
                    AtomicFile.Write(csvPath, stream => stream.Write(Encoding.UTF8.GetBytes(Csv(result, settings))));
                }
                if (parse.GetValue(svg) is { } svgPath)
                {
                    AtomicFile.Write(svgPath, stream => stream.Write(Encoding.UTF8.GetBytes(Svg(result, settings, name, loaded.Model))));
                }
                if (parse.GetValue(json))
                {
                    WriteJson(result, settings, name, loaded.Model);
                }
                else
                {
                    WriteText(result, settings, name, loaded);
                }
            }
            finally
            {
                DeleteFolder(temporary);
            }
            return Cli.Ok;
        }));
        return command;
    }

    /// <summary>Removes the random model's temporary folder, if there is one still (best effort: also runs in a signal handler while the folder is being written).</summary>
    private static void DeleteFolder(string? temporary)
    {
        try
        {
            if (temporary is not null && Directory.Exists(temporary))
            {
                Directory.Delete(temporary, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"edgejamba: could not remove the temporary folder {temporary}: {e.Message}");
        }
    }

    private sealed record Settings(int Prompt, int Generate, int Repeat);

    /// <summary>Tokens/s per repeat, the median latency of each decode position, and the bandwidth probe's figures.</summary>
    private sealed record Result(List<double> Prefill, List<double> Decode, double[] LatencyMs, double BandwidthGBs, int ProbeBytes, long WeightBytes, long BytesPerToken);

    private static ModelLayout RandomLayout(string shape)
    {
        var known = s_shapes.FirstOrDefault(s => string.Equals(s.Shape, shape, StringComparison.OrdinalIgnoreCase));
        return known.Layout is null
            ? throw new EdgeJambaException($"--random: unknown shape '{shape}'; known: {string.Join(", ", s_shapes.Select(s => s.Shape))}")
            : GeneratedModels.All.Single(l => l.Name == known.Layout);
    }

    private static Result Measure(LoadedModel loaded, Settings s)
    {
        var m = loaded.Model;
        int[] tokens = PromptTokens(loaded, s);
        var prefill = new List<double>();
        var decode = new List<double>();
        var perToken = new double[s.Repeat][];
        for (int run = 0; run <= s.Repeat; run++) // run 0 warms up (JIT-free under AOT, but caches and page faults)
        {
            double[] latency = new double[s.Generate];
            var (prefillSpeed, decodeSpeed) = RunOnce(m, tokens, s, latency);
            if (run > 0)
            {
                prefill.Add(prefillSpeed);
                decode.Add(decodeSpeed);
                perToken[run - 1] = latency;
            }
        }
        var latencyMs = new double[s.Generate];
        for (int i = 0; i < s.Generate; i++)
        {
            latencyMs[i] = Median([.. perToken.Select(run => run[i])]);
        }
        long weightBytes = WeightBytes(loaded);
        long bytesPerToken = DecodeBytesPerToken(loaded.Layout, loaded.Checkpoint);
        int probeBytes = (int)Math.Clamp(bytesPerToken, MinProbeBytes, MaxProbeBytes);
        return new Result(prefill, decode, latencyMs, m.Workers.MeasureReadBandwidth(probeBytes), probeBytes, weightBytes, bytesPerToken);
    }

    /// <summary>The bytes of the model's weight files.</summary>
    private static long WeightBytes(LoadedModel loaded) => loaded.Checkpoint.Files.Sum(f => f.Length);

    /// <summary>The prompt: <see cref="Settings.Prompt"/> tokens drawn from a fixed seed, the same for every run and engine.</summary>
    private static int[] PromptTokens(LoadedModel loaded, Settings s)
    {
        if (s.Prompt + s.Generate > loaded.Layout.MaxContext)
        {
            throw new EdgeJambaException($"--prompt-tokens + --gen-tokens ({s.Prompt + s.Generate}) exceed the context of {loaded.Layout.MaxContext}; lower them or raise --ctx");
        }
        var random = new Random(1234);
        return [.. Enumerable.Range(0, s.Prompt).Select(_ => random.Next(loaded.Layout.VocabSize))];
    }

    /// <summary>
    /// One run from an empty state: the prompt prefilled, then <see cref="Settings.Generate"/> greedy tokens decoded, each
    /// one's time written to <paramref name="latencyMs"/>; returns the prefill and decode tokens/s.
    /// </summary>
    private static (double Prefill, double Decode) RunOnce(LanguageModel m, int[] tokens, Settings s, double[] latencyMs)
    {
        m.Reset();
        long start = Stopwatch.GetTimestamp();
        var logits = m.Prefill(tokens, 0);
        double prefillSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        int next = Kernels.ArgMax(logits);
        long decodeStart = Stopwatch.GetTimestamp();
        for (int i = 0; i < s.Generate; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            next = Kernels.ArgMax(m.Forward(next, s.Prompt + i));
            latencyMs[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        double decodeSeconds = Stopwatch.GetElapsedTime(decodeStart).TotalSeconds;
        return (s.Prompt / prefillSeconds, s.Generate / decodeSeconds);
    }

    /// <summary>Tokens/s of each engine and the specialized over generic ratio, one entry per round.</summary>
    private sealed record Comparison(List<double> GenericPrefill, List<double> GenericDecode, List<double> SpecializedPrefill, List<double> SpecializedDecode)
    {
        public List<double> PrefillSpeedup => [.. SpecializedPrefill.Zip(GenericPrefill, (a, b) => a / b)];

        public List<double> DecodeSpeedup => [.. SpecializedDecode.Zip(GenericDecode, (a, b) => a / b)];
    }

    /// <summary>
    /// <see cref="Settings.Repeat"/> rounds after one warm-up round; in each, both engines make the same run, generic first in
    /// even rounds and specialized first in odd ones, so a drift of the machine's speed falls on both alike.
    /// </summary>
    private static Comparison Compare(LoadedModel loaded, LanguageModel generic, Settings s)
    {
        int[] tokens = PromptTokens(loaded, s);
        double[] latency = new double[s.Generate];
        var c = new Comparison([], [], [], []);
        for (int round = 0; round <= s.Repeat; round++)
        {
            bool genericFirst = round % 2 == 0;
            var first = RunOnce(genericFirst ? generic : loaded.Model, tokens, s, latency);
            var second = RunOnce(genericFirst ? loaded.Model : generic, tokens, s, latency);
            if (round > 0)
            {
                var (g, sp) = genericFirst ? (first, second) : (second, first);
                c.GenericPrefill.Add(g.Prefill);
                c.GenericDecode.Add(g.Decode);
                c.SpecializedPrefill.Add(sp.Prefill);
                c.SpecializedDecode.Add(sp.Decode);
            }
        }
        return c;
    }

    /// <summary>
    /// Weight bytes one decode step reads, at the size the products read them (stored, or the copy quantized at load): every
    /// tensor once, except the embedding table (one row) unless it is also the classifier, and only the top-k of each
    /// mixture's experts. The KV cache reads come on top (small at these contexts).
    /// </summary>
    private static long DecodeBytesPerToken(ModelLayout layout, Checkpoint checkpoint)
    {
        double bytes = 0;
        var experts = layout.Layers.Where(l => l.Ffn is MoeLayout).ToDictionary(l => l.Index, l => (MoeLayout)l.Ffn);
        foreach (var t in LayoutTensors.All(layout))
        {
            int element = checkpoint.Info(t.Name).DType.ByteSize();
            double size = checkpoint.HeldBytes(t.Name) ?? (double)t.Rows * t.Cols * element;
            if (t.Role == TensorRole.Embedding)
            {
                // One row looked up; all of it again when it is the classifier (a q8_0 copy of it when the head is q8_0).
                size = (t.Cols * element) + (layout.TieEmbeddings ? size : 0);
            }
            else if (t.Name.Contains(".experts.", StringComparison.Ordinal) && ExpertLayer(t.Name) is int i && experts.TryGetValue(i, out var moe))
            {
                size *= (double)moe.TopK / moe.Experts;
            }
            bytes += size;
        }
        return (long)bytes;
    }

    /// <summary>The layer index of a tensor name of the form <c>...layers.{i}...</c>.</summary>
    private static int? ExpertLayer(string name)
    {
        int at = name.IndexOf("layers.", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        int start = at + "layers.".Length, end = name.IndexOf('.', start);
        return int.TryParse(name.AsSpan(start, end - start), NumberStyles.None, CultureInfo.InvariantCulture, out int i) ? i : null;
    }

    private static void WriteText(Result r, Settings s, string name, LoadedModel loaded)
    {
        var m = loaded.Model;
        int window = Math.Max(1, s.Generate / 8);
        var o = Console.Out;
        double roofline = r.BandwidthGBs * 1e9 / r.BytesPerToken;
        o.WriteLine(Invariant($"model: {name} ({loaded.Layout.Layers.Count} layers, engine {m.EngineName}, {m.Threads} thread{(m.Threads == 1 ? "" : "s")}, weights {r.WeightBytes / 1e6:F1} MB)"));
        o.WriteLine(Invariant($"prefill {s.Prompt,5} tokens: {Summary(r.Prefill)} tok/s"));
        o.WriteLine(Invariant($"decode  {s.Generate,5} tokens: {Summary(r.Decode)} tok/s"));
        o.WriteLine(Invariant(
            $"decode cost, positions {s.Prompt}..{s.Prompt + window - 1}: {Format(r.LatencyMs.Take(window).Average())} ms/token; positions {s.Prompt + s.Generate - window}..{s.Prompt + s.Generate - 1}: {Format(r.LatencyMs.Skip(s.Generate - window).Average())} ms/token"));
        o.WriteLine(Invariant(
            $"memory: streaming read of {r.ProbeBytes / 1e6:F1} MB at {r.BandwidthGBs:F1} GB/s; decode reads {r.BytesPerToken / 1e6:F1} MB/token, roofline {Format(roofline)} tok/s; decode at {100 * Median(r.Decode) / roofline:F0}% of it"));
    }

    private static void WriteText(Comparison c, Settings s, string name, LoadedModel loaded)
    {
        var o = Console.Out;
        int threads = loaded.Model.Threads;
        o.WriteLine(Invariant($"model: {name} ({loaded.Layout.Layers.Count} layers, {threads} thread{(threads == 1 ? "" : "s")}, weights {WeightBytes(loaded) / 1e6:F1} MB): specialized against generic, {s.Repeat} interleaved rounds"));
        o.WriteLine(Invariant($"prefill {s.Prompt,5} tokens: generic {Summary(c.GenericPrefill)}, specialized {Summary(c.SpecializedPrefill)} tok/s; speed-up {Ratio(c.PrefillSpeedup)}"));
        o.WriteLine(Invariant($"decode  {s.Generate,5} tokens: generic {Summary(c.GenericDecode)}, specialized {Summary(c.SpecializedDecode)} tok/s; speed-up {Ratio(c.DecodeSpeedup)}"));
    }

    private static void WriteJson(Comparison c, Settings s, string name, LoadedModel loaded)
    {
        using var stream = Console.OpenStandardOutput();
        using (var j = new Utf8JsonWriter(stream))
        {
            j.WriteStartObject();
            j.WriteString("model", name);
            j.WriteNumber("threads", loaded.Model.Threads);
            j.WriteNumber("weight_bytes", WeightBytes(loaded));
            j.WriteNumber("prompt_tokens", s.Prompt);
            j.WriteNumber("gen_tokens", s.Generate);
            j.WriteNumber("repeats", s.Repeat);
            foreach (var (engine, prefill, decode) in new[] { ("generic", c.GenericPrefill, c.GenericDecode), ("specialized", c.SpecializedPrefill, c.SpecializedDecode) })
            {
                j.WriteStartObject(engine);
                Stat(j, "prefill_tokens_per_s", prefill);
                Stat(j, "decode_tokens_per_s", decode);
                j.WriteEndObject();
            }
            Stat(j, "prefill_speedup", c.PrefillSpeedup, 3);
            Stat(j, "decode_speedup", c.DecodeSpeedup, 3);
            j.WriteEndObject();
        }
        Console.Out.WriteLine();
    }

    private static void WriteJson(Result r, Settings s, string name, LanguageModel m)
    {
        using var stream = Console.OpenStandardOutput();
        using (var j = new Utf8JsonWriter(stream))
        {
            double roofline = r.BandwidthGBs * 1e9 / r.BytesPerToken;
            j.WriteStartObject();
            j.WriteString("model", name);
            j.WriteString("engine", m.EngineName);
            j.WriteNumber("threads", m.Threads);
            j.WriteNumber("weight_bytes", r.WeightBytes);
            j.WriteNumber("prompt_tokens", s.Prompt);
            j.WriteNumber("gen_tokens", s.Generate);
            j.WriteNumber("repeats", s.Repeat);
            Stat(j, "prefill_tokens_per_s", r.Prefill);
            Stat(j, "decode_tokens_per_s", r.Decode);
            j.WriteNumber("decode_ms_first", Math.Round(r.LatencyMs.Take(Math.Max(1, s.Generate / 8)).Average(), 4));
            j.WriteNumber("decode_ms_last", Math.Round(r.LatencyMs.Skip(s.Generate - Math.Max(1, s.Generate / 8)).Average(), 4));
            j.WriteNumber("bandwidth_gb_per_s", Math.Round(r.BandwidthGBs, 2));
            j.WriteNumber("bandwidth_probe_bytes", r.ProbeBytes);
            j.WriteNumber("decode_bytes_per_token", r.BytesPerToken);
            j.WriteNumber("decode_roofline_tokens_per_s", Math.Round(roofline, 1));
            j.WriteNumber("decode_percent_of_roofline", Math.Round(100 * Median(r.Decode) / roofline, 1));
            j.WriteEndObject();
        }
        Console.Out.WriteLine();
    }

    /// <summary><c>name</c> (the median), <c>name_min</c>, <c>name_max</c>.</summary>
    private static void Stat(Utf8JsonWriter j, string name, List<double> values, int digits = 2)
    {
        j.WriteNumber(name, Math.Round(Median(values), digits));
        j.WriteNumber(name + "_min", Math.Round(values.Min(), digits));
        j.WriteNumber(name + "_max", Math.Round(values.Max(), digits));
    }

    private static string Csv(Result r, Settings s)
    {
        var b = new StringBuilder("position,decode_ms\n");
        for (int i = 0; i < r.LatencyMs.Length; i++)
        {
            b.Append(Invariant($"{s.Prompt + i},{r.LatencyMs[i]:F4}\n"));
        }
        return b.ToString();
    }

    /// <summary>A line plot of the decode latency against the position, with labelled axes.</summary>
    private static string Svg(Result r, Settings s, string name, LanguageModel m)
    {
        const int width = 720, height = 400, left = 60, right = 20, top = 40, bottom = 50;
        double maxMs = r.LatencyMs.Max() * 1.1, first = s.Prompt, last = s.Prompt + s.Generate - 1;
        double X(double position) => left + ((position - first) / Math.Max(1, last - first) * (width - left - right));
        double Y(double ms) => height - bottom - (ms / maxMs * (height - top - bottom));
        var b = new StringBuilder();
        b.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        b.Append(Invariant($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"));
        b.Append(Invariant($"<text x=\"{left}\" y=\"20\" font-size=\"14\">{Escape(name)}: decode latency per position ({m.EngineName}, {m.Threads} threads, median of {s.Repeat})</text>\n"));
        b.Append(Invariant($"<line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width - right}\" y2=\"{height - bottom}\" stroke=\"black\"/>\n"));
        b.Append(Invariant($"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{height - bottom}\" stroke=\"black\"/>\n"));
        for (int k = 0; k <= 4; k++)
        {
            double ms = maxMs * k / 4, position = first + ((last - first) * k / 4);
            b.Append(Invariant($"<text x=\"{left - 6}\" y=\"{Y(ms) + 4:F1}\" text-anchor=\"end\">{Format(ms)}</text>\n"));
            b.Append(Invariant($"<text x=\"{X(position):F1}\" y=\"{height - bottom + 16}\" text-anchor=\"middle\">{position:F0}</text>\n"));
        }
        b.Append(Invariant($"<text x=\"{(left + width - right) / 2}\" y=\"{height - 10}\" text-anchor=\"middle\">context position</text>\n"));
        b.Append(Invariant($"<text x=\"14\" y=\"{(top + height - bottom) / 2}\" transform=\"rotate(-90 14 {(top + height - bottom) / 2})\" text-anchor=\"middle\">ms per token</text>\n"));
        b.Append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1\" points=\"");
        for (int i = 0; i < r.LatencyMs.Length; i++)
        {
            b.Append(Invariant($"{X(s.Prompt + i):F1},{Y(r.LatencyMs[i]):F1} "));
        }
        b.Append("\"/>\n</svg>\n");
        return b.ToString();
    }

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);

    /// <summary>"median (min..max)" over the repeats.</summary>
    private static string Summary(List<double> values) => Invariant($"{Format(Median(values))} ({Format(values.Min())}..{Format(values.Max())})");

    /// <summary>"median× (min..max× per round)".</summary>
    private static string Ratio(List<double> values) =>
        Invariant($"{Median(values):F2}x ({values.Min():F2}..{values.Max():F2}x per round)");

    private static double Median(IReadOnlyCollection<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Format(double value) => value >= 100 ? value.ToString("F0", CultureInfo.InvariantCulture) : value.ToString("G3", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
