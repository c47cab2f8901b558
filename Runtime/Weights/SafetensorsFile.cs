using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text.Json;

namespace EdgeJamba.Runtime;

/// <summary>
/// A read-only, memory-mapped safetensors file: an 8-byte little-endian header length N, N bytes
/// of UTF-8 JSON (<c>{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {..}}</c>),
/// then the data area that the offsets index. <see cref="Open"/> validates the whole header; tensor
/// bytes are then reached without copying. Pointers and spans are valid until <see cref="Dispose"/>.
/// <see cref="OpenMemory"/> reads a file that is already in memory (weights embedded in the executable).
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private const string MetadataKey = "__metadata__";

    private static readonly System.Text.UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly MemoryMappedFile? _mapping;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _base;
    private readonly Dictionary<string, TensorInfo> _tensors;
    private bool _disposed;

    private SafetensorsFile(string filePath, long length, MemoryMappedFile? mapping, MemoryMappedViewAccessor? view, byte* basePointer)
    {
        FilePath = filePath;
        Length = length;
        _mapping = mapping;
        _view = view;
        _base = basePointer;
        (Metadata, _tensors, DataStart) = ParseHeader(filePath, basePointer, length);
    }

    /// <summary>The path given to <see cref="Open"/>.</summary>
    public string FilePath { get; }

    /// <summary>File size in bytes (all of it is mapped).</summary>
    public long Length { get; }

    /// <summary>File offset of the data area (8 + header length).</summary>
    public long DataStart { get; }

    /// <summary>The header's <c>__metadata__</c> string map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor in the header.</summary>
    public IReadOnlyCollection<TensorInfo> Tensors => _tensors.Values;

    /// <summary>Maps and validates <paramref name="path"/>; throws <see cref="EdgeJambaException"/> naming the file and the fault.</summary>
    public static SafetensorsFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EdgeJambaException($"cannot open safetensors file '{path}': {e.Message}", e);
        }

        long length = stream.Length;
        if (length < 8)
        {
            stream.Dispose();
            throw new EdgeJambaException($"safetensors file '{path}' is {length} bytes long; it must start with an 8-byte header length.");
        }

        MemoryMappedFile? mapping = null;
        MemoryMappedViewAccessor? view = null;
        byte* pointer = null;
        try
        {
            mapping = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = mapping.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            return new SafetensorsFile(path, length, mapping, view, pointer + view.PointerOffset);
        }
        catch
        {
            if (pointer != null)
            {
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            }
            view?.Dispose();
            if (mapping is null)
            {
                stream.Dispose();
            }
            mapping?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Validates a safetensors file held in memory the caller keeps alive and unchanged for as long as the result is
    /// used (e.g. a resource inside the executable's image); <paramref name="name"/> names it in messages.
    /// </summary>
    public static SafetensorsFile OpenMemory(string name, byte* data, long length)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (length < 8)
        {
            throw new EdgeJambaException($"safetensors file '{name}' is {length} bytes long; it must start with an 8-byte header length.");
        }
        return new SafetensorsFile(name, length, mapping: null, view: null, data);
    }

    /// <summary>The tensor called <paramref name="name"/>, if the header lists it.</summary>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out TensorInfo info)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _tensors.TryGetValue(name, out info);
    }

    /// <summary>First byte of <paramref name="info"/>'s data inside the mapping (any size, no copy).</summary>
    public byte* DataPointer(TensorInfo info)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(info);
        if (!_tensors.TryGetValue(info.Name, out TensorInfo? own) || !ReferenceEquals(own, info))
        {
            throw new ArgumentException($"tensor '{info.Name}' does not belong to '{FilePath}'.", nameof(info));
        }
        return _base + info.ByteOffset;
    }

    /// <summary>The bytes of <paramref name="info"/> (no copy); tensors over 2 GiB must use <see cref="DataPointer"/>.</summary>
    public ReadOnlySpan<byte> Bytes(TensorInfo info)
    {
        byte* data = DataPointer(info);
        if (info.ByteLength > int.MaxValue)
        {
            throw new EdgeJambaException($"tensor '{info.Name}' in '{FilePath}' is {info.ByteLength} bytes, too large for a span; read it through a pointer.");
        }
        return new ReadOnlySpan<byte>(data, (int)info.ByteLength);
    }

    /// <summary>Unmaps the file; every pointer and span obtained from it becomes invalid.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _view?.SafeMemoryMappedViewHandle.ReleasePointer();
        _view?.Dispose();
        _mapping?.Dispose();
    }

    private static (IReadOnlyDictionary<string, string> Metadata, Dictionary<string, TensorInfo> Tensors, long DataStart) ParseHeader(string path, byte* file, long fileLength)
    {
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(file, 8));
        if (headerLength > (ulong)(fileLength - 8))
        {
            throw new EdgeJambaException($"safetensors file '{path}': header length {headerLength} (bytes 0-7) is larger than the {fileLength - 8} bytes that follow it.");
        }
        if (headerLength > int.MaxValue)
        {
            throw new EdgeJambaException($"safetensors file '{path}': header length {headerLength} (bytes 0-7) is too large.");
        }

        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;
        byte[] headerBytes = new ReadOnlySpan<byte>(file + 8, (int)headerLength).ToArray();
        try
        {
            _ = s_strictUtf8.GetCharCount(headerBytes);
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new EdgeJambaException($"safetensors file '{path}': the header is not valid UTF-8 (file byte {8 + e.Index}).", e);
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes);
        }
        catch (JsonException e)
        {
            throw new EdgeJambaException($"safetensors file '{path}': the header (file bytes 8-{dataStart - 1}) is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new EdgeJambaException($"safetensors file '{path}': the header is a JSON {root.ValueKind}, not an object.");
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
            bool seenMetadata = false;
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (seenMetadata)
                    {
                        throw new EdgeJambaException($"safetensors file '{path}': '{MetadataKey}' appears twice in the header.");
                    }
                    seenMetadata = true;
                    ReadMetadata(path, property.Value, metadata);
                    continue;
                }
                if (tensors.ContainsKey(property.Name))
                {
                    throw new EdgeJambaException($"safetensors file '{path}': tensor '{property.Name}' appears twice in the header.");
                }
                tensors.Add(property.Name, ReadTensor(path, property.Name, property.Value, dataStart, dataLength));
            }
            CheckNoOverlap(path, tensors.Values, dataStart);
            return (metadata, tensors, dataStart);
        }
    }

    private static void ReadMetadata(string path, JsonElement element, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new EdgeJambaException($"safetensors file '{path}': '{MetadataKey}' is a JSON {element.ValueKind}, not an object of strings.");
        }
        foreach (JsonProperty entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw new EdgeJambaException($"safetensors file '{path}': '{MetadataKey}' field '{entry.Name}' is a JSON {entry.Value.ValueKind}, not a string.");
            }
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
            {
                throw new EdgeJambaException($"safetensors file '{path}': '{MetadataKey}' field '{entry.Name}' appears twice.");
            }
        }
    }

    private static TensorInfo ReadTensor(string path, string name, JsonElement entry, long dataStart, long dataLength)
    {
        string where = $"safetensors file '{path}': tensor '{name}'";
        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw new EdgeJambaException($"{where}: the entry is a JSON {entry.ValueKind}, not an object.");
        }

        JsonElement dtypeElement = RequiredField(where, entry, "dtype");
        if (dtypeElement.ValueKind != JsonValueKind.String || !TensorDTypeExtensions.TryParse(dtypeElement.GetString()!, out TensorDType dtype))
        {
            throw new EdgeJambaException($"{where}: field 'dtype' is {dtypeElement.GetRawText()}; supported dtypes are {TensorDTypeExtensions.SupportedNames}.");
        }

        long[] shape = ReadIntegers(where, RequiredField(where, entry, "shape"), "shape", expectedCount: null);
        long elementCount;
        long byteLength;
        try
        {
            elementCount = 1;
            foreach (long dimension in shape)
            {
                elementCount = checked(elementCount * dimension);
            }
            byteLength = checked(elementCount * dtype.ByteSize());
        }
        catch (OverflowException)
        {
            throw new EdgeJambaException($"{where}: field 'shape' {TensorInfo.FormatShape(shape)} has more bytes than fit in 64 bits.");
        }

        long[] offsets = ReadIntegers(where, RequiredField(where, entry, "data_offsets"), "data_offsets", expectedCount: 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > dataLength)
        {
            throw new EdgeJambaException(
                $"{where}: field 'data_offsets' [{begin}, {end}] must satisfy 0 <= begin <= end <= {dataLength} (the data area is file bytes {dataStart}-{dataStart + dataLength - 1}).");
        }
        if (end - begin != byteLength)
        {
            throw new EdgeJambaException(
                $"{where}: field 'data_offsets' [{begin}, {end}] spans {end - begin} bytes (file offset {dataStart + begin}) but shape {TensorInfo.FormatShape(shape)} of {dtype} needs {byteLength}.");
        }
        return new TensorInfo(name, dtype, shape, dataStart + begin, byteLength, elementCount, path);
    }

    private static JsonElement RequiredField(string where, JsonElement entry, string field)
    {
        JsonElement? found = null;
        foreach (JsonProperty property in entry.EnumerateObject())
        {
            if (property.Name == field)
            {
                if (found is not null)
                {
                    throw new EdgeJambaException($"{where}: field '{field}' appears twice.");
                }
                found = property.Value;
            }
        }
        return found ?? throw new EdgeJambaException($"{where}: field '{field}' is missing.");
    }

    private static long[] ReadIntegers(string where, JsonElement element, string field, int? expectedCount)
    {
        if (element.ValueKind != JsonValueKind.Array || (expectedCount is int count && element.GetArrayLength() != count))
        {
            string expected = expectedCount is null ? "an array of non-negative integers" : $"an array of {expectedCount} non-negative integers";
            throw new EdgeJambaException($"{where}: field '{field}' is {element.GetRawText()}, not {expected}.");
        }
        var values = new long[element.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long value) || value < 0)
            {
                throw new EdgeJambaException($"{where}: field '{field}' element {i} is {item.GetRawText()}, not a non-negative 64-bit integer.");
            }
            values[i++] = value;
        }
        return values;
    }

    private static void CheckNoOverlap(string path, IEnumerable<TensorInfo> tensors, long dataStart)
    {
        // Sorted by start, the first overlap (if any) is between neighbours: everything before it is disjoint.
        TensorInfo? previous = null;
        foreach (TensorInfo tensor in tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.ByteOffset))
        {
            if (previous is not null && tensor.ByteOffset < End(previous))
            {
                throw new EdgeJambaException(
                    $"safetensors file '{path}': tensor '{tensor.Name}' (data_offsets [{tensor.ByteOffset - dataStart}, {End(tensor) - dataStart}]) overlaps tensor '{previous.Name}' "
                    + $"(data_offsets [{previous.ByteOffset - dataStart}, {End(previous) - dataStart}]).");
            }
            previous = tensor;
        }

        static long End(TensorInfo tensor) => tensor.ByteOffset + tensor.ByteLength;
    }
}
