using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeJamba.Tests;

namespace EdgeJamba.Cli.Tests;

/// <summary><c>edgejamba info</c>: the memory plan it prints is what the config implies and what the engine allocated.</summary>
[Collection(AotCollection.Name)]
public sealed partial class InfoTests(AotBinary binary)
{
    [SkippableTheory]
    [InlineData("jamba-tiny-a", "specialized")]
    [InlineData("jamba-tiny-b", "generic")]
    public void Jamba_MemoryPlan_MatchesConfigArithmetic_AndAllocation(string set, string engine)
    {
        string folder = Path.Combine(SharedData.RequireDirectory("reference/" + set), "hf");
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "config.json")));
        var c = config.RootElement;
        int Int(string name) => c.GetProperty(name).GetInt32();

        // Independent arithmetic from the config (ARCHITECTURES.md §5): attention at i % period == offset, Mamba elsewhere.
        int layers = Int("num_hidden_layers"), hidden = Int("hidden_size");
        int attention = Enumerable.Range(0, layers).Count(i => i % Int("attn_layer_period") == Int("attn_layer_offset"));
        int kvDim = Int("num_key_value_heads") * (hidden / Int("num_attention_heads"));
        long kvPerToken = attention * 2L * kvDim * sizeof(float);
        long dInner = Int("mamba_expand") * (long)hidden;
        long recurrent = (layers - attention) * dInner * (Int("mamba_d_conv") + Int("mamba_d_state")) * sizeof(float);
        const int context = 4096; // min(max_position_embeddings, 4096)

        var result = binary.Run(null, "info", "--model", folder, "--engine", engine);

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Equal(recurrent, Field(result.StdOut, "recurrent state"));
        Assert.Equal(kvPerToken, Field(result.StdOut, "KV cache per token"));
        var state = StateLine().Match(result.StdOut);
        Assert.True(state.Success, result.StdOut);
        long planned = long.Parse(state.Groups[1].Value, CultureInfo.InvariantCulture);
        long allocated = long.Parse(state.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.Equal((kvPerToken * context) + recurrent, planned);
        Assert.Equal(planned, allocated);
        Assert.Contains("engine:               " + engine, result.StdOut, StringComparison.Ordinal);
    }

    private static long Field(string text, string name)
    {
        var match = Regex.Match(text, "  " + Regex.Escape(name) + @":\s+(\d+) B");
        Assert.True(match.Success, $"'{name}' not in:\n{text}");
        return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"state at max context: (\d+) B .*allocated (\d+) B")]
    private static partial Regex StateLine();
}
