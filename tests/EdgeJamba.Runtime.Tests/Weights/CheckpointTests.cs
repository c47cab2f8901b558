using System.Buffers.Binary;
using System.Text.Json;
using EdgeJamba.Tests;
using static EdgeJamba.Runtime.Tests.Weights.SafetensorsWriter;

namespace EdgeJamba.Runtime.Tests.Weights;

public sealed unsafe class CheckpointTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Matrix_F16_WidensEveryBitPatternExactly()
    {
        var halves = new Half[65536];
        for (int i = 0; i < halves.Length; i++)
        {
            halves[i] = BitConverter.UInt16BitsToHalf((ushort)i);
        }
        Write(_temp.File("model.safetensors"), [new Tensor("pad", "U8", [1], [0]), F16("h.weight", [256, 256], halves)]);

        using Checkpoint checkpoint = Checkpoint.Open(_temp.Path);
        Matrix matrix = checkpoint.Matrix("h.weight", 256, 256);

        ReadOnlySpan<float> actual = matrix.AsSpan();
        for (int i = 0; i < halves.Length; i++)
        {
            double expected = DecodeIeee((ushort)i, exponentBits: 5, mantissaBits: 10);
            if (double.IsNaN(expected))
            {
                Assert.True(float.IsNaN(actual[i]), $"F16 0x{i:X4}");
                Assert.True(float.IsNaN((float)halves[i]));
            }
            else
            {
                Assert.Equal((float)expected, actual[i]);
                Assert.Equal((float)halves[i], actual[i]);
            }
        }
        Assert.Equal(65536 * 4, checkpoint.OwnedBytes);
    }

    [Fact]
    public void Vector_BF16_WidensEveryBitPatternExactlyFromAnUnalignedOffset()
    {
        var bits = new ushort[65536 + 37];
        for (int i = 0; i < bits.Length; i++)
        {
            bits[i] = (ushort)i;
        }
        Write(_temp.File("model.safetensors"), [new Tensor("pad", "U8", [1], [0]), BF16("b", [bits.Length], bits)]);

        using Checkpoint checkpoint = Checkpoint.Open(_temp.Path);
        ReadOnlySpan<float> actual = checkpoint.Vector("b", bits.Length);

        for (int i = 0; i < bits.Length; i++)
        {
            double expected = DecodeIeee(bits[i], exponentBits: 8, mantissaBits: 7);
            Assert.Equal((uint)bits[i] << 16, BitConverter.SingleToUInt32Bits(actual[i]));
            if (!double.IsNaN(expected))
            {
                Assert.Equal((float)expected, actual[i]);
            }
        }
    }

    [Fact]
    public void Matrix_BF16_KnownValues()
    {
        ushort[] bits = [0x3F80, 0xC000, 0x3E20, 0x4049, 0x7F80, 0x0001];
        float[] expected = [1f, -2f, 0.15625f, 3.140625f, float.PositiveInfinity, 9.183549615799121e-41f];
        Write(_temp.File("model.safetensors"), [BF16("k", [2, 3], bits)]);

        using Checkpoint checkpoint = Checkpoint.Open(_temp.Path);

        Assert.Equal(expected, checkpoint.Matrix("k", 2, 3).AsSpan().ToArray());
    }

    [Fact]
    public void Matrix_SameTensorTwice_WidensOnceIntoAlignedMemory()
    {
        Write(_temp.File("model.safetensors"), [F16("embed.weight", [3, 4], Enumerable.Range(0, 12).Select(i => (Half)i).ToArray())]);

        using Checkpoint checkpoint = Checkpoint.Open(_temp.Path);
        Matrix first = checkpoint.Matrix("embed.weight", 3, 4);
        Matrix second = checkpoint.Matrix("embed.weight", 3, 4);

        Assert.True(first.Data == second.Data);
        Assert.Equal(0, (nint)first.Data % 64);
        Assert.Equal(12 * 4, checkpoint.OwnedBytes);
        Assert.Equal(7f, first.Row(1)[3]);
    }

    /// <summary>
    /// An F16 weight stays in the mapping with its <see cref="F16LineMap"/> (made once, counted in the owned bytes), where the
    /// products read one; a BF16 weight has none. Row 0's lines are all zeros and normal numbers, row 1's second line holds
    /// a subnormal, held scaled by 2^10.
    /// </summary>
    [SkippableFact]
    public unsafe void Weight_F16_CarriesItsLineMap()
    {
        Skip.IfNot(Kernels.UsesLineMaps, "the map is made only where the AVX2 products read it");
        var halves = Enumerable.Range(0, 2 * 96).Select(i => i % 5 == 0 ? (Half)0 : (Half)(1 + (i % 7))).ToArray();
        halves[96 + 40] = BitConverter.UInt16BitsToHalf(0x0001);
        Write(_temp.File("model.safetensors"), [F16("h.weight", [2, 96], halves), BF16("b.weight", [1, 32], [.. Enumerable.Repeat((ushort)0x3F80, 32)])]);

        using Checkpoint checkpoint = Checkpoint.Open(_temp.Path);
        Matrix first = checkpoint.Weight("h.weight", 2, 96), second = checkpoint.Weight("h.weight", 2, 96);

        Assert.Equal(TensorDType.F16, first.DType);
        Assert.True(first.LineRecords != null && first.LineRecords == second.LineRecords);
        int recordBytes = F16LineMap.RecordBytes(96);
        Assert.Equal(0b111, first.LineRecords[8]);
        Assert.Equal(0b101, first.LineRecords[recordBytes + 8]);
        Assert.True(first.Slice(1, 1).LineRecords == first.LineRecords + recordBytes);
        Assert.Equal([0, 0, 0, 1], new[] { ((int*)first.LineRecords)[0], ((int*)first.LineRecords)[1], ((int*)first.Slice(1, 1).LineRecords)[0], ((int*)first.Slice(1, 1).LineRecords)[1] });
        Assert.Equal(BitConverter.HalfToUInt16Bits((Half)(1024 * (float)BitConverter.UInt16BitsToHalf(0x0001))), first.ScaledLines[40 - 32]);
        Assert.True(checkpoint.Weight("b.weight", 1, 32).LineRecords == null);
        Assert.Equal((2 * recordBytes) + 64, checkpoint.OwnedBytes);
    }

    [Fact]
    public void Matrix_F32_IsZeroCopy()
    {
        float[] values = [1, 2, 3, 4, 5, 6];
        Write(_temp.File("model.safetensors"), [F32("w", [2, 3], values)]);

        using Checkpoint checkpoint = Checkpoint.Open(_temp.Path);
        Matrix matrix = checkpoint.Matrix("w", 2, 3);

        Assert.True(matrix.Data == (float*)checkpoint.RawPointer("w"));
        Assert.Equal(0, checkpoint.OwnedBytes);
        Assert.Equal(values, matrix.AsSpan().ToArray());
        Assert.Equal(new FileInfo(_temp.File("model.safetensors")).Length, checkpoint.MappedBytes);
    }

    [Fact]
    public void Matrix_ConvShapedAndVectorShapes_AreAccepted()
    {
        float[] six = [1, 2, 3, 4, 5, 6];
        Write(_temp.File("model.safetensors"),
        [
            F32("conv1d.weight", [2, 1, 3], six),
            F32("norm.weight", [6], six),
            F32("row", [1, 6], six),
            F32("column", [6, 1], six),
        ]);

        using Checkpoint checkpoint = Checkpoint.Open(_temp.Path);

        Assert.Equal([4f, 5f, 6f], checkpoint.Matrix("conv1d.weight", 2, 3).Row(1).ToArray());
        Assert.Equal(six, checkpoint.Matrix("norm.weight", 1, 6).AsSpan().ToArray());
        Assert.Equal(six, checkpoint.Vector("norm.weight", 6).ToArray());
        Assert.Equal(six, checkpoint.Vector("row", 6).ToArray());
        Assert.Equal(six, checkpoint.Vector("column", 6).ToArray());
    }

    [Theory]
    [InlineData(new long[] { 4, 3 }, 3, 4, "[3, 4] or [3, 1, 4]", "[4, 3]")]
    [InlineData(new long[] { 12 }, 3, 4, "[3, 4] or [3, 1, 4]", "[12]")]
    [InlineData(new long[] { 3, 2, 4 }, 3, 4, "[3, 4] or [3, 1, 4]", "[3, 2, 4]")]
    [InlineData(new long[] { 12 }, 1, 6, "[1, 6] or [6]", "[12]")]
    public void Matrix_ShapeMismatch_NamesTensorAndShapes(long[] shape, int rows, int cols, string expected, string actual)
    {
        Write(_temp.File("model.safetensors"), [F32("layers.0.w", shape, new float[shape.Aggregate(1L, (a, b) => a * b)])]);
        using Checkpoint checkpoint = Checkpoint.Open(_temp.Path);

        var error = Assert.Throws<EdgeJambaException>(() => checkpoint.Matrix("layers.0.w", rows, cols));

        Assert.Contains("'layers.0.w'", error.Message, StringComparison.Ordinal);
        Assert.Contains("expected shape " + expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("found " + actual + " F32", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Vector_ShapeMismatch_NamesTensor()
    {
        Write(_temp.File("model.safetensors"), [F32("D", [5, 2], new float[10])]);
        using Checkpoint checkpoint = Checkpoint.Open(_temp.Path);

        var error = Assert.Throws<EdgeJambaException>(() => checkpoint.Vector("D", 5));

        Assert.Contains("'D'", error.Message, StringComparison.Ordinal);
        Assert.Contains("[5, 2]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Matrix_IntegerTensor_ThrowsNamingDTypeWhileRawPointerReadsIt()
    {
        Write(_temp.File("model.safetensors"), [new Tensor("packed.weight", "U8", [2, 2], [1, 2, 3, 4])]);
        using Checkpoint checkpoint = Checkpoint.Open(_temp.Path);

        var error = Assert.Throws<EdgeJambaException>(() => checkpoint.Matrix("packed.weight", 2, 2));

        Assert.Contains("'packed.weight'", error.Message, StringComparison.Ordinal);
        Assert.Contains("U8", error.Message, StringComparison.Ordinal);
        Assert.Equal(TensorDType.U8, checkpoint.Info("packed.weight").DType);
        Assert.Equal(4, checkpoint.RawPointer("packed.weight")[3]);
    }

    [Fact]
    public void Info_UnknownTensor_ThrowsNamingTensorAndDirectory()
    {
        Write(_temp.File("model.safetensors"), [F32("w", [1], [1])]);
        using Checkpoint checkpoint = Checkpoint.Open(_temp.Path);

        Assert.False(checkpoint.Contains("lm_head.weight"));
        var error = Assert.Throws<EdgeJambaException>(() => checkpoint.Info("lm_head.weight"));

        Assert.Contains("tensor 'lm_head.weight' not found", error.Message, StringComparison.Ordinal);
        Assert.Contains(_temp.Path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_ShardedIndex_LoadsEveryShard()
    {
        Write(_temp.File("model-00001-of-00002.safetensors"), [F32("a", [2], [1, 2]), F32("b", [1], [3])]);
        Write(_temp.File("model-00002-of-00002.safetensors"), [F32("c", [3], [4, 5, 6])]);
        WriteIndex("""{"metadata": {"total_size": 24}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}}""");

        using Checkpoint checkpoint = Checkpoint.Open(_temp.Path);

        Assert.Equal(["a", "b", "c"], checkpoint.TensorNames.Order(StringComparer.Ordinal));
        Assert.Equal([4f, 5f, 6f], checkpoint.Vector("c", 3).ToArray());
        Assert.Equal([1f, 2f], checkpoint.Vector("a", 2).ToArray());
        Assert.EndsWith("model-00002-of-00002.safetensors", checkpoint.Info("c").FilePath, StringComparison.Ordinal);
        Assert.Equal(
            new FileInfo(_temp.File("model-00001-of-00002.safetensors")).Length + new FileInfo(_temp.File("model-00002-of-00002.safetensors")).Length,
            checkpoint.MappedBytes);
    }

    [Theory]
    [InlineData("""{"weight_map": {"a": "shard1.safetensors", "c": "missing.safetensors"}}""", new[] { "'c'", "'missing.safetensors'", "does not exist" })]
    [InlineData("""{"weight_map": {"a": "shard1.safetensors", "z": "shard1.safetensors"}}""", new[] { "'z'", "'shard1.safetensors'", "does not contain it" })]
    [InlineData("""{"weight_map": {"a": "../shard1.safetensors"}}""", new[] { "'a'", "outside the model directory" })]
    [InlineData("""{"weight_map": {"a": 3}}""", new[] { "'a'", "not a file name" })]
    [InlineData("""{"weight_map": {"a": "shard1.safetensors", "a": "shard1.safetensors"}}""", new[] { "'a'", "twice" })]
    [InlineData("""{"weight_map": {}}""", new[] { "no tensors" })]
    [InlineData("""{"metadata": {}}""", new[] { "'weight_map'" })]
    [InlineData("""{"weight_map": """, new[] { "not valid JSON" })]
    public void Open_BadIndex_ThrowsNamingTheIndex(string index, string[] fragments)
    {
        Write(_temp.File("shard1.safetensors"), [F32("a", [1], [1])]);
        WriteIndex(index);

        var error = Assert.Throws<EdgeJambaException>(() => Checkpoint.Open(_temp.Path));

        Assert.Contains(Checkpoint.IndexFileName, error.Message, StringComparison.Ordinal);
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Open_BadShard_ThrowsNamingTheShard()
    {
        WriteRaw(_temp.File("shard1.safetensors"), """{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}""", new byte[4]);
        WriteIndex("""{"weight_map": {"a": "shard1.safetensors"}}""");

        var error = Assert.Throws<EdgeJambaException>(() => Checkpoint.Open(_temp.Path));

        Assert.Contains("shard1.safetensors", error.Message, StringComparison.Ordinal);
        Assert.Contains("'a'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_WithoutModelFileOrIndex_LoadsEverySafetensorsFile()
    {
        Write(_temp.File("first.safetensors"), [F32("a", [1], [1])]);
        Write(_temp.File("second.safetensors"), [F32("b", [1], [2])]);

        using Checkpoint checkpoint = Checkpoint.Open(_temp.Path);

        Assert.Equal(2, checkpoint.Files.Count);
        Assert.Equal([2f], checkpoint.Vector("b", 1).ToArray());
    }

    [Fact]
    public void Open_SameTensorInTwoFiles_ThrowsNamingBoth()
    {
        Write(_temp.File("first.safetensors"), [F32("a", [1], [1])]);
        Write(_temp.File("second.safetensors"), [F32("a", [1], [2])]);

        var error = Assert.Throws<EdgeJambaException>(() => Checkpoint.Open(_temp.Path));

        Assert.Contains("'a'", error.Message, StringComparison.Ordinal);
        Assert.Contains("first.safetensors", error.Message, StringComparison.Ordinal);
        Assert.Contains("second.safetensors", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NoWeights_Throws()
    {
        var error = Assert.Throws<EdgeJambaException>(() => Checkpoint.Open(_temp.Path));
        Assert.Contains(Checkpoint.SingleFileName, error.Message, StringComparison.Ordinal);

        var missing = Assert.Throws<EdgeJambaException>(() => Checkpoint.Open(_temp.File("absent")));
        Assert.Contains("absent", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_FreesCopiesAndReleasesTheFiles()
    {
        string path = _temp.File("model.safetensors");
        Write(path, [BF16("w", [2], [0x3F80, 0x4000])]);
        Checkpoint checkpoint = Checkpoint.Open(_temp.Path);
        Assert.Equal([1f, 2f], checkpoint.Vector("w", 2).ToArray());

        checkpoint.Dispose();

        Assert.Equal(0, checkpoint.OwnedBytes);
        new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None).Dispose();
        File.Delete(path);
        Assert.False(File.Exists(path));
        Assert.Throws<ObjectDisposedException>(() => checkpoint.Info("w"));
    }

    [SkippableFact]
    public void Open_Stories260K_EmbeddingMatchesTheFileBytes()
    {
        string directory = SharedData.RequireDirectory("models/stories260K");
        byte[] raw = File.ReadAllBytes(Path.Combine(directory, "model.safetensors"));
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(raw);
        using JsonDocument header = JsonDocument.Parse(raw.AsMemory(8, (int)headerLength));
        long begin = header.RootElement.GetProperty("model.embed_tokens.weight").GetProperty("data_offsets")[0].GetInt64();
        int start = checked((int)(8 + headerLength + begin));

        using Checkpoint checkpoint = Checkpoint.Open(directory);
        Matrix embedding = checkpoint.Matrix("model.embed_tokens.weight", 512, 64);

        Assert.Equal([512L, 64L], checkpoint.Info("model.embed_tokens.weight").Shape);
        foreach (int row in new[] { 0, 1, 511 })
        {
            for (int col = 0; col < 64; col++)
            {
                float expected = BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(start + (4 * ((row * 64) + col))));
                Assert.Equal(expected, embedding.Row(row)[col]);
            }
        }
    }

    /// <summary>Decodes an IEEE-754 binary bit pattern (sign, biased exponent, mantissa) in double precision.</summary>
    private static double DecodeIeee(ushort bits, int exponentBits, int mantissaBits)
    {
        int bias = (1 << (exponentBits - 1)) - 1;
        int exponent = (bits >> mantissaBits) & ((1 << exponentBits) - 1);
        int mantissa = bits & ((1 << mantissaBits) - 1);
        double sign = (bits >> 15) == 1 ? -1 : 1;
        if (exponent == (1 << exponentBits) - 1)
        {
            return mantissa == 0 ? sign * double.PositiveInfinity : double.NaN;
        }
        double fraction = (double)mantissa / (1 << mantissaBits);
        return exponent == 0
            ? sign * fraction * Math.Pow(2, 1 - bias)
            : sign * (1 + fraction) * Math.Pow(2, exponent - bias);
    }

    private void WriteIndex(string json) => File.WriteAllText(_temp.File(Checkpoint.IndexFileName), json);
}
