using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeJamba.Tests;

namespace EdgeJamba.Cli.Tests;

/// <summary>The project's trained model (ModelSpecs/default) through the binary: the main job and <c>perplexity</c>.</summary>
[Collection(AotCollection.Name)]
public sealed class DefaultModelCliTests(AotBinary binary)
{
    private static string Folder => Path.Combine(SharedData.RepoRoot, "ModelSpecs", "default");

    [Fact]
    public void MainJob_WritesText_OnTheCompiledInLayout_WithItsOwnTokenizer()
    {
        var result = binary.Run("ROMEO:\n", "--model", Folder, "--seed", "1", "-n", "60");

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.True(result.StdOut.Length > 0, "no text was generated");
        Assert.Equal("", result.StdErr); // no generic-engine note, no tokenizer warning
    }

    [Fact]
    public void DefaultBinary_RunsTheEmbeddedModel_FromAnEmptyFolder_WithNoFlags()
    {
        string empty = Path.Combine(binary.TempDirectory, "empty-default");
        Directory.CreateDirectory(empty);

        var embedded = AotBinary.RunProcess(binary.Path_, ["--seed", "1", "-n", "60"], "ROMEO:\n", TimeSpan.FromMinutes(2), workingDirectory: empty);
        var folder = binary.Run("ROMEO:\n", "--model", Folder, "--seed", "1", "-n", "60");

        Assert.True(embedded.ExitCode == 0, embedded.StdErr);
        Assert.Equal("", embedded.StdErr); // specialized engine, its own tokenizer, hashes good
        Assert.True(embedded.StdOut.Length > 20, "no text was generated");
        Assert.Equal(folder.StdOut, embedded.StdOut); // the embedded files are the folder's files

        var info = AotBinary.RunProcess(binary.Path_, ["info"], null, TimeSpan.FromMinutes(1), workingDirectory: empty);
        Assert.Contains("model: embedded model default", info.StdOut, StringComparison.Ordinal);
    }

    /// <summary>
    /// The loss of the witness text computed from libtorch's logits in this test (float64 log-softmax) against what
    /// <c>edgejamba perplexity</c> prints for the same text in one chunk: the f32 default model, and its ternary sibling
    /// (quantization-aware trained, run in the ternary format its folder's layout.model.json selects).
    /// </summary>
    [Theory]
    [InlineData("default")]
    [InlineData("default-ternary")]
    public void Perplexity_OfTheWitnessText_MatchesTheLibtorchLogits(string model)
    {
        string folder = Path.Combine(SharedData.RepoRoot, "ModelSpecs", model);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "libtorch_logits.json")));
        var root = manifest.RootElement;
        string text = root.GetProperty("text").GetString()!;
        int[] tokens = root.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int vocab = root.GetProperty("shape")[1].GetInt32();
        byte[] raw = File.ReadAllBytes(Path.Combine(folder, root.GetProperty("file").GetString()!));
        double nats = 0;
        for (int t = 0; t + 1 < tokens.Length; t++)
        {
            var row = Enumerable.Range(0, vocab).Select(i => (double)BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(((t * vocab) + i) * sizeof(float)))).ToArray();
            double max = row.Max();
            nats -= row[tokens[t + 1]] - max - Math.Log(row.Sum(v => Math.Exp(v - max)));
        }
        double expected = nats / (tokens.Length - 1);
        string file = Path.Combine(binary.TempDirectory, model + "-witness.txt");
        File.WriteAllText(file, text, new UTF8Encoding(false));

        var result = binary.Run(null, "perplexity", file, "--model", folder, "--ctx", tokens.Length.ToString(CultureInfo.InvariantCulture));

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Contains($"tokens {tokens.Length} (predicted {tokens.Length - 1}, {tokens.Length - 1} bytes)", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("engine specialized", result.StdOut, StringComparison.Ordinal);
        string value = result.StdOut.Split("nats/token ")[1].Split(' ')[0];
        double got = double.Parse(value, CultureInfo.InvariantCulture);
        // Printed with 5 decimals; the engines agree with libtorch's logits to ~1e-5 (DefaultModelParityTests).
        Assert.True(Math.Abs(got - expected) <= 1e-4, $"edgejamba perplexity printed {got}, libtorch's logits give {expected}");
    }

    [Fact]
    public void Perplexity_OfAMissingFile_IsOneLine()
    {
        var result = binary.Run(null, "perplexity", Path.Combine(binary.TempDirectory, "absent.txt"), "--model", Folder);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("edgejamba: error: " + Path.Combine(binary.TempDirectory, "absent.txt") + ": file not found", result.StdErr.TrimEnd());
    }
}
