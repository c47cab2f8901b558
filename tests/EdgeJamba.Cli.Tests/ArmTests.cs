using System.Runtime.InteropServices;
using System.Text.Json;
using EdgeJamba.Tests;

namespace EdgeJamba.Cli.Tests;

/// <summary>
/// Cross-publishes edgejamba for linux-arm64 (Debian's gcc-aarch64-linux-gnu links it) and runs it under
/// qemu-aarch64-static, where the 128-bit (AdvSimd) kernels run: same logits and same greedy text as the x64 build.
/// </summary>
public sealed class ArmBinary : IDisposable
{
    private const string Linker = "/usr/bin/aarch64-linux-gnu-gcc";
    internal const string Qemu = "/usr/bin/qemu-aarch64-static";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "edgejamba-arm64-" + Environment.ProcessId);

    public ArmBinary()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64 || !File.Exists(Linker) || !File.Exists(Qemu))
        {
            Missing = "the arm64 cross toolchain is not installed (apt-get install gcc-aarch64-linux-gnu qemu-user-static; .ci/run does this)";
            return;
        }
        string output = Path.Combine(_root, "out");
        var publish = AotBinary.RunProcess("dotnet", ["publish", Path.Combine(SharedData.RepoRoot, "EdgeCli"), "-c", "Release", "-r", "linux-arm64",
            "-o", output, "--artifacts-path", Path.Combine(_root, "artifacts")], stdin: null, TimeSpan.FromMinutes(15));
        Executable = Path.Combine(output, "edgejamba");
        if (publish.ExitCode != 0 || !File.Exists(Executable))
        {
            throw new InvalidOperationException("dotnet publish -r linux-arm64 failed:\n" + publish.StdOut + publish.StdErr);
        }
    }

    /// <summary>Why the arm64 tests cannot run here, or null.</summary>
    public string? Missing { get; }

    public string Executable { get; } = "";

    public string TempDirectory => _root;

    public ProcessResult Run(string? stdin, params string[] args) =>
        AotBinary.RunProcess(Qemu, ["-L", "/usr/aarch64-linux-gnu", Executable, .. args], stdin, TimeSpan.FromMinutes(5));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }
    }
}

[Collection(AotCollection.Name)]
public sealed class ArmTests(AotBinary x64, ArmBinary arm) : IClassFixture<ArmBinary>
{
    [SkippableFact]
    public void Arm64_UsesTheArmVectorPath()
    {
        Skip.If(arm.Missing is not null, arm.Missing);
        var info = arm.Run(null, "info");
        Assert.True(info.ExitCode == 0, info.StdErr);
        Assert.Contains("128-bit vectors (Arm64)", info.StdOut, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("jamba-tiny-a")]
    [InlineData("mamba-tied")]
    [InlineData("llama-gqa")]
    [InlineData("bitnet-untied")]
    public void Arm64_Logits_MatchTheReferenceSet(string set)
    {
        Skip.If(arm.Missing is not null, arm.Missing);
        ReferenceLogits.AssertMatch(set, Path.Combine(arm.TempDirectory, set + ".f32"), args => arm.Run(null, args), "on arm64");
    }

    [SkippableFact]
    public void Arm64_Stories260K_GreedyText_EqualsTheX64Build()
    {
        Skip.If(arm.Missing is not null, arm.Missing);
        string model = SharedData.RequireDirectory("models/stories260K");
        var onArm = arm.Run("Once upon a time", "--model", model, "--greedy", "-n", "60");
        var onX64 = x64.Run("Once upon a time", "--model", model, "--greedy", "-n", "60");
        Assert.True(onArm.ExitCode == 0, onArm.StdErr);
        Assert.True(onX64.StdOut.Length > 100);
        Assert.Equal(onX64.StdOut, onArm.StdOut);
    }

    [SkippableFact]
    public void Arm64_BuildEmbed_Stories260K_RunsFromAnEmptyFolder_LikeTheX64Build()
    {
        Skip.If(arm.Missing is not null, arm.Missing);
        string model = SharedData.RequireDirectory("models/stories260K");
        string empty = Path.Combine(arm.TempDirectory, "empty");
        Directory.CreateDirectory(empty);
        string executable = Path.Combine(arm.TempDirectory, "stories-arm64");

        var build = AotBinary.RunProcess(x64.Path_, ["build", "--model", model, "--embed", "--rid", "linux-arm64", "-o", executable, "--source", SharedData.RepoRoot],
            stdin: null, TimeSpan.FromMinutes(20));
        Assert.True(build.ExitCode == 0, build.StdErr);
        Assert.Equal([0x7F, (byte)'E', (byte)'L', (byte)'F'], File.ReadAllBytes(executable)[..4]);

        var onArm = AotBinary.RunProcess(ArmBinary.Qemu, ["-L", "/usr/aarch64-linux-gnu", executable, "--greedy", "-n", "60"], "Once upon a time",
            TimeSpan.FromMinutes(5), workingDirectory: empty);
        var onX64 = x64.Run("Once upon a time", "--model", model, "--greedy", "-n", "60");
        Assert.True(onArm.ExitCode == 0, onArm.StdErr);
        Assert.Equal(onX64.StdOut, onArm.StdOut);
        Assert.DoesNotContain("generic", onArm.StdErr, StringComparison.Ordinal);
    }
}
