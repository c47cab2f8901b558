using System.Text.Json;

namespace EdgeJamba.Runtime.Tokenization;

/// <summary>Reads the JSON files of a model folder; every failure becomes an <see cref="EdgeJambaException"/> naming the file.</summary>
internal static class JsonFiles
{
    public static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            throw new EdgeJambaException($"{path}: invalid JSON ({ex.Message})", ex);
        }
        catch (IOException ex)
        {
            throw new EdgeJambaException($"{path}: cannot read the file ({ex.Message})", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new EdgeJambaException($"{path}: cannot read the file ({ex.Message})", ex);
        }
    }

    /// <summary>The parsed file, or null when it does not exist.</summary>
    public static JsonDocument? ParseIfExists(string path) => File.Exists(path) ? Parse(path) : null;
}
