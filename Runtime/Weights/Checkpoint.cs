using System.Runtime.InteropServices;
using System.Text.Json;

namespace EdgeJamba.Runtime;

/// <summary>
/// The weights of one model directory: <c>model.safetensors</c>, or the shards named by
/// <c>model.safetensors.index.json</c>, or else every <c>*.safetensors</c> file in it. Engines bind
/// weights through <see cref="Matrix"/>, <see cref="Weight"/> and <see cref="Vector"/>: F32 tensors are returned in place
/// (pointers into the mapping, as aligned as the file lays them out); F16/BF16 tensors bound by <see cref="Weight"/>
/// (the matrix products' weights) too, widened on the fly by the kernels; other F16/BF16 tensors are widened to
/// float32 once, into 64-byte aligned native memory owned by the checkpoint. Everything returned
/// is valid until <see cref="Dispose"/>. Every error names the tensor.
/// </summary>
public sealed unsafe partial class Checkpoint : IDisposable
{
    /// <summary>The single-file checkpoint name.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>The shard index name (<c>weight_map</c>: tensor name → shard file).</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    private const int WidenChunkElements = 1 << 24;

    private readonly SafetensorsFile[] _files;
    private readonly Dictionary<string, (SafetensorsFile File, TensorInfo Info)> _tensors;
    private readonly Dictionary<string, nint> _floats = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Name, int Cols), F16LineMap> _lineMaps = [];
    private readonly List<nint> _owned = [];
    private readonly Lock _lock = new();
    private bool _disposed;

    private Checkpoint(string directory, SafetensorsFile[] files, Dictionary<string, (SafetensorsFile, TensorInfo)> tensors)
    {
        Directory = directory;
        _files = files;
        _tensors = tensors;
        MappedBytes = files.Sum(f => f.Length);
    }

    /// <summary>The model folder (or embedded model) given to <see cref="Open(ModelFiles)"/>, as messages name it.</summary>
    public string Directory { get; }

    /// <summary>The mapped files, in load order.</summary>
    public IReadOnlyList<SafetensorsFile> Files => _files;

    /// <summary>Total size of the mapped files.</summary>
    public long MappedBytes { get; }

    /// <summary>
    /// Bytes of native memory holding what was made from the tensors so far: float32 copies of F16/BF16 tensors, quantized
    /// projections, and the <see cref="F16LineMap"/>s of F16 weights.
    /// </summary>
    public long OwnedBytes { get; private set; }

    /// <summary>Every tensor name of the checkpoint.</summary>
    public IReadOnlyCollection<string> TensorNames => _tensors.Keys;

    /// <summary>Maps the weights of <paramref name="modelDirectory"/>; throws <see cref="EdgeJambaException"/> naming the file at fault.</summary>
    public static Checkpoint Open(string modelDirectory) => Open(ModelFiles.FromDirectory(modelDirectory));

    /// <summary>Opens the weights of <paramref name="model"/> without copying them; throws <see cref="EdgeJambaException"/> naming the file at fault.</summary>
    public static Checkpoint Open(ModelFiles model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var files = new List<SafetensorsFile>();
        try
        {
            var tensors = new Dictionary<string, (SafetensorsFile, TensorInfo)>(StringComparer.Ordinal);
            if (model.Exists(SingleFileName))
            {
                AddAll(files, tensors, model, SingleFileName);
            }
            else if (model.Exists(IndexFileName))
            {
                AddIndexed(files, tensors, model);
            }
            else
            {
                IReadOnlyList<string> found = model.List(".safetensors");
                if (found.Count == 0)
                {
                    throw new EdgeJambaException($"no {SingleFileName}, {IndexFileName} or *.safetensors file in '{model.Name}'.");
                }
                foreach (string name in found)
                {
                    AddAll(files, tensors, model, name);
                }
            }
            return new Checkpoint(model.Name, [.. files], tensors);
        }
        catch
        {
            files.ForEach(f => f.Dispose());
            throw;
        }
    }

    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The header entry of <paramref name="name"/>; throws when the checkpoint has no such tensor.</summary>
    public TensorInfo Info(string name) => Find(name).Info;

    /// <summary>
    /// Tensor <paramref name="name"/> as a <c>[rows, cols]</c> float32 matrix. Its shape must be
    /// <c>[rows, cols]</c>, <c>[rows, 1, cols]</c> (conv1d weights) or, when <paramref name="rows"/> is 1,
    /// <c>[cols]</c>; its dtype F32, F16 or BF16.
    /// </summary>
    public Matrix Matrix(string name, int rows, int cols)
    {
        CheckMatrixShape(name, rows, cols);
        return new Matrix(Floats(name), rows, cols);
    }

    /// <summary>
    /// A weight read only by the matrix products (<see cref="Kernels.MatVec"/>, <see cref="Kernels.MatMul"/>) or row by
    /// row (<see cref="Runtime.Matrix.CopyRowTo"/>): as <see cref="Matrix(string, int, int)"/>, but F16 and BF16 tensors
    /// stay in their stored 16-bit form, in place in the mapping, and are widened on the fly (half the bytes read). Where
    /// the products read it (<see cref="Kernels.UsesLineMaps"/>), an F16 weight comes with its <see cref="F16LineMap"/>, made
    /// on first use (one pass over the weight: a record of 16 bytes or more per row, and a scaled copy of the lines that hold
    /// subnormals).
    /// </summary>
    public Matrix Weight(string name, int rows, int cols)
    {
        CheckMatrixShape(name, rows, cols);
        (SafetensorsFile file, TensorInfo info) = Find(name);
        return info.DType switch
        {
            TensorDType.F16 => new Matrix(file.DataPointer(info), info.DType, rows, cols, Kernels.UsesLineMaps ? LineMap(name, rows, cols) : null),
            TensorDType.BF16 => new Matrix(file.DataPointer(info), info.DType, rows, cols),
            _ => new Matrix(Floats(name), rows, cols),
        };
    }

    /// <summary>The <see cref="F16LineMap"/> of F16 weight <paramref name="name"/>, made once.</summary>
    private F16LineMap LineMap(string name, int rows, int cols)
    {
        lock (_lock)
        {
            (SafetensorsFile file, TensorInfo info) = Find(name);
            if (!_lineMaps.TryGetValue((name, cols), out F16LineMap? map))
            {
                map = F16LineMap.Create((ushort*)file.DataPointer(info), rows, cols);
                OwnedBytes += map.Bytes;
                _lineMaps.Add((name, cols), map);
            }
            return map;
        }
    }

    private void CheckMatrixShape(string name, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        TensorInfo info = Info(name);
        IReadOnlyList<long> shape = info.Shape;
        bool fits = (shape.Count == 2 && shape[0] == rows && shape[1] == cols)
            || (shape.Count == 3 && shape[0] == rows && shape[1] == 1 && shape[2] == cols)
            || (rows == 1 && shape.Count == 1 && shape[0] == cols);
        if (!fits)
        {
            string expected = rows == 1 ? $"[1, {cols}] or [{cols}]" : $"[{rows}, {cols}] or [{rows}, 1, {cols}]";
            throw ShapeMismatch(info, expected);
        }
    }

    /// <summary>
    /// Tensor <paramref name="name"/> of shape <c>[blocks, rows, cols]</c> (per-head weights stacked on a leading
    /// axis, e.g. NX-AI xLSTM headwise projections) as a <c>[blocks·rows, cols]</c> float32 matrix: block <c>b</c>
    /// is rows <c>b·rows .. (b+1)·rows − 1</c>. Its dtype F32, F16 or BF16.
    /// </summary>
    public Matrix Stacked(string name, int blocks, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(blocks);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        TensorInfo info = Info(name);
        IReadOnlyList<long> shape = info.Shape;
        if (shape.Count != 3 || shape[0] != blocks || shape[1] != rows || shape[2] != cols)
        {
            throw ShapeMismatch(info, $"[{blocks}, {rows}, {cols}]");
        }
        return new Matrix(Floats(name), checked(blocks * rows), cols);
    }

    /// <summary>
    /// Tensor <paramref name="name"/> as <paramref name="length"/> float32 values. Its shape must be
    /// <c>[length]</c>, <c>[1, length]</c> or <c>[length, 1]</c>; its dtype F32, F16 or BF16.
    /// </summary>
    public ReadOnlySpan<float> Vector(string name, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        TensorInfo info = Info(name);
        IReadOnlyList<long> shape = info.Shape;
        bool fits = (shape.Count == 1 && shape[0] == length)
            || (shape.Count == 2 && ((shape[0] == 1 && shape[1] == length) || (shape[0] == length && shape[1] == 1)));
        if (!fits)
        {
            throw ShapeMismatch(info, $"[{length}], [1, {length}] or [{length}, 1]");
        }
        return new ReadOnlySpan<float>(Floats(name), length);
    }

    /// <summary>
    /// Scans every floating-point tensor (F32, F16, BF16, F64; in name order) for a NaN or an infinity and
    /// returns the first one found: the tensor, the element's flat (row-major) index and its value; null when
    /// every weight is finite. Reads the whole mapping once (for <c>--check-weights</c>).
    /// </summary>
    public (TensorInfo Tensor, long Element, double Value)? FindNonFinite()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach ((SafetensorsFile file, TensorInfo info) in _tensors.Values.OrderBy(t => t.Info.Name, StringComparer.Ordinal))
        {
            if (info.DType is not (TensorDType.F32 or TensorDType.F16 or TensorDType.BF16 or TensorDType.F64))
            {
                continue; // integer tensors are always finite
            }
            byte* data = file.DataPointer(info);
            for (long i = 0; i < info.ElementCount; i++)
            {
                double value = info.DType switch
                {
                    TensorDType.F32 => ((float*)data)[i],
                    TensorDType.F16 => (double)((Half*)data)[i],
                    TensorDType.BF16 => BitConverter.UInt32BitsToSingle((uint)((ushort*)data)[i] << 16),
                    _ => ((double*)data)[i],
                };
                if (!double.IsFinite(value))
                {
                    return (info, i, value);
                }
            }
        }
        return null;
    }

    /// <summary>The raw bytes of <paramref name="name"/> in the mapping, any dtype (e.g. U8 packed ternary weights); see <see cref="Info"/> for the layout.</summary>
    public byte* RawPointer(string name)
    {
        (SafetensorsFile file, TensorInfo info) = Find(name);
        return file.DataPointer(info);
    }

    /// <summary>Frees the widened copies and unmaps the files; every matrix, span and pointer obtained becomes invalid.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            foreach (nint block in _owned)
            {
                NativeMemory.AlignedFree((void*)block);
            }
            _owned.Clear();
            _floats.Clear();
            foreach (F16LineMap map in _lineMaps.Values)
            {
                map.Dispose();
            }
            _lineMaps.Clear();
            OwnedBytes = 0;
            foreach (SafetensorsFile file in _files)
            {
                file.Dispose();
            }
        }
    }

    private (SafetensorsFile File, TensorInfo Info) Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _tensors.TryGetValue(name, out (SafetensorsFile, TensorInfo) entry)
            ? entry
            : throw new EdgeJambaException($"tensor '{name}' not found in '{Directory}' ({_tensors.Count} tensors in {_files.Length} file(s)).");
    }

    /// <summary>The float32 data of <paramref name="name"/>: in place for F32, widened once (then cached) for F16/BF16.</summary>
    private float* Floats(string name)
    {
        lock (_lock)
        {
            (SafetensorsFile file, TensorInfo info) = Find(name);
            if (_floats.TryGetValue(name, out nint cached))
            {
                return (float*)cached;
            }

            float* data;
            if (info.DType == TensorDType.F32)
            {
                data = (float*)file.DataPointer(info);
            }
            else if (info.DType is TensorDType.F16 or TensorDType.BF16)
            {
                long bytes = info.ElementCount * sizeof(float);
                data = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), 64);
                _owned.Add((nint)data);
                OwnedBytes += bytes;
                Widen(info, file.DataPointer(info), data);
            }
            else
            {
                throw new EdgeJambaException(
                    $"tensor '{info.Name}' in '{info.FilePath}' is {info.DType} {info.ShapeText}; only F32, F16 and BF16 tensors can be read as float32.");
            }
            _floats.Add(name, (nint)data);
            return data;
        }
    }

    private static EdgeJambaException ShapeMismatch(TensorInfo info, string expected) =>
        new($"tensor '{info.Name}' in '{info.FilePath}': expected shape {expected}, found {info.ShapeText} {info.DType}.");

    private static void Widen(TensorInfo info, byte* source, float* destination)
    {
        for (long done = 0; done < info.ElementCount; done += WidenChunkElements)
        {
            int count = (int)Math.Min(WidenChunkElements, info.ElementCount - done);
            Kernels.Widen(new ReadOnlySpan<ushort>((ushort*)source + done, count), info.DType, new Span<float>(destination + done, count));
        }
    }

    private static void AddAll(List<SafetensorsFile> files, Dictionary<string, (SafetensorsFile, TensorInfo)> tensors, ModelFiles model, string name)
    {
        SafetensorsFile file = model.OpenSafetensors(name);
        files.Add(file);
        foreach (TensorInfo info in file.Tensors)
        {
            if (tensors.TryGetValue(info.Name, out (SafetensorsFile File, TensorInfo Info) other))
            {
                throw new EdgeJambaException($"tensor '{info.Name}' is in both '{other.File.FilePath}' and '{file.FilePath}'.");
            }
            tensors.Add(info.Name, (file, info));
        }
    }

    private static void AddIndexed(List<SafetensorsFile> files, Dictionary<string, (SafetensorsFile, TensorInfo)> tensors, ModelFiles model)
    {
        string indexPath = model.PathOf(IndexFileName);
        Dictionary<string, string> weightMap = ReadWeightMap(model, indexPath);
        var shards = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        foreach ((string name, string shardName) in weightMap)
        {
            if (!shards.TryGetValue(shardName, out SafetensorsFile? shard))
            {
                if (!ModelFiles.IsPlainName(shardName))
                {
                    throw new EdgeJambaException($"index '{indexPath}' maps tensor '{name}' to '{shardName}', which is outside the model directory.");
                }
                if (!model.Exists(shardName))
                {
                    throw new EdgeJambaException($"index '{indexPath}' maps tensor '{name}' to '{shardName}', which does not exist.");
                }
                shard = model.OpenSafetensors(shardName);
                files.Add(shard);
                shards.Add(shardName, shard);
            }
            if (!shard.TryGet(name, out TensorInfo? info))
            {
                throw new EdgeJambaException($"index '{indexPath}' maps tensor '{name}' to '{shardName}', which does not contain it.");
            }
            tensors.Add(name, (shard, info));
        }
    }

    private static Dictionary<string, string> ReadWeightMap(ModelFiles model, string indexPath)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(model.ReadAllBytes(IndexFileName));
        }
        catch (JsonException e)
        {
            throw new EdgeJambaException($"index '{indexPath}' is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out JsonElement map)
                || map.ValueKind != JsonValueKind.Object)
            {
                throw new EdgeJambaException($"index '{indexPath}' has no 'weight_map' object.");
            }
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                {
                    throw new EdgeJambaException($"index '{indexPath}': 'weight_map' entry for tensor '{entry.Name}' is a JSON {entry.Value.ValueKind}, not a file name.");
                }
                if (!weightMap.TryAdd(entry.Name, entry.Value.GetString()!))
                {
                    throw new EdgeJambaException($"index '{indexPath}': tensor '{entry.Name}' appears twice in 'weight_map'.");
                }
            }
            if (weightMap.Count == 0)
            {
                throw new EdgeJambaException($"index '{indexPath}': 'weight_map' lists no tensors.");
            }
            return weightMap;
        }
    }
}
