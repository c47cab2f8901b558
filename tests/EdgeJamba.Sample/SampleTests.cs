using EdgeJamba.Generated.TinyHybrid;
using EdgeJamba.Runtime;
using EdgeJamba.Runtime.Generation;
using EdgeJamba.Runtime.Import;
using EdgeJamba.Runtime.Sampling;
using EdgeJamba.Runtime.Tokenization;

namespace EdgeJamba.Sample;

/// <summary>The sample application's own generated model type, used directly, against the generic engine.</summary>
public sealed class SampleTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "edgejamba-sample-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void GeneratedModelType_LivesInThisAssembly_AndMatchesTheGenericEngine()
    {
        Assert.Equal(typeof(SampleTests).Assembly, typeof(TinyHybridModel).Assembly);
        RandomCheckpoint.Write(TinyHybridModel.Spec, _folder, seed: 9);
        using var checkpoint = Checkpoint.Open(_folder);
        using var specialized = new TinyHybridModel(checkpoint);
        using var generic = new GenericModel(TinyHybridModel.Spec, checkpoint);

        int[] tokens = [72, 101, 108, 108, 111, 32, 119, 111];
        for (int t = 0; t < tokens.Length; t++)
        {
            var a = specialized.Forward(tokens[t], t).ToArray();
            var b = generic.Forward(tokens[t], t).ToArray();
            for (int i = 0; i < a.Length; i++)
            {
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-5, $"position {t}, logit {i}: {a[i]} vs {b[i]}");
            }
        }
    }

    [Fact]
    public void Application_GeneratesText_WithItsOwnModel()
    {
        RandomCheckpoint.Write(TinyHybridModel.Spec, _folder, seed: 9);
        using var checkpoint = Checkpoint.Open(_folder);
        using var model = new TinyHybridModel(checkpoint);
        var session = new TextGenerator(model, new ByteTextTokenizer(), new Sampler(TinyHybridModel.VocabSize, new SamplerOptions { Seed = 1 }));
        using var text = new StringWriter();

        var stats = session.Generate("Hi", text, new GenerationOptions { MaxTokens = 12, StopAtEos = false });

        Assert.Equal(12, stats.GeneratedTokens);
        Assert.Equal(2 + 12, session.History.Count);
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
