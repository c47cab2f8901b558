using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using EdgeJamba.Generated;
using EdgeJamba.Layout;
using EdgeJamba.Runtime;
using EdgeJamba.Runtime.Import;
using EdgeJamba.Runtime.Tokenization;
using EdgeJamba.Tests;
using Xunit.Abstractions;
using static EdgeJamba.Parity.Tests.Infrastructure.LogitAssert;

namespace EdgeJamba.Parity.Tests.DefaultModel;

/// <summary>
/// The project's own trained model (ModelSpecs/default, made by tools/EdgeJamba.Train) against the logits libtorch
/// computed for a fixed byte sequence when it was exported: libtorch is a second, independent implementation of the
/// Jamba math (a batched whole-sequence forward with its own kernels), so agreement checks our numerics, not only
/// our self-consistency. Needs no shared data and no TorchSharp: the witness ships with the model.
/// </summary>
public sealed class DefaultModelParityTests(ITestOutputHelper output)
{
    /// <summary>
    /// Both sides compute in float32 but sum in different orders (libtorch: blocked GEMMs over the whole sequence and
    /// its own reductions; EdgeJamba: one token at a time with its own SIMD dot products), so each logit carries a
    /// rounding difference of a few float32 ulps per accumulation, carried through 4 residual layers, RMSNorms and the
    /// tied head. Measured on the shipped model: at most 8.6e-6 on logits up to |12.9| (same on both engines), i.e.
    /// about 9 ulps of the largest logit. 1e-4 leaves a margin of ~12 while any wrong term (a missing norm, a
    /// renormalized router, a shifted conv tap, RoPE) moves logits by far more than that.
    /// </summary>
    private const double Tolerance = 1e-4;

    /// <summary>
    /// The ternary sibling: libtorch's witness is the quantization-aware forward the trainer optimized (ternary weights
    /// times per-token int8 inputs, <c>tools/EdgeJamba.Train</c> <c>Projection</c>), our side the ternary format the folder's
    /// layout.model.json selects (weights ternarized at load, integer products). Both quantize the same way, so the codes
    /// agree unless an input sits within float32 rounding of an int8 rounding boundary, where one code of one token can
    /// differ by 1 (a step of γ·absmax/127 in one projection output) and carry on. Measured on the shipped model: at most
    /// 6.7e-6 on logits up to |11.0| on both engines, the float32 rounding level of the f32 model above (no code flip shows),
    /// so the f32 bound 1e-4 holds with a margin of ~15 and argmax must agree everywhere; a difference in the ternarization
    /// itself is far outside it (the same folder run with dense f32 projections is off by up to 9.9, argmax equal at 21 of
    /// 58 positions).
    /// </summary>
    private const double TernaryTolerance = 1e-4;

    private static string Folder => Path.Combine(SharedData.RepoRoot, "ModelSpecs", "default");

    private static string TernaryFolder => Path.Combine(SharedData.RepoRoot, "ModelSpecs", "default-ternary");

    [Theory]
    [InlineData(EngineChoice.Generic)]
    [InlineData(EngineChoice.Specialized)]
    public void Both_engines_reproduce_the_libtorch_logits(EngineChoice engine) => AssertWitness(Folder, engine, Tolerance);

    [Theory]
    [InlineData(EngineChoice.Generic)]
    [InlineData(EngineChoice.Specialized)]
    public void Both_engines_reproduce_the_libtorch_logits_of_the_ternary_QAT_model(EngineChoice engine) =>
        AssertWitness(TernaryFolder, engine, TernaryTolerance);

    /// <summary>
    /// The ternary folder runs in the ternary format through its own layout.model.json, which is the layout compiled in from
    /// ModelSpecs/default-ternary.model.json and the exported config.json quantized as <c>--quant ternary</c> does.
    /// </summary>
    [Fact]
    public void The_ternary_folder_runs_the_ternary_spec()
    {
        var spec = SpecFile.Load(Path.Combine(SharedData.RepoRoot, "ModelSpecs", "default-ternary.model.json"), null);
        Assert.Equal(ProjectionFormat.Ternary, spec.Projections);
        var folder = ModelLoader.ReadLayout(ModelFiles.FromDirectory(TernaryFolder), null);
        Assert.Equal(LayoutHash.Compute(spec), LayoutHash.Compute(folder));
        // --quant ternary also makes the classifier q8_0; the shipped folder keeps the float one its witness logits were computed with.
        var quantized = HfConfigImporter.Quantize(HfConfigImporter.Import(TernaryFolder), ProjectionFormat.Ternary, "--quant ternary");
        Assert.Equal(ProjectionFormat.Q8_0, quantized.LmHead);
        Assert.Equal(LayoutHash.Compute(spec), LayoutHash.Compute(quantized with { LmHead = ProjectionFormat.Dense }));
    }

    private void AssertWitness(string folder, EngineChoice engine, double tolerance)
    {
        var (tokens, vocab, expected) = ReadWitness(folder);
        using var loaded = ModelLoader.Load(folder, engine, null, engine == EngineChoice.Generic ? null : GeneratedModels.TryCreate);
        Assert.Equal(engine == EngineChoice.Generic ? "generic" : "specialized", loaded.Model.EngineName);
        Assert.Equal(vocab, loaded.Layout.VocabSize);
        string what = $"{Path.GetFileName(folder)} ({loaded.Model.EngineName})";
        double max = 0;
        for (int t = 0; t < tokens.Length; t++)
        {
            var logits = loaded.Model.Forward(tokens[t], t);
            max = Math.Max(max, Close(what, t, logits, expected.AsSpan(t * vocab, vocab), tolerance, argmaxMustMatch: true));
        }
        output.WriteLine($"{what}: max |EdgeJamba - libtorch| = {max:E3} over {tokens.Length} positions");
    }

    /// <summary>The spec compiled into the binary is the layout of the folder: importing it gives the same layout hash.</summary>
    [Fact]
    public void The_default_spec_is_the_layout_of_the_exported_folder()
    {
        var spec = SpecFile.Load(Path.Combine(SharedData.RepoRoot, "ModelSpecs", "default.model.json"), null);
        Assert.Equal(LayoutHash.Compute(spec), LayoutHash.Compute(HfConfigImporter.Import(Folder)));
    }

    /// <summary>The folder's tokenizer.json is the byte tokenizer the model was trained with: id = byte value, both ways.</summary>
    [Fact]
    public void The_tokenizer_maps_every_byte_to_its_own_id()
    {
        var notices = new List<string>();
        var tokenizer = TokenizerLoader.Load(Folder, 256, notices.Add);
        Assert.Empty(notices);
        Assert.Equal(256, tokenizer.VocabSize);
        Assert.False(tokenizer.AddBos);
        string text = "ROMEO:\nO, she doth teach the torches to burn bright! \t~é";
        Assert.Equal(Encoding.UTF8.GetBytes(text).Select(b => (int)b), tokenizer.Encode(text));
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
    }

    private static (int[] Tokens, int Vocab, float[] Logits) ReadWitness(string folder)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "libtorch_logits.json")));
        var root = manifest.RootElement;
        int[] tokens = root.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int[] shape = root.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(tokens.Length, shape[0]);
        byte[] bytes = File.ReadAllBytes(Path.Combine(folder, root.GetProperty("file").GetString()!));
        Assert.Equal(shape[0] * shape[1] * sizeof(float), bytes.Length);
        var logits = new float[shape[0] * shape[1]];
        for (int i = 0; i < logits.Length; i++)
        {
            logits[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
        }
        return (tokens, shape[1], logits);
    }

    /// <summary>
    /// The manifest the default binary embeds the model with (and checks at start) must describe the committed files:
    /// every model file the runtime reads, with its size and XXH3-64 hash computed here by System.IO.Hashing.
    /// A retrained model without a refreshed manifest fails here, not in a user's hands.
    /// </summary>
    [Fact]
    public void Embed_manifest_lists_every_model_file_with_its_hash()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder, EmbeddedModel.ManifestFile)));
        var listed = manifest.RootElement.GetProperty("files").EnumerateArray()
            .ToDictionary(f => f.GetProperty("name").GetString()!, f => (Bytes: f.GetProperty("bytes").GetInt64(), Hash: f.GetProperty("xxh3").GetString()!));
        Assert.Equal(["config.json", "model.safetensors", "tokenizer.json"], listed.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, entry) in listed)
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(Folder, name));
            Assert.Equal(bytes.LongLength, entry.Bytes);
            Assert.Equal(System.IO.Hashing.XxHash3.HashToUInt64(bytes).ToString("x16", System.Globalization.CultureInfo.InvariantCulture), entry.Hash);
        }
    }
}
