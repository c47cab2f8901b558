using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using EdgeJamba.Fuzz;
using EdgeJamba.Layout;
using EdgeJamba.Runtime.Generation;
using EdgeJamba.Runtime.Import;
using EdgeJamba.Runtime.Sampling;
using EdgeJamba.Runtime.Tests.Tokenization;
using EdgeJamba.Runtime.Tests.Weights;
using EdgeJamba.Runtime.Tokenization;
using EdgeJamba.Spec;

namespace EdgeJamba.Runtime.Tests.Hostile;

/// <summary>
/// Inputs EdgeJamba did not make: each is refused with an <see cref="EdgeJambaException"/> naming the file,
/// field or byte, or handled as documented. Several are regressions of fuzzing findings.
/// </summary>
public sealed class HostileInputTests
{
    private static readonly ModelLayout s_tiny = SpecReader.Read(FuzzTargets.TinySpec).Layout!;

    [Fact]
    public void SentencePiece_BytePieceWithoutHexDigits_IsRefusedNamingIt()
    {
        // Fuzzing finding: "<0xZZ>" threw FormatException from byte.Parse.
        byte[] model = TinySentencePieceModel.Build();
        byte[] damaged = Replace(model, "<0x41>"u8, "<0xZZ>"u8);
        var e = Assert.Throws<EdgeJambaException>(() => SentencePieceTextTokenizer.Create(damaged, "tok.model"));
        Assert.Contains("tok.model", e.Message, StringComparison.Ordinal);
        Assert.Contains("<0xZZ>", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SentencePiece_UserDefinedPieceWithoutText_IsRefused_InsteadOfEncodingForever()
    {
        // Fuzzing finding: the piece's text field renumbered (0x0A -> 0x2A) left an empty user-defined piece, and
        // Microsoft.ML.Tokenizers looped on it while encoding until memory ran out.
        byte[] damaged = Replace(TinySentencePieceModel.Build(), [0x0A, 0x05, .. "<sep>"u8], [0x2A, 0x05, .. "<sep>"u8]);
        var e = Assert.Throws<EdgeJambaException>(() => SentencePieceTextTokenizer.Create(damaged, "tok.model"));
        Assert.Contains("tok.model: piece 3 (UserDefined) has no text", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SentencePiece_ModelTheMergeLibraryCannotParse_IsRefusedNamingTheFile()
    {
        // Fuzzing finding (CsCheck seed foEYQZ2etMP1): one flipped bit that our reader skips made
        // Microsoft.ML.Tokenizers' own protobuf parsing throw NullReferenceException.
        byte[] damaged = Mutator.Apply(new FuzzCase(0, [new Mutation(0, 21188034, 72943332, 3176927)]), [TinySentencePieceModel.Build()]);
        var e = Assert.Throws<EdgeJambaException>(() => SentencePieceTextTokenizer.Create(damaged, "tok.model"));
        Assert.Contains("tok.model", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"vocab\": {", "\"vocab\": {\"zz\": 2147483647, ")]
    [InlineData("\"added_tokens\": [", "\"added_tokens\": [{\"id\": 2147483647, \"content\": \"<x>\"}, ")]
    [InlineData("\"vocab\": {", "\"vocab\": {\"zz\": -4, ")]
    public void ByteLevelBpe_IdsOutsideAnyVocabulary_AreRefusedNamingTheFile(string find, string replace)
    {
        // Fuzzing finding: id int.MaxValue overflowed the table size and indexed out of range.
        string json = FuzzTargetsJson().Replace(find, replace, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(json);
        var e = Assert.Throws<EdgeJambaException>(() => ByteLevelBpeTextTokenizer.Create(document.RootElement, "dir/tokenizer.json"));
        Assert.Contains("dir/tokenizer.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("outside", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Safetensors_HeaderWithInvalidUtf8_IsRefusedNamingTheByte()
    {
        // Fuzzing finding: JsonDocument accepts invalid UTF-8 inside strings, and reading the name threw InvalidOperationException.
        using var dir = new TempDirectory();
        byte[] header = Encoding.UTF8.GetBytes("""{"ab":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""");
        header[3] = 0xFF; // inside the tensor name
        byte[] file = new byte[8 + header.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        File.WriteAllBytes(dir.File("model.safetensors"), file);
        var e = Assert.Throws<EdgeJambaException>(() => SafetensorsFile.Open(dir.File("model.safetensors")));
        Assert.Contains("not valid UTF-8 (file byte 11)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Snapshot_WithAllZeroSamplerState_IsRefusedNamingTheByte()
    {
        // Fuzzing finding: a zero xoshiro state (checksum made right) threw ArgumentException from the RNG.
        using var dir = new TempDirectory();
        using var model = TinyModel(dir.Path);
        var session = Session(model);
        session.Generate("Hi", TextWriter.Null, new GenerationOptions { MaxTokens = 2 });
        string path = dir.File("s.snapshot");
        SessionSnapshot.Write(path, session);
        byte[] data = File.ReadAllBytes(path);
        int rngAt = 8 + 4 + 16 + 4 + 8 + 4 + (4 * session.History.Count); // magic, version, hash, vocab, state size, count, tokens
        data.AsSpan(rngAt, 32).Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(data.Length - 8), LayoutHash.Fnv1a64Bytes(data.AsSpan(0, data.Length - 8)));
        File.WriteAllBytes(path, data);

        var e = Assert.Throws<EdgeJambaException>(() => SessionSnapshot.Read(path, Session(model)));
        Assert.Contains($"at byte {rngAt}", e.Message, StringComparison.Ordinal);
        Assert.Contains("s.snapshot", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generation_ModelVocabularyLargerThanTheTokenizers_PrintsNothingForTheExtraIds()
    {
        // Fuzzing finding: an id beyond the tokenizer (padding rows of the embedding) threw from DecodeToken.
        using var dir = new TempDirectory();
        using var model = TinyModel(dir.Path);
        bool sawExtra = false;
        for (ulong seed = 1; seed <= 40 && !sawExtra; seed++)
        {
            model.Model.State.Clear();
            var session = new TextGenerator(model.Model, new ByteTextTokenizer(), new Sampler(s_tiny.VocabSize, new SamplerOptions { Seed = seed, Temperature = 2, TopK = 0, TopP = 1, MinP = 0 }));
            var output = new StringWriter();
            session.Generate("Hi", output, new GenerationOptions { MaxTokens = 12 });
            sawExtra = session.History.Any(id => id >= 256);
        }
        Assert.True(sawExtra, "no run sampled an id beyond the byte tokenizer");
    }

    [Fact]
    public void NonFiniteWeight_IsFoundByCheckWeights_AndRefusedByGeneration()
    {
        using var dir = new TempDirectory();
        RandomCheckpoint.Write(s_tiny, dir.Path, seed: 1);
        var norm = LayoutTensors.All(s_tiny).First(t => t.Role == TensorRole.Norm);
        long offset;
        using (var file = SafetensorsFile.Open(dir.File("model.safetensors")))
        {
            Assert.True(file.TryGet(norm.Name, out var info));
            offset = info.ByteOffset;
        }
        byte[] bytes = File.ReadAllBytes(dir.File("model.safetensors"));
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan((int)offset + (3 * 4)), float.PositiveInfinity);
        File.WriteAllBytes(dir.File("model.safetensors"), bytes);

        using var checkpoint = Checkpoint.Open(dir.Path);
        var bad = checkpoint.FindNonFinite();
        Assert.NotNull(bad);
        Assert.Equal(norm.Name, bad.Value.Tensor.Name);
        Assert.Equal(3, bad.Value.Element);
        Assert.Equal(double.PositiveInfinity, bad.Value.Value);

        using var model = new GenericModel(s_tiny, checkpoint);
        var session = new TextGenerator(model, new ByteTextTokenizer(), new Sampler(s_tiny.VocabSize, new SamplerOptions { Seed = 1 }));
        var e = Assert.Throws<EdgeJambaException>(() => session.Generate("Hi", TextWriter.Null, new GenerationOptions { MaxTokens = 3 }));
        Assert.Contains("--check-weights", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindNonFinite_OnFiniteWeights_IsNull()
    {
        using var dir = new TempDirectory();
        RandomCheckpoint.Write(s_tiny, dir.Path, seed: 2);
        using var checkpoint = Checkpoint.Open(dir.Path);
        Assert.Null(checkpoint.FindNonFinite());
    }

    [Fact]
    public void Cancellation_StopsGeneration_KeepingWhatWasPrinted()
    {
        using var dir = new TempDirectory();
        using var model = TinyModel(dir.Path);
        var session = Session(model);
        using var cancel = new CancellationTokenSource();
        var output = new CancelAfterWrites(cancel, writes: 3);
        var result = session.Generate("Hi", output, new GenerationOptions { MaxTokens = 15 }, cancel.Token);
        Assert.Equal("interrupted", result.StopReason);
        Assert.True(result.GeneratedTokens >= 3, $"{result.GeneratedTokens} tokens"); // the token whose text made the 3rd write is the last
        Assert.Equal(3, output.Writes);
    }

    [Fact]
    public void Generation_ReachingTheContext_StopsAndSaysSo()
    {
        using var dir = new TempDirectory();
        using var model = TinyModel(dir.Path);
        var session = Session(model);
        var notices = new List<string>();
        session.Notice += notices.Add;
        var result = session.Generate("Hi", TextWriter.Null, new GenerationOptions { MaxTokens = 1000 });
        Assert.Equal("context full", result.StopReason);
        Assert.Equal(s_tiny.MaxContext, session.History.Count);
        Assert.Contains(notices, n => n.Contains($"context of {s_tiny.MaxContext} tokens is full", StringComparison.Ordinal));
    }

    [Fact]
    public void PromptReader_OverTheBudget_IsRefusedBeforeTokenizing_NamingKeepTail()
    {
        var e = Assert.Throws<EdgeJambaException>(() => PromptReader.Read(new MemoryStream(new byte[(10 * 64) + 1]), 10, ContextOverflow.Refuse, null));
        Assert.Contains("longer than 640 bytes", e.Message, StringComparison.Ordinal);
        Assert.Contains("--keep-tail", e.Message, StringComparison.Ordinal);
        Assert.Equal("x", PromptReader.Read(new MemoryStream("x"u8.ToArray()), 10, ContextOverflow.Refuse, null));
        Assert.Equal("", PromptReader.Read(new MemoryStream([]), 10, ContextOverflow.Refuse, null));
    }

    [Fact]
    public void PromptReader_KeepTail_KeepsTheLastBudgetBytesFromACharacterBoundary()
    {
        // 300 000 bytes: 'a' x 99 999, "é" (2 bytes) x 100 000, 'z'. The budget of 2 tokens (128 bytes) starts inside an "é".
        byte[] input = [.. Enumerable.Repeat((byte)'a', 99_999), .. Enumerable.Repeat<byte[]>([0xC3, 0xA9], 100_000).SelectMany(b => b), (byte)'z'];
        var notices = new List<string>();
        string text = PromptReader.Read(new MemoryStream(input), 2, ContextOverflow.KeepTail, notices.Add);
        Assert.Equal(new string('\u00e9', 63) + "z", text);
        Assert.Contains("has 300000 bytes", Assert.Single(notices), StringComparison.Ordinal);
        Assert.Contains("last 127 bytes", notices[0], StringComparison.Ordinal);
    }

    [Fact]
    public void PromptReader_InvalidUtf8_IsReplacedAndReportedWithTheOffsetInTheWholeInput()
    {
        var notices = new List<string>();
        Assert.Equal("a\0b\ufffdc", PromptReader.Read(new MemoryStream([0x61, 0x00, 0x62, 0xFF, 0x63]), 10, ContextOverflow.Refuse, notices.Add));
        Assert.Contains("offset 3", Assert.Single(notices), StringComparison.Ordinal);

        notices.Clear();
        byte[] tail = [.. Enumerable.Repeat((byte)'x', 1000), 0xFF, (byte)'y'];
        Assert.Equal(new string('x', 62) + "\ufffdy", PromptReader.Read(new MemoryStream(tail), 1, ContextOverflow.KeepTail, notices.Add));
        Assert.Contains(notices, n => n.Contains("offset 1000", StringComparison.Ordinal));
    }

    [Fact]
    public void SpecFile_ContextOverrideOutOfRange_IsRefusedNamingCtx()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("layout.model.json"), FuzzTargets.TinySpec);
        Assert.Equal(100, SpecFile.Load(dir.File("layout.model.json"), 100).MaxContext);
        var e = Assert.Throws<EdgeJambaException>(() => SpecFile.Load(dir.File("layout.model.json"), 1 << 25));
        Assert.Contains("--ctx 33554432", e.Message, StringComparison.Ordinal);
        Assert.Contains("EJ0006", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"num_attention_heads\": 8", "\"num_attention_heads\": 0", "'num_attention_heads' must be at least 1, not 0")]
    [InlineData("\"hidden_size\": 64", "\"hidden_size\": \"64\"", "'hidden_size' must be an integer")]
    [InlineData("\"model_type\": \"llama\"", "\"model_type\": \"gpt2\"", "model_type 'gpt2' is not supported")]
    [InlineData("\"hidden_size\": 64", "\"hidden_size\": -64", "'hidden_size' is -64")]
    public void HfConfig_BadField_IsRefusedNamingTheFileAndField(string find, string replace, string expected)
    {
        const string config = """{ "model_type": "llama", "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 2, "num_attention_heads": 8, "vocab_size": 512, "max_position_embeddings": 512 }""";
        var e = Assert.Throws<EdgeJambaException>(() => HfConfigImporter.ImportText(config.Replace(find, replace, StringComparison.Ordinal), "m/config.json", "M"));
        Assert.Contains("m/config.json", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HfConfig_MambaExpandOverflowing32Bits_IsRefused()
    {
        var e = Assert.Throws<EdgeJambaException>(() => HfConfigImporter.ImportText("""{ "model_type": "mamba", "hidden_size": 65536, "expand": 65536 }""", "m/config.json", "M"));
        Assert.Contains("'expand' (65536) times the hidden size (65536) overflows 32 bits", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AtomicFile_FailedWrite_LeavesTheOldFileAndNoTemporaryFile()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("out.bin"), "old");
        Assert.Throws<EdgeJambaException>(() => AtomicFile.Write(dir.File("out.bin"), stream =>
        {
            stream.WriteByte(1);
            throw new IOException("disk full");
        }));
        Assert.Equal("old", File.ReadAllText(dir.File("out.bin")));
        Assert.Equal([dir.File("out.bin")], Directory.GetFiles(dir.Path));

        var missing = Assert.Throws<EdgeJambaException>(() => AtomicFile.Write(dir.File("no/such/out.bin"), _ => { }));
        Assert.Contains("folder does not exist", missing.Message, StringComparison.Ordinal);
    }

    private static LoadedTiny TinyModel(string directory)
    {
        RandomCheckpoint.Write(s_tiny, directory, seed: 1);
        var checkpoint = Checkpoint.Open(directory);
        return new LoadedTiny(checkpoint, new GenericModel(s_tiny, checkpoint));
    }

    private static TextGenerator Session(LoadedTiny model) =>
        new(model.Model, new ByteTextTokenizer(Enumerable.Range(256, s_tiny.VocabSize - 256).Select(id => $"<|special_{id}|>").ToArray()), new Sampler(s_tiny.VocabSize, new SamplerOptions { Seed = 7 }));

    private static byte[] Replace(byte[] data, ReadOnlySpan<byte> find, ReadOnlySpan<byte> replace)
    {
        int at = data.AsSpan().IndexOf(find);
        Assert.True(at >= 0);
        byte[] copy = (byte[])data.Clone();
        replace.CopyTo(copy.AsSpan(at));
        return copy;
    }

    private static string FuzzTargetsJson()
    {
        using var targets = new FuzzTargets(null);
        return Encoding.UTF8.GetString(targets["bpe"].Seeds[0]);
    }

    private sealed record LoadedTiny(Checkpoint Checkpoint, GenericModel Model) : IDisposable
    {
        public void Dispose()
        {
            Model.Dispose();
            Checkpoint.Dispose();
        }
    }

    /// <summary>Cancels <paramref name="cancel"/> when text has been written <paramref name="writes"/> times (a user pressing Ctrl+C).</summary>
    private sealed class CancelAfterWrites(CancellationTokenSource cancel, int writes) : StringWriter
    {
        public int Writes { get; private set; }

        public override void Write(string? value)
        {
            base.Write(value);
            if (!string.IsNullOrEmpty(value) && ++Writes == writes)
            {
                cancel.Cancel();
            }
        }
    }
}
