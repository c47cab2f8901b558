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
    internal LoadedModel(ModelFiles files, ModelLayout layout, Checkpoint checkpoint, LanguageModel model)
    {
        Files = files;
        Layout = layout;
        Checkpoint = checkpoint;
        Model = model;
    }

    /// <summary>Where the model's files are (its folder, or the executable for an embedded model).</summary>
    public ModelFiles Files { get; }

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
    /// The layout of a model folder: from its own spec file <c>layout.model.json</c> when it has one (random-weight
    /// models, embedded models, a folder given a quantized spec by <c>edgejamba import --quant</c>), else from its
    /// Hugging Face <c>config.json</c>.
    /// </summary>
    public static ModelLayout ReadLayout(ModelFiles model, int? maxContext)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Exists(RandomCheckpoint.SpecFileName))
        {
            string text = System.Text.Encoding.UTF8.GetString(model.ReadAllBytes(RandomCheckpoint.SpecFileName));
            return SpecFile.Parse(text, model.PathOf(RandomCheckpoint.SpecFileName), maxContext);
        }
        return HfConfigImporter.Import(model, maxContext);
    }

    /// <summary>Opens the model folder <paramref name="directory"/>; see <see cref="Load(ModelFiles, EngineChoice, int?, Func{ModelLayout, Checkpoint, LanguageModel?}?, Action{string}?)"/>.</summary>
    public static LoadedModel Load(string directory, EngineChoice engine, int? maxContext,
        Func<ModelLayout, Checkpoint, LanguageModel?>? specialized, Action<string>? notice = null) =>
        Load(ModelFiles.FromDirectory(directory), engine, maxContext, specialized, notice);

    /// <param name="model">Files with config.json (or layout.model.json) and safetensors weights.</param>
    /// <param name="engine">Engine preference.</param>
    /// <param name="maxContext">Context to plan the KV cache for; null for the default.</param>
    /// <param name="specialized">Creates the compiled-in model for a layout, or returns null (the application's <c>GeneratedModels.TryCreate</c>).</param>
    /// <param name="notice">Receives one line for the user when the generic engine is used in auto mode.</param>
    public static LoadedModel Load(ModelFiles model, EngineChoice engine, int? maxContext,
        Func<ModelLayout, Checkpoint, LanguageModel?>? specialized, Action<string>? notice = null)
    {
        var layout = ReadLayout(model, maxContext);
        var checkpoint = Checkpoint.Open(model);
        string directory = model.Name;
        try
        {
            LanguageModel? languageModel = null;
            if (engine != EngineChoice.Generic)
            {
                languageModel = specialized?.Invoke(layout, checkpoint);
                if (languageModel is null && engine == EngineChoice.Specialized)
                {
                    throw new EdgeJambaException($"{directory}: no specialized code is compiled in for this layout (layout hash " +
                        $"{LayoutHash.Compute(layout)}); use --engine generic, or build a binary for it");
                }
                if (languageModel is null)
                {
                    notice?.Invoke($"note: no specialized code for this layout (hash {LayoutHash.Compute(layout)}); running on the generic engine");
                }
            }
            languageModel ??= new GenericModel(layout, checkpoint);
            return new LoadedModel(model, layout, checkpoint, languageModel);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }
}
