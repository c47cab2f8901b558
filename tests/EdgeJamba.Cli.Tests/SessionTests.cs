using EdgeJamba.Tests;

namespace EdgeJamba.Cli.Tests;

/// <summary>Session snapshots: a run split in two by --state-out/--state-in prints exactly what one run prints.</summary>
[Collection(AotCollection.Name)]
public sealed class SessionTests(AotBinary binary)
{
    [SkippableTheory]
    [InlineData("--greedy")]
    [InlineData("--seed=11")]
    public void Stories260K_ResumedRun_IsByteIdenticalToOneRun(string mode)
    {
        string model = SharedData.RequireDirectory("models/stories260K");
        AssertResumeIdentical(model, "Once upon a time", mode, first: 25, second: 40);
    }

    [Theory]
    [InlineData("--greedy")]
    [InlineData("--seed=3")]
    public void HybridJamba_ResumedRun_IsByteIdenticalToOneRun(string mode)
    {
        // The default layout: Mamba (conv + SSM state), attention (KV cache) and MoE layers; random weights.
        string model = DefaultModel();
        AssertResumeIdentical(model, "Hello", mode, first: 17, second: 30);
    }

    [Fact]
    public void Snapshot_OfAnotherLayout_OrTruncated_IsRefused()
    {
        string model = DefaultModel();
        string snapshot = Path.Combine(binary.TempDirectory, "default.snapshot");
        Assert.Equal(0, binary.Run("Hi", "--model", model, "-n", "3", "--seed", "1", "--state-out", snapshot).ExitCode);

        string truncated = Path.Combine(binary.TempDirectory, "truncated.snapshot");
        File.WriteAllBytes(truncated, File.ReadAllBytes(snapshot)[..1000]);
        var cut = binary.Run("", "--model", model, "-n", "3", "--state-in", truncated);
        Assert.Equal(1, cut.ExitCode);
        Assert.Contains("truncated.snapshot", cut.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", cut.StdErr, StringComparison.Ordinal);

        string other = Path.Combine(binary.TempDirectory, "other-layout");
        Assert.Equal(0, binary.Run(null, "random-model", "--spec", Path.Combine(SharedData.RepoRoot, "ModelSpecs", "default.model.json"), "-o", other).ExitCode);
        var wrongContext = binary.Run("", "--model", other, "--ctx", "100", "-n", "3", "--state-in", snapshot);
        Assert.Equal(1, wrongContext.ExitCode);
        Assert.Contains("another model layout", wrongContext.StdErr, StringComparison.Ordinal);
    }

    private void AssertResumeIdentical(string model, string prompt, string mode, int first, int second)
    {
        string snapshot = Path.Combine(binary.TempDirectory, Guid.NewGuid().ToString("N") + ".snapshot");
        var whole = binary.Run(prompt, "--model", model, mode, "-n", (first + second).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var part1 = binary.Run(prompt, "--model", model, mode, "-n", first.ToString(System.Globalization.CultureInfo.InvariantCulture), "--state-out", snapshot);
        var part2 = binary.Run("", "--model", model, mode, "-n", second.ToString(System.Globalization.CultureInfo.InvariantCulture), "--state-in", snapshot);
        Assert.True(whole.ExitCode == 0 && part1.ExitCode == 0 && part2.ExitCode == 0, whole.StdErr + part1.StdErr + part2.StdErr);
        Assert.True(whole.StdOut.Length > 0);
        Assert.Equal(whole.StdOut, part1.StdOut + part2.StdOut);
    }

    private string DefaultModel()
    {
        string folder = Path.Combine(binary.TempDirectory, "session-default-model");
        if (!Directory.Exists(folder))
        {
            var make = binary.Run(null, "random-model", "--spec", Path.Combine(SharedData.RepoRoot, "ModelSpecs", "default.model.json"), "-o", folder, "--seed", "5");
            Assert.True(make.ExitCode == 0, make.StdErr);
        }
        return folder;
    }
}
