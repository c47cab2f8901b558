using System.Buffers.Binary;
using EdgeJamba.Tests;
using static EdgeJamba.Runtime.Tests.Weights.SafetensorsWriter;

namespace EdgeJamba.Runtime.Tests.Weights;

public sealed class SafetensorsFileTests : IDisposable
{
    private const string FileName = "bad-model.safetensors";

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Open_F32File_ExposesTensorsMetadataAndBytes()
    {
        float[] values = [1.5f, -2.25f, 3e-7f, float.MaxValue, 0f, -0f];
        string path = _temp.File("model.safetensors");
        Write(path, [F32("a", [2, 3], values), new Tensor("b", "U8", [3], [7, 8, 9])], metadataJson: "{\"format\":\"pt\"}");

        using SafetensorsFile file = SafetensorsFile.Open(path);

        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(2, file.Tensors.Count);
        Assert.True(file.TryGet("a", out TensorInfo? a));
        Assert.Equal(TensorDType.F32, a.DType);
        Assert.Equal([2L, 3L], a.Shape);
        Assert.Equal(6, a.ElementCount);
        Assert.Equal(24, a.ByteLength);
        Assert.Equal(path, a.FilePath);
        ReadOnlySpan<byte> bytes = file.Bytes(a);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(BitConverter.SingleToUInt32Bits(values[i]), BinaryPrimitives.ReadUInt32LittleEndian(bytes[(4 * i)..]));
        }
        Assert.True(file.TryGet("b", out TensorInfo? b));
        Assert.Equal(file.DataStart + 24, b.ByteOffset);
        Assert.Equal([7, 8, 9], file.Bytes(b).ToArray());
        Assert.False(file.TryGet("c", out _));
    }

    [Fact]
    public unsafe void OpenMemory_ReadsTheSameFileInPlace_AndValidatesItTheSameWay()
    {
        string path = _temp.File("model.safetensors");
        Write(path, [F32("a", [2, 2], [1f, 2f, 3f, 4f]), new Tensor("b", "U8", [3], [7, 8, 9])]);
        byte[] raw = File.ReadAllBytes(path);

        fixed (byte* data = raw)
        {
            using SafetensorsFile file = SafetensorsFile.OpenMemory("embedded/model.safetensors", data, raw.Length);
            Assert.True(file.TryGet("b", out TensorInfo? b));
            Assert.True(file.DataPointer(b) == data + b.ByteOffset); // no copy
            Assert.Equal([7, 8, 9], file.Bytes(b).ToArray());
            Assert.Equal("embedded/model.safetensors", file.FilePath);

            nint start = (nint)data;
            var truncated = Assert.Throws<EdgeJambaException>(() => SafetensorsFile.OpenMemory("embedded/model.safetensors", (byte*)start, raw.Length - 4));
            Assert.Contains("embedded/model.safetensors", truncated.Message, StringComparison.Ordinal);
            var tiny = Assert.Throws<EdgeJambaException>(() => SafetensorsFile.OpenMemory("embedded/x", (byte*)start, 5));
            Assert.Contains("5 bytes long", tiny.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public unsafe void DataPointer_PointsAtTheTensorBytesInTheFile()
    {
        string path = _temp.File("model.safetensors");
        Write(path, [new Tensor("x", "I8", [2], [1, 2]), new Tensor("y", "I32", [1], [0x78, 0x56, 0x34, 0x12])]);
        byte[] raw = File.ReadAllBytes(path);

        using SafetensorsFile file = SafetensorsFile.Open(path);
        Assert.True(file.TryGet("y", out TensorInfo? y));

        Assert.Equal(raw.Length - 4, y.ByteOffset);
        Assert.Equal(0x12345678, *(int*)file.DataPointer(y));
    }

    [Fact]
    public void Open_EmptyHeaderObject_HasNoTensors()
    {
        string path = _temp.File("empty.safetensors");
        WriteRaw(path, "{}", []);

        using SafetensorsFile file = SafetensorsFile.Open(path);

        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
    }

    public static TheoryData<string, string, int, string[]> MalformedHeaders => new()
    {
        { "not JSON", "{\"w\": {", 0, ["not valid JSON"] },
        { "array header", "[1, 2]", 0, ["not an object"] },
        { "entry not object", "{\"w.weight\": [1]}", 0, ["'w.weight'", "not an object"] },
        { "unknown dtype", "{\"w.weight\": {\"dtype\": \"Q7\", \"shape\": [1], \"data_offsets\": [0, 1]}}", 1, ["'w.weight'", "'dtype'", "Q7", "F32, F16, BF16, U8, I8, I32, F64"] },
        { "unsupported dtype", "{\"w.weight\": {\"dtype\": \"I64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", 8, ["'w.weight'", "'dtype'", "I64", "F32, F16, BF16"] },
        { "missing dtype", "{\"w.weight\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4, ["'w.weight'", "'dtype'", "missing"] },
        { "missing shape", "{\"w.weight\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", 4, ["'w.weight'", "'shape'", "missing"] },
        { "negative shape", "{\"w.weight\": {\"dtype\": \"F32\", \"shape\": [2, -1], \"data_offsets\": [0, 4]}}", 4, ["'w.weight'", "'shape'", "element 1", "-1"] },
        { "fractional shape", "{\"w.weight\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", 4, ["'w.weight'", "'shape'", "1.5"] },
        { "overflowing shape", "{\"w.weight\": {\"dtype\": \"F32\", \"shape\": [4611686018427387904, 4], \"data_offsets\": [0, 4]}}", 4, ["'w.weight'", "'shape'", "64 bits"] },
        { "shape beyond int64", "{\"w.weight\": {\"dtype\": \"F32\", \"shape\": [18446744073709551615], \"data_offsets\": [0, 4]}}", 4, ["'w.weight'", "'shape'", "18446744073709551615"] },
        { "duplicate tensor", "{\"w.weight\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]}, \"w.weight\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [1, 2]}}", 2, ["'w.weight'", "twice"] },
        { "duplicate field", "{\"w.weight\": {\"dtype\": \"U8\", \"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]}}", 1, ["'w.weight'", "'dtype'", "twice"] },
        { "offsets arity", "{\"w.weight\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0]}}", 1, ["'w.weight'", "'data_offsets'", "2 non-negative integers"] },
        { "offsets not array", "{\"w.weight\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": 0}}", 1, ["'w.weight'", "'data_offsets'"] },
        { "negative begin", "{\"w.weight\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [-1, 0]}}", 1, ["'w.weight'", "'data_offsets'", "-1"] },
        { "begin after end", "{\"w.weight\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [3, 2]}}", 4, ["'w.weight'", "'data_offsets'", "[3, 2]"] },
        { "end past data", "{\"w.weight\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 4]}}", 3, ["'w.weight'", "'data_offsets'", "[0, 4]", "<= 3"] },
        { "length mismatch", "{\"w.weight\": {\"dtype\": \"F16\", \"shape\": [3], \"data_offsets\": [0, 4]}}", 8, ["'w.weight'", "'data_offsets'", "spans 4 bytes", "needs 6"] },
        { "overlap", "{\"a.weight\": {\"dtype\": \"U8\", \"shape\": [8], \"data_offsets\": [0, 8]}, \"b.weight\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [6, 8]}}", 8, ["'a.weight'", "'b.weight'", "[6, 8]", "overlaps"] },
        { "metadata not strings", "{\"__metadata__\": {\"format\": 1}}", 0, ["__metadata__", "'format'"] },
        { "metadata not object", "{\"__metadata__\": \"pt\"}", 0, ["__metadata__"] },
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public void Open_MalformedHeader_ThrowsNamingFileAndField(string description, string header, int dataBytes, string[] expectedFragments)
    {
        string path = _temp.File(FileName);
        WriteRaw(path, header, new byte[dataBytes]);

        var error = Assert.Throws<EdgeJambaException>(() => SafetensorsFile.Open(path));

        Assert.Contains(FileName, error.Message, StringComparison.Ordinal);
        foreach (string fragment in expectedFragments)
        {
            Assert.True(error.Message.Contains(fragment, StringComparison.Ordinal), $"{description}: '{fragment}' missing from: {error.Message}");
        }
    }

    [Fact]
    public void Open_FileShorterThanEightBytes_Throws()
    {
        string path = _temp.File(FileName);
        File.WriteAllBytes(path, [1, 0, 0, 0, 0]);

        var error = Assert.Throws<EdgeJambaException>(() => SafetensorsFile.Open(path));

        Assert.Contains(FileName, error.Message, StringComparison.Ordinal);
        Assert.Contains("5 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_HeaderLengthLargerThanFile_Throws()
    {
        string path = _temp.File(FileName);
        var bytes = new byte[8 + 16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 17);
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<EdgeJambaException>(() => SafetensorsFile.Open(path));

        Assert.Contains(FileName, error.Message, StringComparison.Ordinal);
        Assert.Contains("header length 17", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_MissingFile_ThrowsNamingIt()
    {
        var error = Assert.Throws<EdgeJambaException>(() => SafetensorsFile.Open(_temp.File("absent.safetensors")));

        Assert.Contains("absent.safetensors", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public unsafe void Bytes_TensorOver2GiB_ThrowsWhileThePointerWorks()
    {
        const long length = (long)int.MaxValue + 16;
        string path = _temp.File("huge.safetensors");
        WriteRaw(path, $"{{\"huge.weight\": {{\"dtype\": \"U8\", \"shape\": [{length}], \"data_offsets\": [0, {length}]}}}}", [42]);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(stream.Length - 1 + length); // sparse: no disk space is used
        }

        using SafetensorsFile file = SafetensorsFile.Open(path);
        Assert.True(file.TryGet("huge.weight", out TensorInfo? info));

        var error = Assert.Throws<EdgeJambaException>(() => file.Bytes(info));
        Assert.Contains("huge.weight", error.Message, StringComparison.Ordinal);
        byte* data = file.DataPointer(info);
        Assert.Equal(42, data[0]);
        Assert.Equal(0, data[length - 1]);
    }

    [Fact]
    public void Dispose_ReleasesTheFile()
    {
        string path = _temp.File("model.safetensors");
        Write(path, [new Tensor("x", "U8", [1], [1])]);
        SafetensorsFile file = SafetensorsFile.Open(path);
        Assert.ThrowsAny<IOException>(() => new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None).Dispose());

        file.Dispose();

        new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None).Dispose();
        File.Delete(path);
        Assert.False(File.Exists(path));
        Assert.Throws<ObjectDisposedException>(() => file.TryGet("x", out _));
    }

    [SkippableFact]
    public void Open_Stories260K_HasTheEmbeddingAsF32()
    {
        string directory = SharedData.RequireDirectory("models/stories260K");

        using SafetensorsFile file = SafetensorsFile.Open(Path.Combine(directory, "model.safetensors"));

        Assert.True(file.TryGet("model.embed_tokens.weight", out TensorInfo? embedding));
        Assert.Equal(TensorDType.F32, embedding.DType);
        Assert.Equal([512L, 64L], embedding.Shape);
        Assert.Equal(512 * 64 * 4, embedding.ByteLength);
    }
}
