using System.Runtime.InteropServices;
using System.Text.Json;
using EdgeJamba.Tests;

namespace EdgeJamba.Cli.Tests;

/// <summary>Runs <c>edgejamba logits</c> (through whichever binary) on a reference set and checks it against the peer's logits.</summary>
internal static class ReferenceLogits
{
    /// <param name="set">The reference set's folder name.</param>
    /// <param name="output">Where the binary writes its logits.</param>
    /// <param name="run">Runs the binary with the given arguments.</param>
    /// <param name="label">Names the binary and engine in the failure message.</param>
    /// <param name="extra">Further arguments (e.g. <c>--engine generic</c>).</param>
    public static void AssertMatch(string set, string output, Func<string[], ProcessResult> run, string label, params string[] extra)
    {
        var reference = Load(set);

        var result = run(["logits", "--model", reference.Model, "--tokens", reference.Tokens, "--out", output, .. extra]);

        Assert.True(result.ExitCode == 0, result.StdErr);
        var got = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(output));
        var expected = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(reference.ExpectedLogits));
        Assert.Equal(expected.Length, got.Length);
        double worst = 0;
        for (int i = 0; i < got.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(got[i] - expected[i]));
        }
        Assert.True(worst <= reference.Tolerance, $"{set} {label}: max |diff| {worst} > {reference.Tolerance}");
    }

    /// <summary>A reference set's model folder, its tokens (comma-separated, as <c>--tokens</c> takes them) and logits tolerance.</summary>
    public static ReferenceSet Load(string set)
    {
        string folder = SharedData.RequireDirectory("reference/" + set);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")));
        var root = manifest.RootElement;
        var tokens = root.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray();
        return new ReferenceSet(Path.Combine(folder, root.GetProperty("hf_folder").GetString()!), string.Join(',', tokens), tokens.Length,
            root.GetProperty("suggested_tolerance").GetProperty("max_abs_diff").GetDouble(), Path.Combine(folder, "logits.f32"));
    }
}

/// <summary>What <see cref="ReferenceLogits.Load"/> reads from a set's manifest.</summary>
internal sealed record ReferenceSet(string Model, string Tokens, int Positions, double Tolerance, string ExpectedLogits);
