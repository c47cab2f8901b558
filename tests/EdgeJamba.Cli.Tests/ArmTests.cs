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
    internal const string Sysroot = "/usr/aarch64-linux-gnu";
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

    /// <summary>Runs the binary on qemu's <c>max</c> CPU (every Arm extension qemu has, the dot product included).</summary>
    public ProcessResult Run(string? stdin, params string[] args) => RunOn("max", stdin, args);

    /// <summary>Runs the binary on one of qemu's CPU models, e.g. <c>cortex-a72</c> (Raspberry Pi 4: Armv8.0, no dot product).</summary>
    public ProcessResult RunOn(string cpu, string? stdin, params string[] args) =>
        AotBinary.RunProcess(Qemu, ["-cpu", cpu, "-L", Sysroot, Executable, .. args], stdin, TimeSpan.FromMinutes(5));

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
    [InlineData("cortex-a72", "neon")] // Raspberry Pi 4: Armv8.0-A, no dot product
    [InlineData("cortex-a76", "sdot")] // Raspberry Pi 5: Armv8.2-A with FEAT_DotProd
    public void Arm64_OneBinary_PicksTheInt8DotProduct_ByTheCpu(string cpu, string path)
    {
        Skip.If(arm.Missing is not null, arm.Missing);
        var info = arm.RunOn(cpu, null, "info");
        Assert.True(info.ExitCode == 0, info.StdErr);
        Assert.Contains("kernels: 128-bit vectors (Arm64); int8 dot: " + path, info.StdOut, StringComparison.Ordinal);
    }

    /// <summary>
    /// The int8 kernels on Arm, with SDOT (cortex-a76) and without (cortex-a72, the AdvSimd fallback): the same logits bit for bit
    /// (the integer sums are exact and both add the blocks in the same order), and the x64 build's within the set's tolerance.
    /// </summary>
    [SkippableTheory]
    [InlineData("bitnet-untied", null)] // ternary as stored
    [InlineData("llama-gqa", "q8_0")]
    [InlineData("jamba-tiny-a", "ternary")]
    public void Arm64_QuantizedLogits_WithAndWithoutSdot_AreIdentical_AndMatchTheX64Build(string name, string? quant)
    {
        Skip.If(arm.Missing is not null, arm.Missing);
        var set = ReferenceLogits.Load(name);
        string model = set.Model;
        string work = Path.Combine(arm.TempDirectory, $"{name}-{quant ?? "stored"}");
        Directory.CreateDirectory(work);
        if (quant is not null)
        {
            // The folder given the post-training-quantized layout as its own layout.model.json.
            foreach (string file in Directory.GetFiles(model))
            {
                File.Copy(file, Path.Combine(work, Path.GetFileName(file)), overwrite: true);
            }
            var import = x64.Run(null, "import", work, "--quant", quant, "-o", Path.Combine(work, "layout.model.json"));
            Assert.True(import.ExitCode == 0, import.StdErr);
            model = work;
        }

        float[] Logits(string label, Func<string[], ProcessResult> run)
        {
            string output = Path.Combine(work, label + ".f32");
            var result = run(["logits", "--model", model, "--tokens", set.Tokens, "--out", output]);
            Assert.True(result.ExitCode == 0, $"{label}: {result.StdErr}");
            return MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(output)).ToArray();
        }

        float[] onX64 = Logits("x64", args => x64.Run(null, args));
        float[] neon = Logits("cortex-a72", args => arm.RunOn("cortex-a72", null, args));
        float[] sdot = Logits("cortex-a76", args => arm.RunOn("cortex-a76", null, args));

        Assert.Equal(neon.Select(BitConverter.SingleToInt32Bits), sdot.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(onX64.Length, sdot.Length);
        int vocabulary = onX64.Length / set.Positions;
        double worst = 0;
        for (int i = 0; i < sdot.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(sdot[i] - onX64[i]));
        }
        Assert.True(worst <= set.Tolerance, $"{name} {quant}: arm64 vs x64 max |diff| {worst} > {set.Tolerance}");
        for (int t = 0; t < set.Positions; t++)
        {
            float[] x = onX64[(t * vocabulary)..((t + 1) * vocabulary)], a = sdot[(t * vocabulary)..((t + 1) * vocabulary)];
            Assert.True(Array.IndexOf(x, x.Max()) == Array.IndexOf(a, a.Max()), $"{name} {quant}: argmax differs at position {t}");
        }
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

        var onArm = AotBinary.RunProcess(ArmBinary.Qemu, ["-L", ArmBinary.Sysroot, executable, "--greedy", "-n", "60"], "Once upon a time",
            TimeSpan.FromMinutes(5), workingDirectory: empty);
        var onX64 = x64.Run("Once upon a time", "--model", model, "--greedy", "-n", "60");
        Assert.True(onArm.ExitCode == 0, onArm.StdErr);
        Assert.Equal(onX64.StdOut, onArm.StdOut);
        Assert.DoesNotContain("generic", onArm.StdErr, StringComparison.Ordinal);
    }
}
