using System.Text.Json;
using EdgeJamba.Tests;

namespace EdgeJamba.Cli.Tests;

/// <summary>
/// <c>edgejamba build --embed --quant q8_0</c>: a checkpoint in, one self-contained executable out, which runs from
/// an empty folder with the same greedy text as the generic engine on the folder given the same (q8_0) layout,
/// and refuses to run when damaged. (The arm64 test builds the dense path.)
/// </summary>
[Collection(AotCollection.Name)]
public sealed class BuildTests(AotBinary binary)
{
    [SkippableFact]
    public void BuildEmbedQ8_Stories260K_RunsFromAnEmptyFolder_LikeTheGenericEngine_AndRefusesWhenDamaged()
    {
        string model = SharedData.RequireDirectory("models/stories260K");
        string work = Path.Combine(binary.TempDirectory, "build");
        string empty = Path.Combine(work, "empty");
        Directory.CreateDirectory(empty);
        string executable = Path.Combine(work, "stories");

        var build = AotBinary.RunProcess(binary.Path_, ["build", "--model", model, "--embed", "--quant", "q8_0", "--isa", "x86-64-v3", "-o", executable, "--source", SharedData.RepoRoot],
            stdin: null, TimeSpan.FromMinutes(20));
        Assert.True(build.ExitCode == 0, build.StdErr);
        Assert.Contains("[4/4] wrote", build.StdErr, StringComparison.Ordinal);
        Assert.Empty(build.StdOut);

        // The reference: the folder, given the q8_0 layout as its own layout.model.json, on the generic engine.
        string quantized = Path.Combine(work, "stories-q8");
        Directory.CreateDirectory(quantized);
        foreach (string file in Directory.GetFiles(model))
        {
            File.Copy(file, Path.Combine(quantized, Path.GetFileName(file)), overwrite: true);
        }
        Assert.Equal(0, binary.Run(null, "import", quantized, "--quant", "q8_0", "-o", Path.Combine(quantized, "layout.model.json")).ExitCode);
        const string Prompt = "Once upon a time";
        var reference = binary.Run(Prompt, "--model", quantized, "--engine", "generic", "--greedy", "-n", "60");

        var embedded = RunIn(empty, executable, Prompt, "--greedy", "-n", "60");
        Assert.True(embedded.ExitCode == 0, embedded.StdErr);
        Assert.Equal(reference.StdOut, embedded.StdOut);
        Assert.DoesNotContain("generic", embedded.StdErr, StringComparison.Ordinal); // the layout is compiled in

        var info = RunIn(empty, executable, null, "info");
        Assert.Contains("model: embedded model stories260K", info.StdOut, StringComparison.Ordinal);
        Assert.Contains("engine:               specialized", info.StdOut, StringComparison.Ordinal);
        Assert.Contains("projections:          Q8_0", info.StdOut, StringComparison.Ordinal);

        var jsonl = RunIn(empty, executable, "{\"prompt\": \"Once upon a time\", \"max_tokens\": 60, \"greedy\": true}\n", "--jsonl");
        Assert.Equal(reference.StdOut, JsonDocument.Parse(jsonl.StdOut).RootElement.GetProperty("completion").GetString());

        // Flip one byte inside the embedded weights: the start-up hash check refuses the binary.
        byte[] image = File.ReadAllBytes(executable);
        byte[] weights = File.ReadAllBytes(Path.Combine(model, "model.safetensors"));
        int at = image.AsSpan().IndexOf(weights.AsSpan(0, 256));
        Assert.True(at > 0, "the weights are not in the executable");
        string damaged = Path.Combine(work, "damaged");
        File.Copy(executable, damaged, overwrite: true); // keeps the executable bit
        using (var patch = new FileStream(damaged, FileMode.Open, FileAccess.Write))
        {
            patch.Position = at + weights.Length - 5;
            patch.WriteByte((byte)(image[at + weights.Length - 5] ^ 0x40));
        }
        var refused = RunIn(empty, damaged, Prompt, "-n", "5");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("the model embedded in this executable is damaged: file 'model.safetensors' has hash", refused.StdErr, StringComparison.Ordinal);
        Assert.Empty(refused.StdOut);
    }

    [Fact]
    public void Build_BadInputs_AreRefusedBeforeCompiling()
    {
        var missing = binary.Run(null, "build", "--model", "/nonexistent/model", "--source", SharedData.RepoRoot);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("/nonexistent/model: model folder not found", missing.StdErr, StringComparison.Ordinal);

        var wrongIsa = binary.Run(null, "build", "--model", "/nonexistent/model", "--rid", "linux-arm64", "--isa", "x86-64-v3");
        Assert.Equal(2, wrongIsa.ExitCode);
        Assert.Contains("--isa x86-64-v3 is an x86-64 instruction set", wrongIsa.StdErr, StringComparison.Ordinal);

        var unknownIsa = binary.Run(null, "build", "--model", "/nonexistent/model", "--isa", "x86-x64-v4");
        Assert.Equal(2, unknownIsa.ExitCode);

        var noSource = binary.Run(null, "build", "--model", binary.TempDirectory, "--source", "/");
        Assert.Equal(1, noSource.ExitCode);
        Assert.Contains("--source /: not an EdgeJamba source tree", noSource.StdErr, StringComparison.Ordinal);
    }

    private static ProcessResult RunIn(string folder, string executable, string? stdin, params string[] args) =>
        AotBinary.RunProcess(executable, args, stdin, TimeSpan.FromMinutes(2), workingDirectory: folder);
}
