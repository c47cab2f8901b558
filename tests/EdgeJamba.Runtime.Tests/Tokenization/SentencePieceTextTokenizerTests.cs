using System.Buffers;
using System.Text;
using System.Text.Json;
using EdgeJamba.Runtime.Tokenization;
using EdgeJamba.Tests;

namespace EdgeJamba.Runtime.Tests.Tokenization;

public class SentencePieceTextTokenizerTests
{
    private static SentencePieceTextTokenizer LoadStories()
        => SentencePieceTextTokenizer.Load(Path.Combine(SharedData.RequireDirectory("models/stories260K"), "tokenizer.model"));

    private static byte[] TokenBytes(SentencePieceTextTokenizer tokenizer, int id)
    {
        var buffer = new ArrayBufferWriter<byte>();
        tokenizer.DecodeToken(id, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    [SkippableFact]
    public void Stories260K_EveryReferenceCase_EncodesAndDecodesLikeSentencePiece()
    {
        SentencePieceTextTokenizer tokenizer = LoadStories();
        string casesPath = Path.Combine(SharedData.RequireDirectory("reference/stories260K"), "tokenizer_cases.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(casesPath));
        int checkedCases = 0;
        foreach (JsonElement testCase in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            string text = testCase.GetProperty("text").GetString()!;
            int[] ids = testCase.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.True(ids.SequenceEqual(tokenizer.Encode(text)), $"encoding of {JsonSerializer.Serialize(text)}: got [{string.Join(", ", tokenizer.Encode(text))}], expected [{string.Join(", ", ids)}]");
            Assert.Equal(testCase.GetProperty("decoded").GetString(), tokenizer.Decode(ids));
            checkedCases++;
        }
        Assert.True(checkedCases >= 10);
    }

    [SkippableFact]
    public void Stories260K_GreedyReferenceContinuation_DecodesToItsText()
    {
        SentencePieceTextTokenizer tokenizer = LoadStories();
        string manifestPath = Path.Combine(SharedData.RequireDirectory("reference/stories260K"), "manifest.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
        JsonElement greedy = document.RootElement.GetProperty("greedy");
        int[] tokens = greedy.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int[] prompt = greedy.GetProperty("prompt_tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();

        Assert.Equal(prompt, new[] { tokenizer.BosId!.Value }.Concat(tokenizer.Encode(greedy.GetProperty("prompt").GetString()!)));
        Assert.Equal(greedy.GetProperty("text").GetString(), tokenizer.Decode(tokens));
    }

    [SkippableFact]
    public void Stories260K_SpecialIdsAndTokenBytes()
    {
        SentencePieceTextTokenizer tokenizer = LoadStories();
        Assert.Equal(512, tokenizer.VocabSize);
        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal(2, tokenizer.EosId);
        Assert.Equal([2], tokenizer.EosIds);
        Assert.True(tokenizer.AddBos);

        Assert.Equal(" Once"u8.ToArray(), TokenBytes(tokenizer, 403)); // ▁Once keeps its space as a raw token
        Assert.Equal(new byte[] { 0x0A }, TokenBytes(tokenizer, 13));  // <0x0A>
        Assert.Equal(new byte[] { 0xF0 }, TokenBytes(tokenizer, 243)); // <0xF0>
        Assert.Empty(TokenBytes(tokenizer, 1));                         // <s> is a control piece
        Assert.Empty(TokenBytes(tokenizer, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenBytes(tokenizer, 512));
    }

    [SkippableFact]
    public void Stories260K_EmojiSplitOverByteTokens_StreamsAsOneCharacter()
    {
        SentencePieceTextTokenizer tokenizer = LoadStories();
        int[] ids = [344, 423, 414, 449, 417, 410, 243, 162, 156, 133, 443]; // "emoji 🙂!" from the reference cases
        var decoder = new Utf8StreamDecoder();
        var buffer = new ArrayBufferWriter<byte>();
        var chunks = new List<string>();
        foreach (int id in ids)
        {
            buffer.ResetWrittenCount();
            tokenizer.DecodeToken(id, buffer);
            chunks.Add(decoder.Decode(buffer.WrittenSpan));
        }
        chunks.Add(decoder.Flush());

        Assert.Equal(" emoji 🙂!", string.Concat(chunks));
        Assert.Equal(["", "", "", "🙂"], chunks.Skip(6).Take(4));
    }

    [Fact]
    public void TinyModel_MergesByScore_AndMatchesUserDefinedButNotControlPieces()
    {
        SentencePieceTextTokenizer tokenizer = SentencePieceTextTokenizer.Create(TinySentencePieceModel.Build(), "tiny.model");
        Assert.Equal(267, tokenizer.VocabSize);
        // "▁ab": ▁a (score -1) beats ab (-2); then "▁ab" is not a piece.
        Assert.Equal([263, 262], tokenizer.Encode("ab"));
        // "▁b▁ab": ▁a first, then ▁b.
        Assert.Equal([265, 263, 262], tokenizer.Encode("b ab"));
        // The user-defined <sep> stays whole.
        Assert.Equal([263, TinySentencePieceModel.Sep, 262], tokenizer.Encode("a<sep>b"));
        // The control piece <s> written as text is not recognized: '<', 's', '>' fall back to bytes.
        const int B = TinySentencePieceModel.FirstByte;
        Assert.Equal([260, B + '<', B + 's', B + '>'], tokenizer.Encode("<s>"));
        // Non-ASCII without a piece: UTF-8 bytes of 'é'.
        Assert.Equal([260, B + 0xC3, B + 0xA9], tokenizer.Encode("é"));
    }

    [Fact]
    public void TinyModel_DecodesControlUnknownAndUserDefinedPieces()
    {
        SentencePieceTextTokenizer tokenizer = SentencePieceTextTokenizer.Create(TinySentencePieceModel.Build(), "tiny.model");
        Assert.Equal("a<sep>b", tokenizer.Decode([TinySentencePieceModel.Bos, 263, TinySentencePieceModel.Sep, 262, TinySentencePieceModel.Eos]));
        Assert.Equal("a \u2047 ", tokenizer.Decode([263, TinySentencePieceModel.Unk]));
        Assert.Equal(" \u2047  a", tokenizer.Decode([TinySentencePieceModel.Unk, 263])); // text was written: the ▁ of ▁a stays
    }

    [Theory]
    // remove_extra_whitespaces: every leading ▁ is dropped while nothing has been written.
    [InlineData(true, true, new[] { 260, 263 }, "a")]
    [InlineData(true, true, new[] { 266, 262 }, " b")]
    // Without it, only the first ▁ piece loses its space.
    [InlineData(true, false, new[] { 260, 263 }, " a")]
    [InlineData(true, false, new[] { 1, 263, 265 }, "a b")]
    // A byte piece first means text was written: the following ▁ stays.
    [InlineData(true, true, new[] { TinySentencePieceModel.FirstByte + 'x', 263 }, "x a")]
    // Neither option: nothing is dropped.
    [InlineData(false, false, new[] { 263 }, " a")]
    public void TinyModel_Decode_DropsLeadingSpacesLikeSentencePiece(bool addDummyPrefix, bool removeExtra, int[] ids, string expected)
    {
        SentencePieceTextTokenizer tokenizer = SentencePieceTextTokenizer.Create(
            TinySentencePieceModel.Build(addDummyPrefix, removeExtra), "tiny.model");
        Assert.Equal(expected, tokenizer.Decode(ids));
    }

    [Theory]
    [InlineData(true, true, "  a  b ", "\u2581a\u2581b")]
    [InlineData(true, false, "  a  b ", "\u2581\u2581\u2581a\u2581\u2581b\u2581")]
    [InlineData(false, true, " a b", "a\u2581b")]
    [InlineData(true, true, "   ", "")]
    [InlineData(true, true, "\tx", "\u2581\tx")]
    public void TinyModel_Normalize_FollowsTheNormalizerOptions(bool addDummyPrefix, bool removeExtra, string text, string expected)
    {
        SentencePieceTextTokenizer tokenizer = SentencePieceTextTokenizer.Create(
            TinySentencePieceModel.Build(addDummyPrefix, removeExtra), "tiny.model");
        Assert.Equal(expected, tokenizer.Normalize(text));
    }

    [Fact]
    public void Settings_OverrideTheModelDefaults()
    {
        var settings = new TokenizerSettings { BosToken = "<sep>", EosIds = [2, 3], AddBos = false };
        SentencePieceTextTokenizer tokenizer = SentencePieceTextTokenizer.Create(TinySentencePieceModel.Build(), "tiny.model", settings);
        Assert.Equal(3, tokenizer.BosId);
        Assert.Equal(2, tokenizer.EosId);
        Assert.Equal([2, 3], tokenizer.EosIds);
        Assert.False(tokenizer.AddBos);
    }

    [Fact]
    public void UnsupportedOrCorruptModels_ThrowNamingTheSource()
    {
        Assert.Contains("tiny.model", Assert.Throws<EdgeJambaException>(
            () => SentencePieceTextTokenizer.Create(TinySentencePieceModel.Build(modelType: 1), "tiny.model")).Message, StringComparison.Ordinal);
        Assert.Contains("normalization", Assert.Throws<EdgeJambaException>(
            () => SentencePieceTextTokenizer.Create(TinySentencePieceModel.Build(withCharsmap: true), "tiny.model")).Message, StringComparison.Ordinal);
        Assert.Contains("bad.model", Assert.Throws<EdgeJambaException>(
            () => SentencePieceTextTokenizer.Create(Encoding.UTF8.GetBytes("{ not a proto"), "bad.model")).Message, StringComparison.Ordinal);
        Assert.Contains("tiny.model", Assert.Throws<EdgeJambaException>(
            () => SentencePieceTextTokenizer.Create(TinySentencePieceModel.Build(), "tiny.model", new TokenizerSettings { BosToken = "<nope>" })).Message, StringComparison.Ordinal);
    }
}
