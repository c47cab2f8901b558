using System.Buffers.Binary;
using System.Text.Json;
using EdgeJamba.Runtime.Import;
using EdgeJamba.Tests;

namespace EdgeJamba.Parity.Tests.ReferenceSets;

/// <summary>
/// One folder of the shared reference data: a model folder, teacher-forced tokens and the logits an independent
/// peer computed for them (see the reference README). Everything is read from the set's <c>manifest.json</c>.
/// </summary>
internal sealed class ReferenceSet
{
    private const string ReferenceFolder = "reference";

    private readonly float[] _expected;

    private ReferenceSet(string name, string architecture, string modelType, string modelDirectory, int[] tokens, int vocabSize,
        float[] expected, double tolerance, bool argmaxMustMatch)
    {
        Name = name;
        Architecture = architecture;
        ModelType = modelType;
        ModelDirectory = modelDirectory;
        Tokens = tokens;
        VocabSize = vocabSize;
        _expected = expected;
        Tolerance = tolerance;
        ArgmaxMustMatch = argmaxMustMatch;
    }

    public string Name { get; }

    /// <summary>The manifest's <c>architecture</c> (the Hugging Face class).</summary>
    public string Architecture { get; }

    /// <summary><c>model_type</c> of the model folder's config.json.</summary>
    public string ModelType { get; }

    /// <summary>The Hugging Face folder (<c>hf_folder</c>, resolved against the set's folder).</summary>
    public string ModelDirectory { get; }

    public int[] Tokens { get; }

    public int VocabSize { get; }

    /// <summary><c>suggested_tolerance.max_abs_diff</c>.</summary>
    public double Tolerance { get; }

    /// <summary><c>suggested_tolerance.argmax_must_match</c>.</summary>
    public bool ArgmaxMustMatch { get; }

    /// <summary>Whether this version imports the set's <c>model_type</c>.</summary>
    public bool IsSupported => HfConfigImporter.SupportedModelTypes.Contains(ModelType);

    /// <summary>
    /// Names of the sets in the shared reference folder (every subfolder with a manifest), sorted; a single
    /// placeholder when the folder is absent, so that the theories over them still run (and skip).
    /// </summary>
    public static IReadOnlyList<string> Names()
    {
        string? root = SharedData.Root;
        string folder = root is null ? "" : Path.Combine(root, ReferenceFolder);
        if (!Directory.Exists(folder))
        {
            return ["(no shared reference data)"];
        }
        return [.. Directory.GetDirectories(folder)
            .Where(d => File.Exists(Path.Combine(d, "manifest.json")))
            .Select(d => Path.GetFileName(d))
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>Reads set <paramref name="name"/>; skips the test when the shared data is absent.</summary>
    public static ReferenceSet Load(string name)
    {
        string folder = SharedData.RequireDirectory(Path.Combine(ReferenceFolder, name));
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json")));
        var root = manifest.RootElement;
        string modelDirectory = Path.GetFullPath(Path.Combine(folder, root.GetProperty("hf_folder").GetString()!));
        int[] tokens = [.. root.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32())];
        Assert.Equal(root.GetProperty("n_tokens").GetInt32(), tokens.Length);

        var logits = root.GetProperty("expected_logits");
        Assert.Equal("float32 little-endian", logits.GetProperty("dtype").GetString());
        int[] shape = [.. logits.GetProperty("shape").EnumerateArray().Select(s => s.GetInt32())];
        Assert.Equal([tokens.Length, shape[1]], shape);
        byte[] bytes = File.ReadAllBytes(Path.Combine(folder, logits.GetProperty("file").GetString()!));
        Assert.Equal(4L * shape[0] * shape[1], bytes.Length);
        var expected = new float[bytes.Length / 4];
        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i));
        }

        var tolerance = root.GetProperty("suggested_tolerance");
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(modelDirectory, "config.json")));
        string modelType = config.RootElement.TryGetProperty("model_type", out var type) ? type.GetString() ?? "" : "";
        return new ReferenceSet(name, root.GetProperty("architecture").GetString() ?? "", modelType, modelDirectory, tokens, shape[1], expected,
            tolerance.GetProperty("max_abs_diff").GetDouble(), tolerance.GetProperty("argmax_must_match").GetBoolean());
    }

    /// <summary>Reads set <paramref name="name"/> and skips the test when its architecture is not supported.</summary>
    public static ReferenceSet LoadSupported(string name)
    {
        var set = Load(name);
        Skip.IfNot(set.IsSupported, $"{name}: architecture {set.Architecture} (model_type '{set.ModelType}') is not supported by this version " +
            $"(supported: {string.Join(", ", HfConfigImporter.SupportedModelTypes)}); skipped.");
        return set;
    }

    /// <summary>The expected logits after feeding <c>Tokens[0..position]</c>.</summary>
    public ReadOnlySpan<float> Expected(int position) => _expected.AsSpan(position * VocabSize, VocabSize);
}
