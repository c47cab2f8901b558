using EdgeJamba.Layout;
using EdgeJamba.Runtime.Import;

namespace EdgeJamba.Runtime.Tests.Import;

public sealed class ModelLoaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edgejamba-loader-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void FolderSpec_WinsOverConfigJson_SoAQuantizedLayoutCanBeGivenToAHuggingFaceFolder()
    {
        File.WriteAllText(Path.Combine(_folder, "config.json"), """
            {"model_type": "llama", "vocab_size": 300, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 256, "rms_norm_eps": 1e-5}
            """);
        var files = ModelFiles.FromDirectory(_folder);
        var dense = ModelLoader.ReadLayout(files, maxContext: null);
        Assert.Equal(ProjectionFormat.Dense, dense.Projections);
        Assert.Equal(256, dense.MaxContext);

        var q8 = HfConfigImporter.Quantize(dense, ProjectionFormat.Q8_0, "test");
        File.WriteAllText(Path.Combine(_folder, RandomCheckpoint.SpecFileName), SpecWriter.Write(q8 with { MaxContext = 128 }));

        var fromSpec = ModelLoader.ReadLayout(files, maxContext: null);
        Assert.Equal(ProjectionFormat.Q8_0, fromSpec.Projections);
        Assert.Equal(128, fromSpec.MaxContext);
        Assert.Equal(64, ModelLoader.ReadLayout(files, maxContext: 64).MaxContext); // --ctx still applies
    }
}
