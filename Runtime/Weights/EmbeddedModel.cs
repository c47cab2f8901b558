using System.Globalization;
using System.IO.Hashing;
using System.Reflection;
using System.Text.Json;

namespace EdgeJamba.Runtime;

/// <summary>
/// A model whose files are resources of the executable (<c>edgejamba build --embed</c>, and the default
/// binary). The build puts every file of the model folder into the assembly as a resource named
/// <c><see cref="ResourcePrefix"/>&lt;file&gt;</c>, beside a manifest (<see cref="ManifestFile"/>) listing each
/// file's size and XXH3-64 hash. Resources live in the executable's mapped image, so the weights are
/// read in place, like a memory-mapped folder; at start every file is hashed and checked against the
/// manifest, so a damaged or tampered binary refuses to run instead of computing garbage.
/// </summary>
public sealed unsafe class EmbeddedModel : ModelFiles
{
    /// <summary>Prefix of the resource names of the embedded files.</summary>
    public const string ResourcePrefix = "edgejamba.embed/";

    /// <summary>File name of the manifest inside the embedded set.</summary>
    public const string ManifestFile = "edgejamba-embed.json";

    private const int ManifestFormat = 1;

    private readonly Dictionary<string, (nint Data, long Length)> _files;

    private EmbeddedModel(string modelName, Dictionary<string, (nint, long)> files)
    {
        ModelName = modelName;
        _files = files;
    }

    /// <summary>The name the build gave the model (its folder name).</summary>
    public override string ModelName { get; }

    /// <inheritdoc/>
    public override string Name => "embedded model " + ModelName;

    /// <summary>Bytes of all embedded files.</summary>
    public long TotalBytes => _files.Values.Sum(f => f.Length);

    /// <summary>
    /// The model embedded in <paramref name="assembly"/>, with every file's hash checked; null when the
    /// assembly embeds none.
    /// </summary>
    /// <exception cref="EdgeJambaException">The manifest is damaged or a file does not match it.</exception>
    public static EmbeddedModel? TryOpen(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        if (Resource(assembly, ManifestFile) is not { } manifestResource)
        {
            return null;
        }
        (string name, List<ManifestEntry> entries) = ReadManifest(new ReadOnlySpan<byte>((byte*)manifestResource.Data, checked((int)manifestResource.Length)));
        var files = new Dictionary<string, (nint, long)>(StringComparer.Ordinal);
        foreach (ManifestEntry entry in entries)
        {
            if (Resource(assembly, entry.File) is not { } resource)
            {
                throw Damaged($"file '{entry.File}' listed in its manifest is missing");
            }
            if (resource.Length != entry.Bytes)
            {
                throw Damaged(string.Create(CultureInfo.InvariantCulture, $"file '{entry.File}' is {resource.Length} bytes, the manifest says {entry.Bytes}"));
            }
            ulong hash = Hash((byte*)resource.Data, resource.Length);
            if (hash != entry.Hash)
            {
                throw Damaged(string.Create(CultureInfo.InvariantCulture, $"file '{entry.File}' has hash {hash:x16}, the manifest says {entry.Hash:x16}"));
            }
            files.Add(entry.File, resource);
        }
        return new EmbeddedModel(name, files);
    }

    /// <summary>
    /// Writes the manifest for embedding <paramref name="files"/> of <paramref name="directory"/> into
    /// <paramref name="manifestPath"/> (atomically), hashing each file as the runtime will.
    /// </summary>
    public static void WriteManifest(string directory, IEnumerable<string> files, string modelName, string manifestPath)
    {
        ArgumentNullException.ThrowIfNull(files);
        var entries = new List<ManifestEntry>();
        foreach (string file in files.Order(StringComparer.Ordinal))
        {
            string path = Path.Combine(directory, file);
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20);
            var hasher = new XxHash3();
            hasher.Append(stream);
            entries.Add(new ManifestEntry(file, stream.Length, hasher.GetCurrentHashAsUInt64()));
        }
        AtomicFile.Write(manifestPath, stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteNumber("format", ManifestFormat);
            json.WriteString("name", modelName);
            json.WriteStartArray("files");
            foreach (ManifestEntry entry in entries)
            {
                json.WriteStartObject();
                json.WriteString("name", entry.File);
                json.WriteNumber("bytes", entry.Bytes);
                json.WriteString("xxh3", entry.Hash.ToString("x16", CultureInfo.InvariantCulture));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    /// <inheritdoc/>
    public override bool Exists(string file) => _files.ContainsKey(file);

    /// <inheritdoc/>
    public override IReadOnlyList<string> List(string extension) =>
        [.. _files.Keys.Where(f => f.EndsWith(extension, StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    /// <inheritdoc/>
    public override byte[] ReadAllBytes(string file)
    {
        (nint data, long length) = Find(file);
        return new ReadOnlySpan<byte>((byte*)data, checked((int)length)).ToArray();
    }

    /// <inheritdoc/>
    public override SafetensorsFile OpenSafetensors(string file)
    {
        (nint data, long length) = Find(file);
        return SafetensorsFile.OpenMemory(PathOf(file), (byte*)data, length);
    }

    private (nint Data, long Length) Find(string file) =>
        _files.TryGetValue(file, out var found) ? found : throw new EdgeJambaException($"{PathOf(file)}: not found");

    private static (nint Data, long Length)? Resource(Assembly assembly, string file)
    {
        using Stream? stream = assembly.GetManifestResourceStream(ResourcePrefix + file);
        return stream switch
        {
            null => null,
            UnmanagedMemoryStream mapped => ((nint)mapped.PositionPointer, mapped.Length),
            _ => throw Damaged($"file '{file}' is not mapped in memory"),
        };
    }

    private static ulong Hash(byte* data, long length)
    {
        var hasher = new XxHash3();
        for (long done = 0; done < length;)
        {
            int chunk = (int)Math.Min(length - done, 1 << 30);
            hasher.Append(new ReadOnlySpan<byte>(data + done, chunk));
            done += chunk;
        }
        return hasher.GetCurrentHashAsUInt64();
    }

    private static (string Name, List<ManifestEntry> Entries) ReadManifest(ReadOnlySpan<byte> manifest)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(manifest.ToArray());
            JsonElement root = document.RootElement;
            if (root.GetProperty("format").GetInt32() != ManifestFormat)
            {
                throw Damaged($"its manifest has format {root.GetProperty("format")}, this binary reads {ManifestFormat}");
            }
            var entries = new List<ManifestEntry>();
            foreach (JsonElement file in root.GetProperty("files").EnumerateArray())
            {
                entries.Add(new ManifestEntry(
                    file.GetProperty("name").GetString()!,
                    file.GetProperty("bytes").GetInt64(),
                    ulong.Parse(file.GetProperty("xxh3").GetString()!, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)));
            }
            return (root.GetProperty("name").GetString()!, entries);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw Damaged($"its manifest cannot be read ({e.Message})");
        }
    }

    private static EdgeJambaException Damaged(string detail) =>
        new($"the model embedded in this executable is damaged: {detail}; rebuild it with `edgejamba build --embed`");

    private sealed record ManifestEntry(string File, long Bytes, ulong Hash);
}
