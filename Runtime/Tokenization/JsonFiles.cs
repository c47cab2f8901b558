using System.Text.Json;

namespace EdgeJamba.Runtime.Tokenization;

/// <summary>Reads the JSON files of a model; every failure becomes an <see cref="EdgeJambaException"/> naming the file.</summary>
internal static class JsonFiles
{
    public static JsonDocument Parse(ModelFiles model, string file)
    {
        try
        {
            return JsonDocument.Parse(model.ReadAllBytes(file));
        }
        catch (JsonException ex)
        {
            throw new EdgeJambaException($"{model.PathOf(file)}: invalid JSON ({ex.Message})", ex);
        }
    }

    /// <summary>The parsed file, or null when the model has no such file.</summary>
    public static JsonDocument? ParseIfExists(ModelFiles model, string file) => model.Exists(file) ? Parse(model, file) : null;
}
