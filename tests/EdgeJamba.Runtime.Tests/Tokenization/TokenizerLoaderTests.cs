using EdgeJamba.Runtime.Tokenization;
using EdgeJamba.Tests;

namespace EdgeJamba.Runtime.Tests.Tokenization;

public sealed class TokenizerLoaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edgejamba-tok-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private void Write(string name, string content) => File.WriteAllText(Path.Combine(_folder, name), content);

    private const string ByteLevelJson = """
        {
          "added_tokens": [ { "id": 5, "content": "<|end|>", "special": true }, { "id": 6, "content": "<|start|>", "special": true } ],
          "pre_tokenizer": { "type": "ByteLevel", "add_prefix_space": false, "use_regex": true },
          "model": { "type": "BPE", "vocab": { "a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4 }, "merges": [ "a b", "ab c" ] }
        }
        """;

    [SkippableFact]
    public void Stories260K_LoadsTheSentencePieceModelWithConfigSpecials()
    {
        string folder = SharedData.RequireDirectory("models/stories260K");
        ITextTokenizer tokenizer = TokenizerLoader.Load(folder, 512);
        Assert.IsType<SentencePieceTextTokenizer>(tokenizer);
        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal([2], tokenizer.EosIds);
        Assert.True(tokenizer.AddBos);
        Assert.Equal([403, 407, 261, 378], tokenizer.Encode("Once upon a time"));
    }

    [Fact]
    public void NoTokenizerFile_FallsBackToBytes_WithConfigIds()
    {
        Write("config.json", """{ "vocab_size": 300, "bos_token_id": 256, "eos_token_id": [257, 2] }""");
        Write("tokenizer_config.json", """{ "add_bos_token": true, "bos_token": "<s>", "eos_token": { "content": "</s>" } }""");
        ITextTokenizer tokenizer = TokenizerLoader.Load(_folder, 300);
        Assert.IsType<ByteTextTokenizer>(tokenizer);
        Assert.Equal(300, tokenizer.VocabSize);
        Assert.Equal(256, tokenizer.BosId);
        Assert.Equal(257, tokenizer.EosId);
        Assert.Equal([257, 2], tokenizer.EosIds);
        Assert.True(tokenizer.AddBos);
        Assert.Equal([0x68, 0x69], tokenizer.Encode("hi"));
    }

    [Fact]
    public void GenerationConfig_OverridesConfig()
    {
        Write("config.json", """{ "bos_token_id": 1, "eos_token_id": 2 }""");
        Write("generation_config.json", """{ "bos_token_id": null, "eos_token_id": [7, 8] }""");
        TokenizerSettings settings = TokenizerLoader.ReadSettings(ModelFiles.FromDirectory(_folder));
        Assert.Equal(1, settings.BosId);
        Assert.Equal([7, 8], settings.EosIds);
        Assert.Null(settings.AddBos);
    }

    [Fact]
    public void TooSmallVocabularyWithoutTokenizer_ThrowsNamingTheFolder()
    {
        var ex = Assert.Throws<EdgeJambaException>(() => TokenizerLoader.Load(_folder, 100));
        Assert.Contains(_folder, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("config.json", "{ \"eos_token_id\": 2,, }", "config.json")]
    [InlineData("generation_config.json", "[1, 2", "generation_config.json")]
    [InlineData("tokenizer_config.json", "{ \"add_bos_token\": \"yes\" }", "add_bos_token")]
    [InlineData("config.json", "{ \"eos_token_id\": \"2\" }", "eos_token_id")]
    [InlineData("config.json", "{ \"bos_token_id\": [1.5] }", "bos_token_id")]
    [InlineData("tokenizer.json", "{ \"model\": ", "tokenizer.json")]
    public void CorruptOrMistypedJson_ThrowsNamingTheFileOrField(string file, string content, string expected)
    {
        Write(file, content);
        var ex = Assert.Throws<EdgeJambaException>(() => TokenizerLoader.Load(_folder, 1000));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ByteLevelTokenizerJson_IsUsed_AndTokenStringsResolve()
    {
        Write("tokenizer.json", ByteLevelJson);
        Write("tokenizer_config.json", """{ "bos_token": "<|start|>", "eos_token": "<|end|>", "add_bos_token": true }""");
        ITextTokenizer tokenizer = TokenizerLoader.Load(_folder, 8);
        Assert.IsType<ByteLevelBpeTextTokenizer>(tokenizer);
        Assert.Equal([4, 3], tokenizer.Encode("abcab"));
        Assert.Equal(6, tokenizer.BosId);
        Assert.Equal([5], tokenizer.EosIds);
        Assert.True(tokenizer.AddBos);
    }

    [Fact]
    public void TokenizerLargerThanTheModel_Throws()
    {
        Write("tokenizer.json", ByteLevelJson);
        var ex = Assert.Throws<EdgeJambaException>(() => TokenizerLoader.Load(_folder, 6));
        Assert.Contains("tokenizer.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonByteLevelTokenizerJson_WithoutSentencePieceModel_ThrowsNamingIt()
    {
        Write("tokenizer.json", ByteLevelJson.Replace("\"ByteLevel\"", "\"Metaspace\"", StringComparison.Ordinal));
        var ex = Assert.Throws<EdgeJambaException>(() => TokenizerLoader.Load(_folder, 100));
        Assert.Contains("tokenizer.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Metaspace", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonByteLevelTokenizerJson_WithSentencePieceModel_UsesTheModel()
    {
        Write("tokenizer.json", ByteLevelJson.Replace("\"ByteLevel\"", "\"Metaspace\"", StringComparison.Ordinal));
        File.WriteAllBytes(Path.Combine(_folder, "tokenizer.model"), TinySentencePieceModel.Build());
        ITextTokenizer tokenizer = TokenizerLoader.Load(_folder, 300);
        Assert.IsType<SentencePieceTextTokenizer>(tokenizer);
        Assert.Equal([263, 262], tokenizer.Encode("ab"));
        Assert.Equal(TinySentencePieceModel.Bos, tokenizer.BosId);
    }

    [Fact]
    public void MissingFolder_Throws()
        => Assert.Throws<EdgeJambaException>(() => TokenizerLoader.Load(Path.Combine(_folder, "nope"), 512));
}
