using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeJamba.Tests;

namespace EdgeJamba.Cli.Tests;

/// <summary>
/// The catalogue of hostile inputs, end to end through the AOT binary: every malformed spec, checkpoint, config,
/// tokenizer, snapshot, stdin and flag gets exit code 1 and one message naming the file, field, tensor or byte,
/// never a stack trace; warnings (extra tensors, missing tokenizer, invalid UTF-8) let the run go on.
/// Corrupted copies of stories260K are written to temp folders.
/// </summary>
[Collection(AotCollection.Name)]
public sealed partial class HostileCliTests(AotBinary binary)
{
    private const string Q = "model.layers.0.self_attn.q_proj.weight";
    private const string Up = "model.layers.0.mlp.up_proj.weight";

    public static TheoryData<string, int, string> CheckpointCases => new()
    {
        { "truncated", 1, "data_offsets" },
        { "four-bytes", 1, "is 4 bytes long; it must start with an 8-byte header length" },
        { "header-length-too-large", 1, "header length 1000000000 (bytes 0-7) is larger than" },
        { "header-not-json", 1, "is not valid JSON" },
        { "header-not-object", 1, "the header is a JSON Array, not an object" },
        { "header-invalid-utf8", 1, "the header is not valid UTF-8 (file byte" },
        { "duplicate-name", 1, "appears twice in the header" },
        { "overlapping", 1, "overlaps tensor" },
        { "reversed-offsets", 1, "must satisfy 0 <= begin <= end" },
        { "offsets-outside", 1, "must satisfy 0 <= begin <= end" },
        { "length-not-shape", 1, "but shape [173, 64] of F32 needs 44288" },
        { "unsupported-dtype", 1, "field 'dtype' is \"F8_E4M3\"; supported dtypes are" },
        { "integer-dtype", 1, $"tensor '{Up}' in" },
        { "missing-tensor", 1, $"tensor '{Up}' not found" },
        { "wrong-shape", 1, "expected shape [172, 64] or [172, 1, 64], found [64, 172] F32" },
        { "extra-tensors", 0, "2 checkpoint tensor(s) are not part of the layout and are ignored: extra.bias, lm_head.weight" },
        { "nan-weight", 1, "are not finite (NaN or infinity)" },
        { "no-config", 1, "config.json: not found" },
        { "config-not-json", 1, "config.json: not valid JSON" },
        { "config-not-object", 1, "config.json: must hold a JSON object" },
        { "config-model-type", 1, "model_type 'gpt2' is not supported; supported: llama" },
        { "config-zero-heads", 1, "config.json: 'num_attention_heads' must be at least 1, not 0" },
        { "config-wrong-type", 1, "config.json: 'hidden_size' must be an integer, not string \"64\"" },
        { "config-absurd-size", 1, "config.json: EJ0006: 'hidden_size' is 2000000000" },
        { "no-tokenizer", 0, "has no tokenizer.json or tokenizer.model; using the byte tokenizer" },
        { "tokenizer-truncated", 1, "tokenizer.model: not a SentencePiece model" },
        { "tokenizer-json-wordpiece", 1, "tokenizer.json: unsupported tokenizer.json: model type 'WordPiece'" },
        { "tokenizer-json-corrupt", 1, "tokenizer.json: invalid JSON" },
        { "tokenizer-config-type", 1, "tokenizer_config.json: \"add_bos_token\" must be true or false" },
    };

    [SkippableTheory]
    [MemberData(nameof(CheckpointCases))]
    public void Stories260K_Corrupted_IsRefusedOrWarnedAbout_NamingWhat(string corruption, int exitCode, string message)
    {
        string folder = CorruptedCopy(corruption);
        var result = binary.Run("Once upon a time", "--model", folder, "-n", "4", "--greedy");
        AssertClean(result, exitCode, message);
        if (exitCode == 1 && corruption != "nan-weight") // NaN logits are found while running: the message names the position and --check-weights
        {
            Assert.Contains(folder, result.StdErr, StringComparison.Ordinal); // the message names the file
        }
    }

    [SkippableFact]
    public void NanWeight_WithCheckWeights_NamesTheTensorAndElement()
    {
        var result = binary.Run("Once", "--model", CorruptedCopy("nan-weight"), "-n", "4", "--check-weights");
        AssertClean(result, 1, $"warning: tensor '{Up}' in '");
        Assert.Contains("has a non-finite weight (NaN) at element 7 of [172, 64]", result.StdErr, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> SpecCases => new()
    {
        { "malformed", "\"layers\": [", "(11,13): error EJ0001: malformed JSON: unexpected end of the file" },
        { "wrong-type", "\"hidden_size\": 64", "error EJ0003: 'hidden_size' must be an integer, not a string" },
        { "unknown-kind", "\"kind\": \"attention\"", "error EJ0005: unknown kind 'transformer'" },
        { "negative", "\"hidden_size\": 64", "error EJ0006: 'hidden_size' is -64; it must be between 1 and 16777216" },
        { "zero-layers", "\"layers\": [", "error EJ0006: 'layers' is empty; a model needs at least one layer" },
        { "overflowing-product", "\"vocab_size\": 512", "error EJ0009: the embedding matrix (vocab_size x hidden_size) would have" },
        { "huge-context", "\"max_context\": 512", "error EJ0009: the state arena (KV cache at max_context plus recurrent state) would have" },
    };

    [Theory]
    [MemberData(nameof(SpecCases))]
    public void BadSpec_IsRefusedWithTheEjDiagnostic_ByRandomModelAndInAModelFolder(string name, string anchor, string message)
    {
        string text = File.ReadAllText(Path.Combine(SharedData.RepoRoot, "ModelSpecs", "stories260k.model.json"));
        Assert.Contains(anchor, text, StringComparison.Ordinal);
        string bad = name switch
        {
            "malformed" => text[..text.IndexOf(anchor, StringComparison.Ordinal)] + "\"layers\": ",
            "wrong-type" => text.Replace(anchor, "\"hidden_size\": \"64\"", StringComparison.Ordinal),
            "unknown-kind" => text.Replace(anchor, "\"kind\": \"transformer\"", StringComparison.Ordinal),
            "negative" => text.Replace(anchor, "\"hidden_size\": -64", StringComparison.Ordinal),
            "zero-layers" => text[..text.IndexOf(anchor, StringComparison.Ordinal)] + "\"layers\": []\n}\n",
            "overflowing-product" => text.Replace(anchor, "\"vocab_size\": 16777216", StringComparison.Ordinal).Replace("\"hidden_size\": 64", "\"hidden_size\": 16777216", StringComparison.Ordinal),
            _ => text.Replace(anchor, "\"max_context\": 16777216", StringComparison.Ordinal),
        };
        string folder = NewFolder("spec-" + name);
        string spec = Path.Combine(folder, "bad.model.json");
        File.WriteAllText(spec, bad);
        var make = binary.Run(null, "random-model", "--spec", spec, "-o", Path.Combine(folder, "out"));
        AssertClean(make, 1, "bad.model.json");
        Assert.Contains(message, make.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(folder, "out")) && Directory.EnumerateFileSystemEntries(Path.Combine(folder, "out")).Any());

        // The same spec as the layout of a model folder: the same diagnostic at run time.
        File.Copy(spec, Path.Combine(folder, "layout.model.json"));
        var run = binary.Run("Hi", "--model", folder, "-n", "2");
        AssertClean(run, 1, "layout.model.json");
        Assert.Contains(message, run.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void SpecFolder_ContextOverrideOverflowingTheState_IsRefusedNamingCtx()
    {
        var result = binary.Run("Hi", "--model", DefaultModel(), "-n", "2", "--ctx", "16777216");
        AssertClean(result, 1, "--ctx 16777216:");
        Assert.Contains("EJ0009: the state arena", result.StdErr, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("magic", "not an EdgeJamba session snapshot (bad magic at byte 0)")]
    [InlineData("version", "snapshot version 2 is not supported (this build reads version 1)")]
    [InlineData("truncated", "the snapshot is truncated or corrupted")]
    [InlineData("flipped", "the snapshot is truncated or corrupted (checksum mismatch")]
    [InlineData("empty", "the snapshot ends early (needed 8 bytes at byte 0, file has 0)")]
    [InlineData("other-layout", "the snapshot belongs to another model layout")]
    public void Snapshot_Damaged_IsRefusedNamingTheFile(string damage, string message)
    {
        string model = SharedData.RequireDirectory("models/stories260K");
        string folder = NewFolder("snapshot-" + damage);
        string good = Path.Combine(folder, "good.snapshot");
        if (damage == "other-layout")
        {
            Assert.Equal(0, binary.Run("Hi", "--model", DefaultModel(), "-n", "2", "--seed", "1", "--state-out", good).ExitCode);
        }
        else
        {
            Assert.Equal(0, binary.Run("Once", "--model", model, "-n", "3", "--seed", "1", "--state-out", good).ExitCode);
        }
        byte[] data = File.ReadAllBytes(good);
        byte[] bad = damage switch
        {
            "magic" => [.. "XXSNAP\0\0"u8, .. data.AsSpan(8)],
            "version" => [.. data.AsSpan(0, 8), 2, 0, 0, 0, .. data.AsSpan(12)],
            "truncated" => data[..(data.Length / 2)],
            "flipped" => Flip(data, data.Length / 3),
            "empty" => [],
            _ => data,
        };
        string path = Path.Combine(folder, damage + ".snapshot");
        File.WriteAllBytes(path, bad);
        var result = binary.Run("", "--model", model, "-n", "3", "--state-in", path);
        AssertClean(result, 1, path);
        Assert.Contains(message, result.StdErr, StringComparison.Ordinal);
        Assert.Empty(result.StdOut);
    }

    [SkippableFact]
    public void StateOut_IntoAMissingFolder_IsRefusedBeforeGenerating()
    {
        var result = binary.Run("Once", "--model", SharedData.RequireDirectory("models/stories260K"), "-n", "3", "--state-out", "/nonexistent/dir/s.snapshot");
        AssertClean(result, 1, "--state-out /nonexistent/dir/s.snapshot: the folder does not exist");
        Assert.Empty(result.StdOut);
    }

    [SkippableFact]
    public void Stdin_Empty_ContinuesFromBos_OrIsRefusedWithoutOne()
    {
        var withBos = binary.Run("", "--model", SharedData.RequireDirectory("models/stories260K"), "-n", "8", "--greedy");
        AssertClean(withBos, 0, "");
        Assert.NotEmpty(withBos.StdOut);

        var withoutBos = binary.Run("", "--model", DefaultModel(), "-n", "8"); // byte tokenizer: no BOS
        AssertClean(withoutBos, 1, "the prompt is empty and the tokenizer adds no BOS token");
    }

    [SkippableFact]
    public void Stdin_InvalidUtf8AndNul_AreReplacedAndReportedWithTheOffset()
    {
        var result = RunBytes([0x4F, 0x6E, 0x00, 0x63, 0xFF, 0xFE, 0x65], "--model", SharedData.RequireDirectory("models/stories260K"), "-n", "4", "--greedy");
        AssertClean(result, 0, "warning: the prompt is not valid UTF-8 (first bad byte at offset 4); invalid bytes were replaced by U+FFFD");
    }

    [SkippableFact]
    public void Stdin_TenMegabytes_IsRefusedQuickly_OrItsTailKept()
    {
        string model = SharedData.RequireDirectory("models/stories260K");
        byte[] big = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("Once upon a time ", 600_000)));
        var clock = Stopwatch.StartNew();
        var refused = RunBytes(big, "--model", model, "-n", "4");
        AssertClean(refused, 1, "the prompt is longer than 32768 bytes, more than a context of 512 tokens can hold");
        Assert.Contains("--keep-tail", refused.StdErr, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");

        var kept = RunBytes(big, "--model", model, "-n", "4", "--greedy", "--keep-tail");
        AssertClean(kept, 0, $"the prompt has {big.Length} bytes, more than a context of 512 tokens can hold; only its last 32768 bytes were read (--keep-tail)");
        Assert.Contains("trimmed to its last", kept.StdErr, StringComparison.Ordinal);
        Assert.NotEmpty(kept.StdOut);
    }

    [SkippableFact]
    public void Prompt_LongerThanTheContext_IsRefusedNamingTheWayOut_OrTrimmedWithKeepTail()
    {
        string model = SharedData.RequireDirectory("models/stories260K");
        string prompt = string.Concat(Enumerable.Repeat("Once upon a time there was a little girl. ", 8));
        var refused = binary.Run(prompt, "--model", model, "-n", "4", "--ctx", "32");
        AssertClean(refused, 1, "tokens but the context has room for 32");
        Assert.Contains("raise --ctx, or pass --keep-tail", refused.StdErr, StringComparison.Ordinal);

        var kept = binary.Run(prompt, "--model", model, "-n", "4", "--ctx", "32", "--keep-tail", "--greedy");
        AssertClean(kept, 0, "to fit the context of 32");
    }

    [SkippableFact]
    public void Generation_ReachingTheContext_StopsAndSaysSo_WithExitCode0()
    {
        var result = binary.Run("Once upon a time", "--model", SharedData.RequireDirectory("models/stories260K"), "-n", "500", "--ctx", "16", "--greedy");
        AssertClean(result, 0, "stopped: the context of 16 tokens is full");
        Assert.NotEmpty(result.StdOut);
    }

    [Fact]
    public async Task StdoutClosedEarly_EndsQuietlyWithExitCode0()
    {
        var info = StartInfo("--model", DefaultModel(), "-n", "100000", "--ctx", "65536", "--seed", "1");
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write("Hello");
        process.StandardInput.Close();
        var buffer = new char[10];
        int read = 0;
        while (read < buffer.Length)
        {
            int n = process.StandardOutput.Read(buffer, read, buffer.Length - read);
            Assert.True(n > 0, "the run ended before printing 10 characters");
            read += n;
        }
        process.StandardOutput.Close(); // `| head -c 10`
        Assert.True(process.WaitForExit(60_000), "the process kept running after its reader went away");
        Assert.Equal(0, process.ExitCode);
        string errors = await stderr; // only the engine note: no error text for a reader that went away
        Assert.DoesNotContain("error", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Sigint_FlushesWhatWasGenerated_AndExitsWith130()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "signals are sent with libc kill");
        // A context of 16384 positions takes the default model seconds to fill: long enough to be interrupted, short enough
        // that a lost signal fails the test without holding the run for minutes.
        var info = StartInfo("--model", DefaultModel(), "-n", "100000", "--ctx", "16384", "--seed", "1", "--stats");
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write("Hello");
        process.StandardInput.Close();
        var text = new StringBuilder();
        var buffer = new char[64];
        while (text.Length < 20)
        {
            int n = process.StandardOutput.Read(buffer, 0, buffer.Length);
            Assert.True(n > 0, "the run ended before printing anything");
            text.Append(buffer, 0, n);
        }
        Assert.Equal(0, Kill(process.Id, 2)); // SIGINT
        text.Append(await process.StandardOutput.ReadToEndAsync());
        Assert.True(process.WaitForExit(60_000));
        string errors = await stderr;
        Assert.Equal(130, process.ExitCode);
        Assert.Contains("stopped: interrupted", errors, StringComparison.Ordinal);
        var generated = GeneratedCount().Match(errors);
        Assert.True(generated.Success, errors);
        Assert.True(int.Parse(generated.Groups[1].Value, CultureInfo.InvariantCulture) < 100000);
        Assert.True(text.Length >= 20);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BenchRandom_LeavesNoTemporaryFolder()
    {
        // First show that bench writes where TMPDIR says: under a file, it cannot, and names the folder it tried.
        string notAFolder = Path.Combine(binary.TempDirectory, "bench-tmp-is-a-file");
        File.WriteAllText(notAFolder, "");
        var refused = await RunBench(notAFolder);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains(notAFolder + "/edgejamba-bench-", refused.StdErr, StringComparison.Ordinal);

        string temp = Path.Combine(binary.TempDirectory, "bench-tmp");
        Directory.CreateDirectory(temp);
        var run = await RunBench(temp);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("tok/s", run.StdOut, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(temp));
        Assert.DoesNotContain("   at ", run.StdErr, StringComparison.Ordinal);
    }

    /// <summary>A short <c>bench --random stories15M</c> with TMPDIR set to <paramref name="temp"/>.</summary>
    private async Task<(int ExitCode, string StdOut, string StdErr)> RunBench(string temp)
    {
        var info = StartInfo("bench", "--random", "stories15M", "-p", "2", "-n", "2", "-r", "1");
        info.Environment["TMPDIR"] = temp;
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000));
        return (process.ExitCode, await stdout, await stderr);
    }

    public static TheoryData<string[], string> FlagCases => new()
    {
        { ["-n", "-1"], "--max-tokens must be between 0 and 2147483647, not -1" },
        { ["-n", "99999999999"], "--max-tokens must be between 0 and 2147483647, not 99999999999" },
        { ["-n", "many"], "Cannot parse argument 'many' for option '--max-tokens'" },
        { ["--top-k", "-1"], "--top-k must be between 0 and 2147483647, not -1" },
        { ["--top-k", "99999999999"], "--top-k must be between 0 and 2147483647" },
        { ["--top-p", "1.5"], "--top-p: invalid value: TopP must lie in [0, 1]" },
        { ["--min-p", "-0.1"], "--min-p: invalid value: MinP must lie in [0, 1]" },
        { ["--temperature", "-1"], "--temperature: invalid value: Temperature must be a finite number >= 0" },
        { ["--temperature", "NaN"], "--temperature: invalid value: Temperature must be a finite number >= 0" },
        { ["--repeat-penalty", "0"], "--repeat-penalty: invalid value: RepeatPenalty must be a finite number > 0" },
        { ["--seed", "-1"], "Cannot parse argument '-1' for option '--seed'" },
        { ["--threads", "0"], "--threads must be between 1 and 1024, not 0" },
        { ["--ctx", "0"], "--ctx must be between 1 and 16777216, not 0" },
        { ["--ctx", "99999999999"], "--ctx must be between 1 and 16777216, not 99999999999" },
        { ["--engine", "turbo"], "turbo" },
    };

    [Theory]
    [MemberData(nameof(FlagCases))]
    public void NumericFlag_OutOfRange_IsRefusedNamingIt(string[] flag, string message)
    {
        var result = binary.Run("hi", ["--model", "/nonexistent/model", .. flag]);
        AssertClean(result, 2, message); // a bad command line: exit code 2, before any file is opened
        Assert.Empty(result.StdOut);
    }

    [Fact]
    public void LogitsAndInfo_ContextOutOfRange_AreRefusedNamingIt()
    {
        AssertClean(binary.Run(null, "logits", "--model", "/nonexistent", "--tokens", "1", "--out", "x", "--ctx", "-5"), 2, "--ctx must be between 1 and 16777216, not -5");
        AssertClean(binary.Run(null, "info", "--ctx", "99999999999"), 2, "--ctx must be between 1 and 16777216");
        AssertClean(binary.Run(null, "random-model", "--spec", "/nonexistent.json", "-o", NewFolder("never")), 1, "/nonexistent.json: cannot be read");
    }

    private static void AssertClean(ProcessResult result, int exitCode, string message)
    {
        Assert.True(result.ExitCode == exitCode, $"exit code {result.ExitCode}, expected {exitCode}; stderr: {result.StdErr}");
        Assert.Contains(message, result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", result.StdErr, StringComparison.Ordinal);
    }

    private ProcessStartInfo StartInfo(params string[] args) => AotBinary.StartInfo(binary.Path_, args);

    private ProcessResult RunBytes(byte[] stdin, params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            process.StandardInput.BaseStream.Write(stdin);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The binary may refuse a long prompt before reading all of it.
        }
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("edgejamba did not finish");
        }
        return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    private string NewFolder(string name)
    {
        string folder = Path.Combine(binary.TempDirectory, "hostile", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        return folder;
    }

    private string DefaultModel()
    {
        string folder = Path.Combine(binary.TempDirectory, "hostile-default-model");
        lock (binary)
        {
            if (!File.Exists(Path.Combine(folder, "layout.model.json")))
            {
                var make = binary.Run(null, "random-model", "--spec", Path.Combine(SharedData.RepoRoot, "ModelSpecs", "default.model.json"), "-o", folder, "--seed", "2");
                Assert.True(make.ExitCode == 0, make.StdErr);
            }
        }
        return folder;
    }

    /// <summary>A copy of stories260K with one corruption (see <see cref="CheckpointCases"/>).</summary>
    private string CorruptedCopy(string corruption)
    {
        string source = SharedData.RequireDirectory("models/stories260K");
        string folder = NewFolder(corruption);
        foreach (string file in new[] { "config.json", "tokenizer.model", "tokenizer_config.json", "model.safetensors" })
        {
            File.Copy(Path.Combine(source, file), Path.Combine(folder, file));
        }
        string weights = Path.Combine(folder, "model.safetensors");
        byte[] raw = File.ReadAllBytes(weights);
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(raw);
        byte[] data = raw[(8 + headerLength)..];
        var header = JsonNode.Parse(raw.AsSpan(8, headerLength))!.AsObject();
        string config = File.ReadAllText(Path.Combine(folder, "config.json"));

        void Weights(byte[] bytes) => File.WriteAllBytes(weights, bytes);
        void Header(Action<JsonObject> edit, byte[]? newData = null)
        {
            edit(header);
            Weights(Pack(Encoding.UTF8.GetBytes(header.ToJsonString()), newData ?? data));
        }
        void Offsets(string name, long begin, long end) => header[name]!["data_offsets"] = new JsonArray(begin, end);
        long Begin(string name) => header[name]!["data_offsets"]![0]!.GetValue<long>();
        long End(string name) => header[name]!["data_offsets"]![1]!.GetValue<long>();
        void Config(string find, string replace)
        {
            Assert.Contains(find, config, StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(folder, "config.json"), config.Replace(find, replace, StringComparison.Ordinal));
        }

        switch (corruption)
        {
            case "truncated": Weights(raw[..(raw.Length / 2)]); break;
            case "four-bytes": Weights(raw[..4]); break;
            case "header-length-too-large": Weights([.. BitConverter.GetBytes(1_000_000_000UL), .. raw.AsSpan(8)]); break;
            case "header-not-json": Weights(Pack("{\"a\": "u8.ToArray(), data)); break;
            case "header-not-object": Weights(Pack("[1, 2, 3]"u8.ToArray(), data)); break;
            case "header-invalid-utf8":
                {
                    byte[] json = raw[8..(8 + headerLength)];
                    json[json.AsSpan().IndexOf("model.norm"u8) + 2] = 0xFF;
                    Weights(Pack(json, data));
                    break;
                }
            case "duplicate-name":
                Weights(Pack(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(raw, 8, headerLength).Replace("\"model.norm.weight\"", $"\"{Up}\"", StringComparison.Ordinal)), data));
                break;
            case "overlapping": Header(_ => Offsets("model.layers.1.self_attn.q_proj.weight", Begin(Q), End(Q))); break;
            case "reversed-offsets": Header(_ => Offsets(Up, End(Up), Begin(Up))); break;
            case "offsets-outside": Header(_ => Offsets(Up, data.Length - 4, data.Length - 4 + End(Up) - Begin(Up))); break;
            case "length-not-shape": Header(h => h[Up]!["shape"] = new JsonArray(173, 64)); break;
            case "unsupported-dtype": Header(h => h[Up]!["dtype"] = "F8_E4M3"); break;
            case "integer-dtype": Header(h => h[Up]!["dtype"] = "I32"); break;
            case "missing-tensor": Header(h => h.Remove(Up)); break;
            case "wrong-shape": Header(h => h[Up]!["shape"] = new JsonArray(64, 172)); break;
            case "extra-tensors":
                Header(h =>
                {
                    h["extra.bias"] = new JsonObject { ["dtype"] = "F32", ["shape"] = new JsonArray(1), ["data_offsets"] = new JsonArray(data.Length, data.Length + 4) };
                    h["lm_head.weight"] = new JsonObject { ["dtype"] = "F32", ["shape"] = new JsonArray(0), ["data_offsets"] = new JsonArray(0, 0) };
                }, [.. data, 0, 0, 0, 0]);
                break;
            case "nan-weight":
                {
                    byte[] copy = (byte[])data.Clone();
                    BinaryPrimitives.WriteSingleLittleEndian(copy.AsSpan((int)Begin(Up) + (7 * 4)), float.NaN);
                    Header(_ => { }, copy);
                    break;
                }
            case "no-config": File.Delete(Path.Combine(folder, "config.json")); break;
            case "config-not-json": File.WriteAllText(Path.Combine(folder, "config.json"), "{\"model_type\": \"llama\", "); break;
            case "config-not-object": File.WriteAllText(Path.Combine(folder, "config.json"), "[]"); break;
            case "config-model-type": Config("\"model_type\": \"llama\"", "\"model_type\": \"gpt2\""); break;
            case "config-zero-heads": Config("\"num_attention_heads\": 8", "\"num_attention_heads\": 0"); break;
            case "config-wrong-type": Config("\"hidden_size\": 64", "\"hidden_size\": \"64\""); break;
            case "config-absurd-size": Config("\"hidden_size\": 64", "\"hidden_size\": 2000000000"); break;
            case "no-tokenizer": File.Delete(Path.Combine(folder, "tokenizer.model")); break;
            case "tokenizer-truncated": File.WriteAllBytes(Path.Combine(folder, "tokenizer.model"), File.ReadAllBytes(Path.Combine(source, "tokenizer.model"))[..777]); break;
            case "tokenizer-json-wordpiece":
                File.Delete(Path.Combine(folder, "tokenizer.model"));
                File.WriteAllText(Path.Combine(folder, "tokenizer.json"), "{\"model\": {\"type\": \"WordPiece\"}}");
                break;
            case "tokenizer-json-corrupt":
                File.Delete(Path.Combine(folder, "tokenizer.model"));
                File.WriteAllText(Path.Combine(folder, "tokenizer.json"), "{\"model\": {\"type\": \"BPE\"");
                break;
            case "tokenizer-config-type": File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), "{\"add_bos_token\": \"yes\"}"); break;
            default: throw new ArgumentException(corruption, nameof(corruption));
        }
        return folder;
    }

    private static byte[] Pack(byte[] header, byte[] data)
    {
        byte[] file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        data.CopyTo(file, 8 + header.Length);
        return file;
    }

    private static byte[] Flip(byte[] data, int at)
    {
        byte[] copy = (byte[])data.Clone();
        copy[at] ^= 0x10;
        return copy;
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    [System.Text.RegularExpressions.GeneratedRegex(@"generated (\d+) tokens")]
    private static partial System.Text.RegularExpressions.Regex GeneratedCount();
}
