using System.Diagnostics;
using EdgeJamba.Layout;
using EdgeJamba.Parity.Tests.Infrastructure;
using EdgeJamba.Runtime.Import;
using EdgeJamba.Runtime.Tests.Weights;

namespace EdgeJamba.Parity.Tests.RandomLayouts;

/// <summary>
/// <see cref="Count"/> seeded random layouts, each with random weights (<see cref="RandomCheckpoint"/>: activations
/// stay O(1)) in its own folder, and the specialized code of all of them generated and compiled once (one
/// compilation keeps this fast).
/// </summary>
public sealed class RandomModelsFixture : IDisposable
{
    public const int Count = RandomLayout.FirstXlstm + 18;

    /// <summary>Tokens fed to each model.</summary>
    public const int Tokens = 12;

    private const int Seed = 20250611;

    private readonly TempDirectory _folder = new();

    public RandomModelsFixture()
    {
        var clock = Stopwatch.StartNew();
        var models = new RandomCase[Count];
        for (int i = 0; i < Count; i++)
        {
            // One generator per case, so a failing case reproduces on its own.
            var rng = new Random(Seed + i);
            var layout = RandomLayout.Create(i, rng);
            string directory = Path.Combine(_folder.Path, layout.Name);
            RandomCheckpoint.Write(layout, directory, seed: Seed + i);
            int[] tokens = [.. Enumerable.Range(0, Tokens).Select(_ => rng.Next(layout.VocabSize))];
            models[i] = new RandomCase(layout, directory, tokens);
        }
        Cases = models;
        WeightsTime = clock.Elapsed;
        clock.Restart();
        Generated = GeneratedAssembly.Build([.. models.Select(m => m.Layout)]);
        BuildTime = clock.Elapsed;
    }

    public IReadOnlyList<RandomCase> Cases { get; }

    /// <summary>The specialized code of every case.</summary>
    internal GeneratedAssembly Generated { get; }

    /// <summary>Time to draw the layouts and write their weights.</summary>
    public TimeSpan WeightsTime { get; }

    /// <summary>Time to run the generator and compile its output.</summary>
    public TimeSpan BuildTime { get; }

    public void Dispose()
    {
        Generated.Dispose();
        _folder.Dispose();
    }
}

/// <summary>One random model: its layout, the folder of its weights and the tokens to feed.</summary>
public sealed record RandomCase(ModelLayout Layout, string Directory, int[] Tokens);
