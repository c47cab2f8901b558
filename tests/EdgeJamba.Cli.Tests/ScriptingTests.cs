using System.Diagnostics;
using System.Text.Json;
using EdgeJamba.Tests;

namespace EdgeJamba.Cli.Tests;

/// <summary>The CLI as a script sees it: JSONL and per-line modes, exit codes, --help/--version, shared stdout, model defaults.</summary>
[Collection(AotCollection.Name)]
public sealed class ScriptingTests(AotBinary binary)
{
    private static string Stories => SharedData.RequireDirectory("models/stories260K");

    [SkippableFact]
    public void Jsonl_OneResultPerRequest_MatchingTheSinglePromptMode_WithErrorsPerLine()
    {
        string model = Stories;
        string input = string.Join('\n',
            """{"prompt": "Once upon a time", "max_tokens": 30, "greedy": true, "id": "a"}""",
            "",
            """{"prompt": "Tom had a dog", "max_tokens": 40, "temperature": 0.9, "seed": 7, "stop": [". "], "id": 2}""",
            """{"prompt": "Hi", "max_token": 5}""",
            "not json at all",
            """{"prompt": "Lily", "max_tokens": 12, "seed": 3}""") + "\n";

        var result = binary.Run(input, "--model", model, "--jsonl");

        Assert.True(result.ExitCode == 3, $"exit code {result.ExitCode}; stderr: {result.StdErr}"); // two requests failed
        string[] lines = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length); // the blank line gets no result
        var results = lines.Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal([1, 3, 4, 5, 6], results.Select(r => r.GetProperty("line").GetInt32()));

        // Each completion is what a separate single-prompt run with the same settings prints.
        var greedy = binary.Run("Once upon a time", "--model", model, "--greedy", "-n", "30");
        Assert.Equal("a", results[0].GetProperty("id").GetString());
        Assert.Equal(greedy.StdOut, results[0].GetProperty("completion").GetString());
        Assert.Equal(30, results[0].GetProperty("completion_tokens").GetInt32());
        Assert.Equal(30, results[0].GetProperty("tokens").GetArrayLength());
        Assert.Equal("max_tokens", results[0].GetProperty("stop_reason").GetString());
        Assert.True(results[0].GetProperty("prompt_tokens").GetInt32() > 1);
        Assert.True(results[0].GetProperty("decode_tokens_per_s").GetDouble() > 0);

        var sampled = binary.Run("Tom had a dog", "--model", model, "-n", "40", "--temperature", "0.9", "--seed", "7", "--stop", ". ");
        Assert.Equal(2, results[1].GetProperty("id").GetInt32());
        Assert.Equal(sampled.StdOut, results[1].GetProperty("completion").GetString());
        Assert.Equal("stop_string", results[1].GetProperty("stop_reason").GetString());
        Assert.DoesNotContain(". ", results[1].GetProperty("completion").GetString(), StringComparison.Ordinal);
        Assert.Equal(7UL, results[1].GetProperty("seed").GetUInt64());

        Assert.Contains("line 4: unknown field \"max_token\"", results[2].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("line 5: not a JSON object", results[3].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(results[2].TryGetProperty("completion", out _));

        var seeded = binary.Run("Lily", "--model", model, "-n", "12", "--seed", "3");
        Assert.Equal(seeded.StdOut, results[4].GetProperty("completion").GetString()); // a request after failed ones is unaffected
    }

    [SkippableFact]
    public void Jsonl_WrongFieldTypes_AreNamed_AndAllGoodRequestsExitZero()
    {
        string model = Stories;
        var bad = binary.Run("""
            {"prompt": 5}
            {"prompt": "a", "temperature": "hot"}
            {"prompt": "a", "top_p": 2}
            {"prompt": "a", "stop": [1]}
            [1, 2]
            """, "--model", model, "--jsonl");
        var errors = bad.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("error").GetString()).ToArray();
        Assert.Equal(3, bad.ExitCode);
        Assert.Equal(5, errors.Length);
        Assert.Contains("\"prompt\" must be a string", errors[0], StringComparison.Ordinal);
        Assert.Contains("\"temperature\" must be a number", errors[1], StringComparison.Ordinal);
        Assert.Contains("\"top_p\": invalid value", errors[2], StringComparison.Ordinal);
        Assert.Contains("\"stop\" must be a string or a list of strings", errors[3], StringComparison.Ordinal);
        Assert.Contains("must be a JSON object, not a JSON Array", errors[4], StringComparison.Ordinal);

        var good = binary.Run("{\"prompt\": \"Once\", \"max_tokens\": 3, \"greedy\": true}\r\n", "--model", model, "--jsonl");
        Assert.Equal(0, good.ExitCode);
        Assert.Equal(3, JsonDocument.Parse(good.StdOut).RootElement.GetProperty("completion_tokens").GetInt32());
    }

    [SkippableFact]
    public void EachLine_EveryLineIsItsOwnPrompt_OnAFreshState()
    {
        string model = Stories;
        var result = binary.Run("Once upon a time\nTom had a dog\n", "--model", model, "--each-line", "--greedy", "-n", "20", "--stop", "\n");
        var first = binary.Run("Once upon a time", "--model", model, "--greedy", "-n", "20", "--stop", "\n");
        var second = binary.Run("Tom had a dog", "--model", model, "--greedy", "-n", "20", "--stop", "\n");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(first.StdOut + "\n" + second.StdOut + "\n", result.StdOut);
    }

    [SkippableFact]
    public void Stdout_SharedWithOtherWriters_IsAppendedAtTheSharedOffset()
    {
        string model = Stories;
        string file = Path.Combine(binary.TempDirectory, "shared-stdout.txt");
        var expected = binary.Run("Once upon a time", "--model", model, "--greedy", "-n", "12");
        var info = new ProcessStartInfo("sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"{{ echo before; printf 'Once upon a time' | \"$0\" --model \"$1\" --greedy -n 12; echo after; }} > \"$2\"");
        info.ArgumentList.Add(binary.Path_);
        info.ArgumentList.Add(model);
        info.ArgumentList.Add(file);
        using (var shell = Process.Start(info)!)
        {
            Assert.True(shell.WaitForExit(TimeSpan.FromMinutes(1)));
        }

        Assert.Equal("before\n" + expected.StdOut + "after\n", File.ReadAllText(file));
    }

    [SkippableFact]
    public void GenerationConfig_SetsTheDefaults_FlagsWin_AndABadValueIsNamed()
    {
        string folder = Path.Combine(binary.TempDirectory, "stories-genconfig");
        Directory.CreateDirectory(folder);
        foreach (string file in Directory.GetFiles(Stories))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
        }
        string config = Path.Combine(folder, "generation_config.json");

        File.WriteAllText(config, """{"do_sample": false, "max_new_tokens": 25}""");
        var fromConfig = binary.Run("Once upon a time", "--model", folder);
        var greedy = binary.Run("Once upon a time", "--model", Stories, "--greedy", "-n", "25");
        Assert.Equal(0, fromConfig.ExitCode);
        Assert.Equal(greedy.StdOut, fromConfig.StdOut); // do_sample false = greedy; max_new_tokens = -n

        var flagsWin = binary.Run("Once upon a time", "--model", folder, "-n", "10", "--temperature", "1", "--top-k", "0", "--top-p", "1", "--min-p", "0", "--seed", "5");
        var plain = binary.Run("Once upon a time", "--model", Stories, "-n", "10", "--temperature", "1", "--top-k", "0", "--top-p", "1", "--min-p", "0", "--seed", "5");
        Assert.Equal(plain.StdOut, flagsWin.StdOut);

        File.WriteAllText(config, """{"temperature": "hot"}""");
        var bad = binary.Run("Once", "--model", folder, "-n", "2");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("generation_config.json: \"temperature\" must be a number", bad.StdErr, StringComparison.Ordinal);
        Assert.Empty(bad.StdOut);
    }

    [Fact]
    public void ExitCodes_HelpAndVersion_AreDocumentedValues()
    {
        var help = binary.Run(null, "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--jsonl", help.StdOut, StringComparison.Ordinal);
        Assert.Contains("build", help.StdOut, StringComparison.Ordinal);

        var version = binary.Run(null, "--version");
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.StdOut);

        var unknownFlag = binary.Run("hi", "--frobnicate");
        Assert.Equal(2, unknownFlag.ExitCode);
        Assert.Empty(unknownFlag.StdOut);

        var conflicting = binary.Run("hi", "--jsonl", "--each-line");
        Assert.Equal(2, conflicting.ExitCode);
        Assert.Contains("--each-line and --jsonl cannot be combined", conflicting.StdErr, StringComparison.Ordinal);

        var stateWithJsonl = binary.Run("hi", "--jsonl", "--state-out", "x.bin");
        Assert.Equal(2, stateWithJsonl.ExitCode);

        var missingModel = binary.Run("hi", "--model", "/nonexistent/model");
        Assert.Equal(1, missingModel.ExitCode);
        Assert.Contains("/nonexistent/model: model folder not found", missingModel.StdErr, StringComparison.Ordinal);
    }
}
