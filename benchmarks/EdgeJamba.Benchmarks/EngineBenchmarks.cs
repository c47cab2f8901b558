using BenchmarkDotNet.Attributes;
using EdgeJamba.Generated.EdgeJambaDefault;
using EdgeJamba.Generated.Stories260K;
using EdgeJamba.Runtime;

namespace EdgeJamba.Benchmarks;

/// <summary>
/// Specialized against generic: 64 greedy decode steps of a small model, by the code generated for its spec (the specs
/// are compiled into this project, see the project file) and by the generic engine, in one process over the same mapped
/// weights, so the comparison does not move with each process's page placement as separate <c>edgejamba bench</c> runs do.
/// Models: the repository's default model and, when the shared reference data is beside the checkout (or
/// <c>EDGEJAMBA_SHARED</c> names it), stories260K.
/// </summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private const int Steps = 64;
    private Checkpoint? _checkpoint;
    private LanguageModel? _model;

    /// <summary>The models found.</summary>
    public static IEnumerable<string> Models() =>
        StoriesFolder() is null ? ["default"] : ["default", "stories260K"];

    [ParamsSource(nameof(Models))]
    public string Model { get; set; } = "default";

    [Params("generic", "specialized")]
    public string Engine { get; set; } = "generic";

    [GlobalSetup]
    public void Setup()
    {
        bool stories = Model == "stories260K";
        _checkpoint = Checkpoint.Open(stories ? StoriesFolder()! : Path.Combine(RepoRoot(), "ModelSpecs", "default"));
        _model = (Engine, stories) switch
        {
            ("generic", true) => new GenericModel(Stories260KModel.Spec, _checkpoint),
            ("generic", false) => new GenericModel(EdgeJambaDefaultModel.Spec, _checkpoint),
            (_, true) => new Stories260KModel(_checkpoint),
            _ => new EdgeJambaDefaultModel(_checkpoint),
        };
        _model.SetThreads(1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _model?.Dispose();
        _checkpoint?.Dispose();
    }

    /// <summary>64 tokens from position 0, each the argmax of the last logits.</summary>
    [Benchmark]
    public int Decode64Tokens()
    {
        _model!.Reset();
        int next = 1;
        for (int position = 0; position < Steps; position++)
        {
            next = Kernels.ArgMax(_model.Forward(next, position));
        }
        return next;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeJamba.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("EdgeJamba.sln not found above " + AppContext.BaseDirectory);
    }

    private static string? StoriesFolder()
    {
        string? shared = Environment.GetEnvironmentVariable("EDGEJAMBA_SHARED");
        shared = string.IsNullOrEmpty(shared) ? Path.Combine(RepoRoot(), "..", "shared") : shared;
        string folder = Path.GetFullPath(Path.Combine(shared, "models", "stories260K"));
        return Directory.Exists(folder) ? folder : null;
    }
}
