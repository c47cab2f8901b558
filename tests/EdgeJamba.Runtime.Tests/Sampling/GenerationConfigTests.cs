using EdgeJamba.Runtime.Sampling;

namespace EdgeJamba.Runtime.Tests.Sampling;

public sealed class GenerationConfigTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edgejamba-genconfig-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private GenerationConfig Read(string? json)
    {
        if (json is not null)
        {
            File.WriteAllText(Path.Combine(_folder, "generation_config.json"), json);
        }
        return GenerationConfig.Read(ModelFiles.FromDirectory(_folder));
    }

    [Fact]
    public void NoFile_ChangesNothing()
    {
        var options = new SamplerOptions { Seed = 3 };
        Assert.Equal(options, Read(null).ApplyTo(options, _ => false));
    }

    [Fact]
    public void Values_ReplaceTheBuiltInDefaults_ButNotWhatTheUserGave()
    {
        var config = Read("""{"do_sample": true, "temperature": 0.6, "top_k": 0, "top_p": 0.9, "min_p": null, "repetition_penalty": 1.2, "max_new_tokens": 77, "eos_token_id": 2}""");
        Assert.Equal(77, config.MaxNewTokens);
        var defaults = new SamplerOptions();
        var applied = config.ApplyTo(defaults, _ => false);
        Assert.Equal(defaults with { Temperature = 0.6f, TopK = 0, TopP = 0.9f, RepeatPenalty = 1.2f }, applied);

        var userGaveTemperature = config.ApplyTo(defaults with { Temperature = 1.5f }, name => name == nameof(SamplerOptions.Temperature));
        Assert.Equal(1.5f, userGaveTemperature.Temperature);
        Assert.Equal(0.9f, userGaveTemperature.TopP);
    }

    [Fact]
    public void DoSampleFalse_MeansGreedy_UnlessTheUserChoseSampling()
    {
        var config = Read("""{"do_sample": false}""");
        Assert.True(config.ApplyTo(new SamplerOptions(), _ => false).Greedy);
        Assert.False(config.ApplyTo(new SamplerOptions(), name => name == nameof(SamplerOptions.Greedy)).Greedy);
    }

    [Theory]
    [InlineData("""{"temperature": "hot"}""", "\"temperature\" must be a number")]
    [InlineData("""{"top_k": 1.5}""", "\"top_k\" must be an integer")]
    [InlineData("""{"do_sample": "yes"}""", "\"do_sample\" must be true or false")]
    [InlineData("""[1]""", "expected a JSON object")]
    [InlineData("""{"temperature": """, "invalid JSON")]
    public void BadFile_IsNamedWithTheField(string json, string message)
    {
        var e = Assert.Throws<EdgeJambaException>(() => Read(json));
        Assert.Contains("generation_config.json", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
