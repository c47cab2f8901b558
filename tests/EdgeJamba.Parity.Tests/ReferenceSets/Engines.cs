using System.Collections.Concurrent;
using EdgeJamba.Generated;
using EdgeJamba.Layout;
using EdgeJamba.Parity.Tests.Infrastructure;
using EdgeJamba.Runtime;

namespace EdgeJamba.Parity.Tests.ReferenceSets;

/// <summary>Opens a reference set's model folder on either engine, the way the CLI does.</summary>
internal static class Engines
{
    /// <summary>Specialized code built at test time for layouts that ModelSpecs/ does not cover (hidden sets), by layout hash.</summary>
    private static readonly ConcurrentDictionary<string, Lazy<(GeneratedAssembly Assembly, ModelLayout Layout)>> s_inProcess = new();

    /// <summary>
    /// Loads the set's folder on <paramref name="engine"/> (with the importer's default context unless
    /// <paramref name="maxContext"/> is given). Specialized means the class the generator compiled into this assembly
    /// from ModelSpecs/ or, for a layout with no spec there, one generated in-process; either way a generated class,
    /// never the generic engine.
    /// </summary>
    public static LoadedModel Load(ReferenceSet set, EngineChoice engine, int? maxContext = null)
    {
        var loaded = ModelLoader.Load(set.ModelDirectory, engine, maxContext, engine == EngineChoice.Generic ? null : CreateSpecialized);
        try
        {
            string expected = engine == EngineChoice.Generic ? "generic" : "specialized";
            Assert.Equal(expected, loaded.Model.EngineName);
            if (engine == EngineChoice.Generic)
            {
                Assert.IsType<GenericModel>(loaded.Model);
            }
            else
            {
                Assert.StartsWith("EdgeJamba.Generated.", loaded.Model.GetType().FullName, StringComparison.Ordinal);
            }
            return loaded;
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    /// <summary>Whether <paramref name="model"/> is a class the generator compiled into this test assembly.</summary>
    public static bool IsCompiledIn(LanguageModel model) => model.GetType().Assembly == typeof(Engines).Assembly;

    /// <summary>The compiled-in class for <paramref name="layout"/>, else one generated and compiled in-process (cached by layout hash).</summary>
    internal static LanguageModel CreateSpecialized(ModelLayout layout, Checkpoint checkpoint)
    {
        if (GeneratedModels.TryCreate(layout, checkpoint) is { } compiledIn)
        {
            return compiledIn;
        }
        var built = s_inProcess.GetOrAdd(LayoutHash.Compute(layout), _ => new Lazy<(GeneratedAssembly, ModelLayout)>(() =>
        {
            // The name only has to be a unique identifier; it is not part of the layout hash.
            var renamed = layout with { Name = "Set" + LayoutHash.Compute(layout) };
            return (GeneratedAssembly.Build([renamed]), renamed);
        })).Value;
        return built.Assembly.Create(built.Layout, checkpoint);
    }
}
