using System.Runtime.InteropServices;
using System.Text.Json;
using EdgeJamba.Tests;

namespace EdgeJamba.Cli.Tests;

[Collection(AotCollection.Name)]
public sealed class CliTests(AotBinary binary)
{
    [SkippableFact]
    public void Stories260K_GreedyFromStdin_PrintsTheReferenceContinuation()
    {
        string model = SharedData.RequireDirectory("models/stories260K");
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(SharedData.RequireDirectory("reference/stories260K"), "manifest.json")));
        var greedy = manifest.RootElement.GetProperty("greedy");
        string prompt = greedy.GetProperty("prompt").GetString()!;
        string expected = greedy.GetProperty("text").GetString()!;
        int generate = greedy.GetProperty("tokens").GetArrayLength() - greedy.GetProperty("prompt_tokens").GetArrayLength();

        var result = binary.Run(prompt, "--model", model, "--greedy", "-n", generate.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(expected, prompt + result.StdOut);
        Assert.DoesNotContain("generic", result.StdErr, StringComparison.Ordinal); // stories260K's layout is compiled in
    }

    [SkippableTheory]
    [InlineData("llama-gqa", "specialized")]
    [InlineData("llama-gqa", "generic")]
    [InlineData("jamba-tiny-b", "specialized")]
    [InlineData("mamba-untied", "generic")]
    [InlineData("bitnet-tied", "specialized")]
    [InlineData("bitnet-untied", "generic")]
    public void Logits_MatchTheReferenceSet(string set, string engine) =>
        ReferenceLogits.AssertMatch(set, Path.Combine(binary.TempDirectory, set + "-" + engine + ".f32"), args => binary.Run(null, args),
            $"on the {engine} engine", "--engine", engine);

    [SkippableFact]
    public void Import_with_quant_writes_the_projection_format_and_refuses_one_the_family_cannot_take()
    {
        string llama = Path.Combine(SharedData.RequireDirectory("reference/llama-gqa"), "hf");
        string bitnet = Path.Combine(SharedData.RequireDirectory("reference/bitnet-tied"), "hf");

        var q8 = binary.Run(null, "import", llama, "--quant", "q8_0");
        Assert.True(q8.ExitCode == 0, q8.StdErr);
        Assert.Contains("\"projections\": \"q8_0\"", q8.StdOut, StringComparison.Ordinal);

        var ternary = binary.Run(null, "import", bitnet);
        Assert.True(ternary.ExitCode == 0, ternary.StdErr);
        Assert.Contains("\"projections\": \"ternary\"", ternary.StdOut, StringComparison.Ordinal);
        Assert.Contains("\"ternary_scale\": \"multiply\"", ternary.StdOut, StringComparison.Ordinal);

        var refused = binary.Run(null, "import", bitnet, "--quant", "q8_0");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("EJ0011", refused.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", refused.StdErr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void SameSeed_SameText_AndStopStringEndsOutputBeforeIt()
    {
        string model = SharedData.RequireDirectory("models/stories260K");
        var first = binary.Run("Once upon a time", "--model", model, "--seed", "42", "-n", "80");
        var second = binary.Run("Once upon a time", "--model", model, "--seed", "42", "-n", "80");
        Assert.Equal(0, first.ExitCode);
        Assert.Equal(first.StdOut, second.StdOut);
        Assert.True(first.StdOut.Length > 20);

        var greedy = binary.Run("Once upon a time", "--model", model, "--greedy", "-n", "60");
        var stopped = binary.Run("Once upon a time", "--model", model, "--greedy", "-n", "60", "--stop", "Lily");
        int at = greedy.StdOut.IndexOf("Lily", StringComparison.Ordinal);
        Assert.True(at > 0);
        Assert.Equal(greedy.StdOut[..at], stopped.StdOut);
    }

    [Fact]
    public void MissingModelFolder_IsOneClearLineAndExitCode1()
    {
        var result = binary.Run("hi", "--model", "/nonexistent/model");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("/nonexistent/model", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StdErr, StringComparison.Ordinal);
        Assert.Empty(result.StdOut);
    }

    [Theory]
    [InlineData("--top-p", "7", "TopP")]
    [InlineData("--max-tokens", "-3", "--max-tokens")]
    [InlineData("--temperature", "hot", "hot")]
    public void OutOfRangeFlag_IsRefusedWithItsName(string flag, string value, string named)
    {
        var result = binary.Run("hi", "--model", "/nonexistent/model", flag, value);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(named, result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StdErr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Logits_BadTokenOrMissingFolder_WritesNothing()
    {
        string model = SharedData.RequireDirectory("models/stories260K");
        string output = Path.Combine(binary.TempDirectory, "never.f32");
        var badToken = binary.Run(null, "logits", "--model", model, "--tokens", "1,2,9999", "--out", output);
        Assert.Equal(1, badToken.ExitCode);
        Assert.Contains("9999", badToken.StdErr, StringComparison.Ordinal);
        Assert.Contains("position 2", badToken.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));

        var noFolder = binary.Run(null, "logits", "--model", model, "--tokens", "1,2", "--out", "/nonexistent/dir/x.f32");
        Assert.Equal(1, noFolder.ExitCode);
        Assert.Contains("/nonexistent/dir", noFolder.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultLayout_RandomModel_RunsOnTheSpecializedEngine()
    {
        string folder = Path.Combine(binary.TempDirectory, "default-model");
        var make = binary.Run(null, "random-model", "--spec", Path.Combine(SharedData.RepoRoot, "ModelSpecs", "default.model.json"), "-o", folder, "--seed", "3");
        Assert.True(make.ExitCode == 0, make.StdErr);

        var run = binary.Run("Hello", "--model", folder, "-n", "16", "--seed", "1", "--stats");
        Assert.True(run.ExitCode == 0, run.StdErr);
        Assert.Contains("engine specialized", run.StdErr, StringComparison.Ordinal);
        Assert.Contains("generated 16 tokens", run.StdErr, StringComparison.Ordinal);
    }

    /// <summary>The thread count changes who computes each row, never the result: same seed, same bytes.</summary>
    [Theory]
    [InlineData("specialized")]
    [InlineData("generic")]
    public void Threads_DoNotChangeTheTextOrTheLogits(string engine)
    {
        string folder = Path.Combine(binary.TempDirectory, "threads-model-" + engine);
        var make = binary.Run(null, "random-model", "--spec", Path.Combine(SharedData.RepoRoot, "ModelSpecs", "default.model.json"), "-o", folder, "--seed", "4");
        Assert.True(make.ExitCode == 0, make.StdErr);

        var one = binary.Run("Hello", "--model", folder, "-n", "48", "--seed", "9", "--engine", engine, "--threads", "1");
        var two = binary.Run("Hello", "--model", folder, "-n", "48", "--seed", "9", "--engine", engine, "--threads", "2");
        Assert.True(one.ExitCode == 0 && two.ExitCode == 0, one.StdErr + two.StdErr);
        Assert.True(one.StdOut.Length > 0);
        Assert.Equal(one.StdOut, two.StdOut);

        string tokens = string.Join(',', Enumerable.Range(0, 24).Select(i => (i * 37 % 256).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var files = new[] { 1, 3 }.Select(threads =>
        {
            string output = Path.Combine(binary.TempDirectory, $"threads-{engine}-{threads}.f32");
            var run = binary.Run(null, "logits", "--model", folder, "--tokens", tokens, "--out", output, "--engine", engine, "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(run.ExitCode == 0, run.StdErr);
            return File.ReadAllBytes(output);
        }).ToList();
        Assert.Equal(files[0], files[1]);
    }

    [Theory]
    [InlineData("specialized", "f32")]
    [InlineData("generic", "bf16")]
    public void Bench_RandomShape_PrintsOneJsonObject(string engine, string dtype)
    {
        string csv = Path.Combine(binary.TempDirectory, $"bench-{engine}.csv"), svg = Path.Combine(binary.TempDirectory, $"bench-{engine}.svg");
        var run = binary.Run(null, "bench", "--random", "stories15M", "--dtype", dtype, "--engine", engine, "-p", "4", "-n", "8", "-r", "1", "--threads", "2",
            "--json", "--csv", csv, "--svg", svg);
        Assert.True(run.ExitCode == 0, run.StdErr);
        using var json = JsonDocument.Parse(run.StdOut);
        var root = json.RootElement;
        Assert.Equal(engine, root.GetProperty("engine").GetString());
        Assert.Equal(2, root.GetProperty("threads").GetInt32());
        // stories15M: 6 layers of dim 288 / FFN 768 plus the tied 32000 x 288 embedding, 24.4M weights.
        long weights = (32000L * 288) + (6 * ((4L * 288 * 288) + (3L * 288 * 768) + (2 * 288))) + 288;
        Assert.InRange(root.GetProperty("weight_bytes").GetInt64(), weights * (dtype == "f32" ? 4 : 2), (weights * (dtype == "f32" ? 4 : 2)) + 65536);
        foreach (string key in new[] { "decode_tokens_per_s", "prefill_tokens_per_s", "bandwidth_gb_per_s" })
        {
            Assert.True(root.GetProperty(key).GetDouble() > 0, key);
        }
        Assert.True(root.GetProperty("decode_tokens_per_s_min").GetDouble() <= root.GetProperty("decode_tokens_per_s_max").GetDouble());
        // The bandwidth probe reads a working set of the decode's own size (tens of MB here, within its bounds).
        Assert.Equal(root.GetProperty("decode_bytes_per_token").GetInt64(), root.GetProperty("bandwidth_probe_bytes").GetInt64());
        Assert.Equal(9, File.ReadAllLines(csv).Length); // header + 8 positions
        Assert.StartsWith("<svg", File.ReadAllText(svg), StringComparison.Ordinal);
    }

    /// <summary>
    /// <c>--compare-engines</c> runs both engines on the embedded model's weights, round after round: each engine's speeds and
    /// the specialized over generic ratio of each round, summarized. A round's ratio lies between the slowest specialized run
    /// over the fastest generic one and the fastest specialized over the slowest generic, which bounds the reported range.
    /// </summary>
    [Fact]
    public void Bench_CompareEngines_ReportsBothEnginesAndTheSpeedUpOfEachRound()
    {
        var run = binary.Run(null, "bench", "--compare-engines", "-p", "4", "-n", "16", "-r", "3", "--threads", "1", "--json");
        Assert.True(run.ExitCode == 0, run.StdErr);
        using var json = JsonDocument.Parse(run.StdOut);
        var root = json.RootElement;
        Assert.Equal(3, root.GetProperty("repeats").GetInt32());
        Assert.Equal(1, root.GetProperty("threads").GetInt32());
        foreach (string kind in new[] { "prefill", "decode" })
        {
            var generic = root.GetProperty("generic");
            var specialized = root.GetProperty("specialized");
            double Speed(JsonElement engine, string suffix) => engine.GetProperty(kind + "_tokens_per_s" + suffix).GetDouble();
            Assert.True(Speed(generic, "_min") > 0 && Speed(specialized, "_min") > 0, kind);
            Assert.InRange(Speed(generic, ""), Speed(generic, "_min"), Speed(generic, "_max"));
            Assert.InRange(Speed(specialized, ""), Speed(specialized, "_min"), Speed(specialized, "_max"));
            double ratio = root.GetProperty(kind + "_speedup").GetDouble(), low = root.GetProperty(kind + "_speedup_min").GetDouble(),
                high = root.GetProperty(kind + "_speedup_max").GetDouble();
            Assert.InRange(ratio, low, high);
            Assert.True(low >= (Speed(specialized, "_min") / Speed(generic, "_max")) - 0.002, $"{kind}: lowest round {low}");
            Assert.True(high <= (Speed(specialized, "_max") / Speed(generic, "_min")) + 0.002, $"{kind}: highest round {high}");
        }

        var text = binary.Run(null, "bench", "--compare-engines", "-p", "2", "-n", "4", "-r", "1");
        Assert.True(text.ExitCode == 0, text.StdErr);
        Assert.Contains("specialized against generic, 1 interleaved rounds", text.StdOut, StringComparison.Ordinal);
        Assert.Contains("speed-up", text.StdOut, StringComparison.Ordinal);
    }

    /// <summary>A comparison runs both engines, so it takes no <c>--engine</c>, and has no single latency curve to write.</summary>
    [Theory]
    [InlineData("--engine", "generic", "drop --engine")]
    [InlineData("--csv", "latency.csv", "drop --compare-engines, or --csv and --svg")]
    [InlineData("--svg", "latency.svg", "drop --compare-engines, or --csv and --svg")]
    public void Bench_CompareEngines_RefusesWhatItCannotHonour(string option, string value, string advice)
    {
        string argument = option == "--engine" ? value : Path.Combine(binary.TempDirectory, value);
        var run = binary.Run(null, "bench", "--compare-engines", option, argument, "-n", "1", "-r", "1");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(advice, run.StdErr, StringComparison.Ordinal);
        Assert.False(option != "--engine" && File.Exists(argument), "nothing written");
    }

    /// <summary>A layout without compiled-in code has no specialized engine to compare: an error that says so, exit code 1.</summary>
    [Fact]
    public void Bench_CompareEngines_NeedsTheSpecializedCode()
    {
        string spec = Path.Combine(binary.TempDirectory, "uncompiled.model.json");
        File.WriteAllText(spec, File.ReadAllText(Path.Combine(SharedData.RepoRoot, "ModelSpecs", "default.model.json"))
            .Replace("\"EdgeJambaDefault\"", "\"Uncompiled\"", StringComparison.Ordinal)
            .Replace("\"intermediate_size\": 256", "\"intermediate_size\": 192", StringComparison.Ordinal));
        string folder = Path.Combine(binary.TempDirectory, "uncompiled-model");
        var make = binary.Run(null, "random-model", "--spec", spec, "-o", folder, "--seed", "5");
        Assert.True(make.ExitCode == 0, make.StdErr);
        var run = binary.Run(null, "bench", "--compare-engines", "--model", folder, "-n", "1", "-r", "1");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("no specialized code is compiled in for this layout", run.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.StdErr, StringComparison.Ordinal);
    }

    /// <summary>
    /// <c>--quant</c> quantizes the random projections and the classifier at load: the bytes one decode step reads shrink to
    /// what q8_0 (34..36 bytes per 32 weights) and ternary (2 bits, classifier q8_0) hold, on the compiled-in q8_0 and ternary
    /// jamba-128m layouts' specialized code.
    /// </summary>
    [Fact]
    public void Bench_RandomShape_Quant_ReadsTheQuantizedBytes()
    {
        var bytes = new Dictionary<string, long>();
        foreach (string quant in new[] { "f32", "q8_0", "ternary" })
        {
            var run = binary.Run(null, "bench", "--random", "jamba-128m", "--quant", quant, "-p", "2", "-n", "2", "-r", "1", "--json");
            Assert.True(run.ExitCode == 0, run.StdErr);
            using var json = JsonDocument.Parse(run.StdOut);
            Assert.Equal("specialized", json.RootElement.GetProperty("engine").GetString());
            bytes[quant] = json.RootElement.GetProperty("decode_bytes_per_token").GetInt64();
        }
        // jamba-128m reads ~85M float weights per token (top-2 of 4 experts); the classifier and all projections but x_proj,
        // dt_proj and the router go 8-bit or 2-bit.
        Assert.InRange(bytes["q8_0"], bytes["f32"] * 0.26, bytes["f32"] * 0.32);
        Assert.InRange(bytes["ternary"], bytes["f32"] * 0.07, bytes["f32"] * 0.12);

        var refused = binary.Run(null, "bench", "--model", binary.TempDirectory, "--quant", "q8_0");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--random", refused.StdErr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Binary_DependsOnlyOnLibcAndLibm()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "ldd is Linux-only");
        var ldd = AotBinary.RunProcess("ldd", [binary.Path_], null, TimeSpan.FromSeconds(30));
        var libraries = ldd.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ')[0])
            .Where(name => !name.StartsWith("linux-vdso", StringComparison.Ordinal) && !name.Contains("ld-linux", StringComparison.Ordinal))
            .ToList();
        Assert.All(libraries, name => Assert.True(name.StartsWith("libc.so", StringComparison.Ordinal) || name.StartsWith("libm.so", StringComparison.Ordinal), name));
    }
}
