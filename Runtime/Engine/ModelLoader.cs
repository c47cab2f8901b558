using EdgeJamba.Layout;
using EdgeJamba.Runtime.Import;

namespace EdgeJamba.Runtime;

/// <summary>Which engine runs a model.</summary>
public enum EngineChoice
{
    /// <summary>The specialized code when the layout is compiled in, else the generic engine.</summary>
    Auto,

    /// <summary>The generic engine, always.</summary>
    Generic,

    /// <summary>The specialized code; an error when the layout is not compiled in.</summary>
    Specialized,
}

/// <summary>A model folder opened for inference: layout, mapped weights and the engine running them.</summary>
public sealed class LoadedModel : IDisposable
{
    internal LoadedModel(ModelLayout layout, Checkpoint checkpoint, LanguageModel model)
    {
        Layout = layout;
        Checkpoint = checkpoint;
        Model = model;
    }

    public ModelLayout Layout { get; }

    public Checkpoint Checkpoint { get; }

    public LanguageModel Model { get; }

    public void Dispose()
    {
        Model.Dispose();
        Checkpoint.Dispose();
    }
}

/// <summary>Opens a Hugging Face model folder and picks the engine for it.</summary>
public static class ModelLoader
{
    /// <summary>
    /// The layout of a model folder: from its Hugging Face <c>config.json</c>, or, for folders of our own
    /// (random-weight models), from the spec file <c>layout.model.json</c>.
    /// </summary>
    public static ModelLayout ReadLayout(string directory, int? maxContext)
    {
        if (!File.Exists(Path.Combine(directory, "config.json")) && File.Exists(Path.Combine(directory, RandomCheckpoint.SpecFileName)))
        {
            return SpecFile.Load(Path.Combine(directory, RandomCheckpoint.SpecFileName), maxContext);
        }
        return HfConfigImporter.Import(directory, maxContext);
    }

    /// <param name="directory">Folder with config.json (or layout.model.json) and safetensors weights.</param>
    /// <param name="engine">Engine preference.</param>
    /// <param name="maxContext">Context to plan the KV cache for; null for the default.</param>
    /// <param name="specialized">Creates the compiled-in model for a layout, or returns null (the application's <c>GeneratedModels.TryCreate</c>).</param>
    /// <param name="notice">Receives one line for the user when the generic engine is used in auto mode.</param>
    public static LoadedModel Load(string directory, EngineChoice engine, int? maxContext,
        Func<ModelLayout, Checkpoint, LanguageModel?>? specialized, Action<string>? notice = null)
    {
        if (!Directory.Exists(directory))
        {
            throw new EdgeJambaException($"{directory}: model folder not found");
        }
        var layout = ReadLayout(directory, maxContext);
        var checkpoint = Checkpoint.Open(directory);
        try
        {
            LanguageModel? model = null;
            if (engine != EngineChoice.Generic)
            {
                model = specialized?.Invoke(layout, checkpoint);
                if (model is null && engine == EngineChoice.Specialized)
                {
                    throw new EdgeJambaException($"{directory}: no specialized code is compiled in for this layout (layout hash " +
                        $"{LayoutHash.Compute(layout)}); use --engine generic, or build a binary for it");
                }
                if (model is null)
                {
                    notice?.Invoke($"note: no specialized code for this layout (hash {LayoutHash.Compute(layout)}); running on the generic engine");
                }
            }
            model ??= new GenericModel(layout, checkpoint);
            return new LoadedModel(layout, checkpoint, model);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }
}
