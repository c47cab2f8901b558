using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using EdgeJamba.Layout;
using EdgeJamba.Runtime;
using EdgeJamba.Runtime.Generation;
using EdgeJamba.Runtime.Import;
using EdgeJamba.Runtime.Sampling;
using EdgeJamba.Runtime.Tests.Tokenization;
using EdgeJamba.Runtime.Tokenization;
using EdgeJamba.Spec;

namespace EdgeJamba.Fuzz;

/// <summary>
/// A fuzz target: valid seed inputs and the code under test. <see cref="Run"/> must return normally for any
/// input, or throw <see cref="EdgeJambaException"/> (a clear error for the user) where the target allows it;
/// any other exception is a finding.
/// </summary>
public sealed record FuzzTarget(string Name, IReadOnlyList<byte[]> Seeds, Action<byte[]> Run);

/// <summary>
/// The fuzz targets: everything that reads a file EdgeJamba did not make. Seeds are built in code (a tiny
/// random-weight hybrid model, a hand-written SentencePiece model and tokenizer.json) plus the layouts in
/// <c>ModelSpecs/</c>. Files are written to a private temporary folder, deleted on <see cref="Dispose"/>.
/// </summary>
public sealed class FuzzTargets : IDisposable
{
    /// <summary>A small hybrid layout: Mamba + dense, attention + MoE (all state kinds).</summary>
    public const string TinySpec = """
        {
          "name": "FuzzTiny", "family": "jamba", "vocab_size": 300, "hidden_size": 16, "max_context": 24, "norm_eps": 1e-5,
          "tokenizer": "bytes",
          "layers": [
            { "mixer": { "kind": "mamba", "d_inner": 32, "d_state": 4, "d_conv": 4, "dt_rank": 2, "dt_bc_norms": true },
              "ffn": { "kind": "dense", "intermediate_size": 24 } },
            { "mixer": { "kind": "attention", "heads": 2, "kv_heads": 1, "rope": null },
              "ffn": { "kind": "moe", "experts": 2, "top_k": 1, "renormalize": false, "intermediate_size": 24 } }
          ]
        }
        """;

    private static readonly string[] s_probeTexts = ["", " ", "Hello world", "  a  b  ", "\u00e9\u4e2d\U0001F642", "\0\t\n\r", "\ud800x\udfff", "<s></s><unk><0x41>"];

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "edgejamba-fuzz-" + Guid.NewGuid().ToString("N"));
    private readonly ThreadLocal<string> _scratch;
    private readonly ThreadLocal<TextGenerator> _sessions;
    private readonly Checkpoint _checkpoint;
    private readonly ModelLayout _layout;
    private readonly ITextTokenizer[] _tokenizers;

    public FuzzTargets(string? repoRoot)
    {
        Directory.CreateDirectory(_folder);
        _scratch = new ThreadLocal<string>(() => Path.Combine(_folder, "input-" + Environment.CurrentManagedThreadId + ".bin"));
        _layout = SpecReader.Read(TinySpec).Layout ?? throw new InvalidOperationException("the tiny fuzz spec is not valid");
        string model = Path.Combine(_folder, "model");
        RandomCheckpoint.Write(_layout, model, seed: 1);
        _checkpoint = Checkpoint.Open(model);
        _sessions = new ThreadLocal<TextGenerator>(() => new TextGenerator(new GenericModel(_layout, _checkpoint), new ByteTextTokenizer(), new Sampler(_layout.VocabSize, new SamplerOptions { Seed = 1 })), trackAllValues: true);

        var specs = new List<byte[]> { Encoding.UTF8.GetBytes(TinySpec) };
        if (repoRoot is not null && Directory.Exists(Path.Combine(repoRoot, "ModelSpecs")))
        {
            specs.AddRange(Directory.GetFiles(Path.Combine(repoRoot, "ModelSpecs"), "*.model.json").Order(StringComparer.Ordinal).Select(File.ReadAllBytes));
        }

        byte[] weights = File.ReadAllBytes(Path.Combine(model, "model.safetensors"));
        byte[] snapshot = MakeSnapshot(model);
        byte[][] sentencePiece = [TinySentencePieceModel.Build(), TinySentencePieceModel.Build(addDummyPrefix: false, removeExtraWhitespaces: false)];
        byte[] bpe = Encoding.UTF8.GetBytes(BpeJson());
        _tokenizers = [.. sentencePiece.Select(b => (ITextTokenizer)SentencePieceTextTokenizer.Create(b, "seed")), Bpe(bpe)];

        Targets =
        [
            new FuzzTarget("spec", specs, Spec),
            new FuzzTarget("safetensors", [weights, SmallSafetensors()], Safetensors),
            new FuzzTarget("sentencepiece", sentencePiece, SentencePiece),
            new FuzzTarget("bpe", [bpe], BpeJsonTarget),
            new FuzzTarget("tokenize", [.. s_probeTexts.Select(Encoding.UTF8.GetBytes), Encoding.Unicode.GetBytes("\ud800a\udc00\u2581\u2581b")], Tokenize),
            new FuzzTarget("snapshot", [snapshot], Snapshot),
        ];
    }

    public IReadOnlyList<FuzzTarget> Targets { get; }

    public FuzzTarget this[string name] => Targets.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"unknown fuzz target '{name}'; targets: {string.Join(", ", Targets.Select(t => t.Name))}", nameof(name));

    public void Dispose()
    {
        foreach (var session in _sessions.Values)
        {
            session.Model.Dispose();
        }
        _sessions.Dispose();
        _scratch.Dispose();
        _checkpoint.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }
    }

    /// <summary>Any text: the reader reports problems and never throws; a layout it accepts survives a write/read round trip.</summary>
    private static void Spec(byte[] input)
    {
        string text = Encoding.UTF8.GetString(input);
        var result = SpecReader.Read(text);
        foreach (var problem in result.Problems)
        {
            _ = problem.Format("fuzz.model.json", text); // its position must lie inside the text
        }
        if (result.Layout is { } layout)
        {
            _ = MemoryPlan.StateElements(layout);
            _ = LayoutTensors.All(layout).Count();
            var again = SpecReader.Read(SpecWriter.Write(layout));
            if (again.Layout != layout)
            {
                throw new InvalidOperationException("an accepted layout does not survive SpecWriter/SpecReader: " + string.Join("; ", again.Problems.Select(p => p.Message)));
            }
        }
    }

    /// <summary>Only <see cref="EdgeJambaException"/>; every tensor the header accepts lies inside the file.</summary>
    private void Safetensors(byte[] input)
    {
        string path = _scratch.Value!;
        File.WriteAllBytes(path, input);
        try
        {
            using var file = SafetensorsFile.Open(path);
            foreach (var tensor in file.Tensors)
            {
                var bytes = file.Bytes(tensor);
                if (tensor.ByteOffset < file.DataStart || tensor.ByteOffset + tensor.ByteLength > file.Length)
                {
                    throw new InvalidOperationException($"tensor {tensor} lies outside the file");
                }
                if (bytes.Length > 0)
                {
                    _ = bytes[0] ^ bytes[^1];
                }
            }
        }
        catch (EdgeJambaException)
        {
        }
    }

    /// <summary>Only <see cref="EdgeJambaException"/>, while loading or encoding; decoding a loaded tokenizer's ids never fails.</summary>
    private static void SentencePiece(byte[] input)
    {
        try
        {
            var tokenizer = SentencePieceTextTokenizer.Create(input, "fuzz");
            Exercise(tokenizer, s_probeTexts); // a damaged model may refuse to encode, with a clear error
        }
        catch (EdgeJambaException)
        {
        }
    }

    private static void BpeJsonTarget(byte[] input)
    {
        try
        {
            var tokenizer = Bpe(input);
            Exercise(tokenizer, s_probeTexts);
        }
        catch (EdgeJambaException)
        {
        }
    }

    /// <summary>Any string (lone surrogates included) through every seed tokenizer.</summary>
    private void Tokenize(byte[] input)
    {
        string[] texts = [Encoding.UTF8.GetString(input), new string(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, char>(input.AsSpan(0, input.Length & ~1)))];
        foreach (var tokenizer in _tokenizers)
        {
            Exercise(tokenizer, texts);
        }
    }

    /// <summary>Only <see cref="EdgeJambaException"/>, for the file as it is and with its checksum made right (to get past it).</summary>
    private void Snapshot(byte[] input)
    {
        string path = _scratch.Value!;
        var session = _sessions.Value!;
        foreach (byte[] data in new[] { input, Reseal(input) })
        {
            File.WriteAllBytes(path, data);
            try
            {
                SessionSnapshot.Read(path, session);
                if (session.History.Count < _layout.MaxContext)
                {
                    session.Generate("", TextWriter.Null, new GenerationOptions { MaxTokens = 1 });
                }
            }
            catch (EdgeJambaException)
            {
            }
        }
    }

    private static byte[] Reseal(byte[] input)
    {
        if (input.Length < 8)
        {
            return input;
        }
        byte[] sealedCopy = (byte[])input.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(sealedCopy.AsSpan(input.Length - 8), LayoutHash.Fnv1a64Bytes(input.AsSpan(0, input.Length - 8)));
        return sealedCopy;
    }

    private static void Exercise(ITextTokenizer tokenizer, IEnumerable<string> texts)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (string text in texts)
        {
            var ids = tokenizer.Encode(text);
            if (ids.Any(id => (uint)id >= (uint)tokenizer.VocabSize))
            {
                throw new InvalidOperationException($"Encode produced an id outside the vocabulary of {tokenizer.VocabSize}");
            }
            _ = tokenizer.Decode(ids);
        }
        for (int id = 0; id < tokenizer.VocabSize; id++)
        {
            buffer.Clear();
            tokenizer.DecodeToken(id, buffer);
        }
    }

    private static ByteLevelBpeTextTokenizer Bpe(byte[] json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new EdgeJambaException("tokenizer.json is not JSON: " + e.Message, e);
        }
        using (document)
        {
            return ByteLevelBpeTextTokenizer.Create(document.RootElement, "fuzz/tokenizer.json");
        }
    }

    private byte[] MakeSnapshot(string model)
    {
        var session = _sessions.Value!;
        session.Generate("Hi \u00e9", TextWriter.Null, new GenerationOptions { MaxTokens = 4 });
        string path = Path.Combine(model, "seed.snapshot");
        SessionSnapshot.Write(path, session);
        return File.ReadAllBytes(path);
    }

    /// <summary>A header with metadata, an F16, a BF16, an I32 and an empty tensor.</summary>
    private static byte[] SmallSafetensors()
    {
        string header = """{"__metadata__":{"format":"pt"},"h":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[8,14]},"i":{"dtype":"I32","shape":[1],"data_offsets":[14,18]},"e":{"dtype":"F32","shape":[0,4],"data_offsets":[18,18]}}""";
        byte[] json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + 18];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        for (int i = 0; i < 18; i++)
        {
            file[8 + json.Length + i] = (byte)(0x3C + i);
        }
        return file;
    }

    /// <summary>A small GPT-2 style byte-level BPE tokenizer.json: the 256 byte characters, a few merges, added tokens.</summary>
    private static string BpeJson()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range(0xA1, 12)).Concat(Enumerable.Range(0xAE, 0xFF - 0xAE + 1)).ToHashSet();
        var vocab = new Dictionary<string, int>();
        int shifted = 256;
        for (int b = 0; b < 256; b++)
        {
            vocab[((char)(printable.Contains(b) ? b : shifted++)).ToString()] = b;
        }
        string[] merges = ["h e", "l l", "he ll", "hell o", "\u0120 w", "o r"];
        int next = 256;
        foreach (string merge in merges)
        {
            vocab[merge.Replace(" ", "", StringComparison.Ordinal)] = next++;
        }
        return $$"""
            {
              "added_tokens": [ { "id": {{next}}, "content": "<|endoftext|>", "special": true }, { "id": {{next + 1}}, "content": "<|user|>", "special": false } ],
              "normalizer": null,
              "pre_tokenizer": { "type": "ByteLevel", "add_prefix_space": false, "use_regex": true },
              "decoder": { "type": "ByteLevel" },
              "model": { "type": "BPE", "vocab": {{JsonSerializer.Serialize(vocab)}}, "merges": {{JsonSerializer.Serialize(merges)}} }
            }
            """;
    }
}
