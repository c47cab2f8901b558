using System.Buffers;
using System.Text;
using System.Text.Json;
using EdgeJamba.Runtime.Tokenization;

namespace EdgeJamba.Runtime.Tests.Tokenization;

public class ByteLevelBpeTextTokenizerTests
{
    // Hand-made vocabulary: ids 0..255 are the single bytes (id = byte value, spelled with GPT-2's byte
    // characters), then the merge results, then extra entries and added tokens.
    private const int He = 256, Ll = 257, Hell = 258, Hello = 259, SpaceW = 260, Or = 261, SpaceWor = 262, El = 263, Twelve = 264;
    private const int EndOfText = 265, User = 266, Ell = 267, BeginOfText = 268;

    private static readonly string[][] s_merges =
    [
        ["h", "e"], ["l", "l"], ["he", "ll"], ["hell", "o"], ["\u0120", "w"], ["o", "r"], ["\u0120w", "or"], ["e", "l"], ["1", "2"],
    ];

    /// <summary>GPT-2's bytes_to_unicode, written out independently of the code under test.</summary>
    private static string ByteChar(int b)
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range(0xA1, 0xAC - 0xA1 + 1)).Concat(Enumerable.Range(0xAE, 0xFF - 0xAE + 1)).ToList();
        if (printable.Contains(b))
        {
            return ((char)b).ToString();
        }
        int rank = Enumerable.Range(0, 256).Where(x => !printable.Contains(x)).ToList().IndexOf(b);
        return ((char)(256 + rank)).ToString();
    }

    private static string TokenizerJson(
        string preTokenizer = """{ "type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true }""",
        bool mergesAsArrays = false,
        bool ignoreMerges = false,
        string postProcessor = "null",
        string normalizer = "null")
    {
        var vocab = new Dictionary<string, int>();
        for (int b = 0; b < 256; b++)
        {
            vocab[ByteChar(b)] = b;
        }
        int next = 256;
        foreach (string[] merge in s_merges)
        {
            vocab[merge[0] + merge[1]] = next++;
        }
        vocab["<|endoftext|>"] = EndOfText; // GPT-2 also lists its added token in the vocabulary
        vocab["ell"] = Ell;
        string merges = mergesAsArrays
            ? JsonSerializer.Serialize(s_merges)
            : JsonSerializer.Serialize(s_merges.Select(m => m[0] + " " + m[1]));
        return $$"""
            {
              "version": "1.0",
              "added_tokens": [
                { "id": {{EndOfText}}, "content": "<|endoftext|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true },
                { "id": {{User}}, "content": "<|user|>", "special": false },
                { "id": {{BeginOfText}}, "content": "<|begin_of_text|>", "special": true }
              ],
              "normalizer": {{normalizer}},
              "pre_tokenizer": {{preTokenizer}},
              "post_processor": {{postProcessor}},
              "decoder": { "type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true },
              "model": {
                "type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": "", "end_of_word_suffix": "",
                "fuse_unk": false, "byte_fallback": false, "ignore_merges": {{(ignoreMerges ? "true" : "false")}},
                "vocab": {{JsonSerializer.Serialize(vocab)}},
                "merges": {{merges}}
              }
            }
            """;
    }

    private static ByteLevelBpeTextTokenizer Create(string json, TokenizerSettings? settings = null)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return ByteLevelBpeTextTokenizer.Create(document.RootElement, "tokenizer.json", settings);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gpt2Style_EncodesWithMergePriority(bool mergesAsArrays)
    {
        ByteLevelBpeTextTokenizer tokenizer = Create(TokenizerJson(mergesAsArrays: mergesAsArrays));
        // "hello" merges fully; " world" -> Ġw, or, Ġwor, then l and d stay bytes; "!" is byte 33.
        Assert.Equal([Hello, SpaceWor, 'l', 'd', '!'], tokenizer.Encode("hello world!"));
        // "ell": (l,l) has rank 1 and beats (e,l) rank 7, so the result is e + ll, not el + l.
        Assert.Equal(['e', Ll], tokenizer.Encode("ell"));
        // GPT-2's regex keeps digit runs together: both (1,2) pairs merge.
        Assert.Equal([Twelve, Twelve], tokenizer.Encode("1212"));
        Assert.Equal(['a', '\n', 'b'], tokenizer.Encode("a\nb"));
        Assert.Equal([0xF0, 0x9F, 0x99, 0x82], tokenizer.Encode("🙂"));
        Assert.Empty(tokenizer.Encode(""));
        Assert.Equal(269, tokenizer.VocabSize);
        Assert.Null(tokenizer.BosId);
        Assert.False(tokenizer.AddBos);
    }

    [Fact]
    public void AddedTokens_AreCutOutOfTheText()
    {
        ByteLevelBpeTextTokenizer tokenizer = Create(TokenizerJson());
        Assert.Equal(['h', 'i', EndOfText, Hello], tokenizer.Encode("hi<|endoftext|>hello"));
        Assert.Equal([User, EndOfText, User], tokenizer.Encode("<|user|><|endoftext|><|user|>"));
        // A partial marker is ordinary text.
        Assert.Equal(['<', '|', 'u', 's', 'e', 'r'], tokenizer.Encode("<|user"));
    }

    [Fact]
    public void Decode_MapsByteCharactersBack_AndHidesSpecialTokens()
    {
        ByteLevelBpeTextTokenizer tokenizer = Create(TokenizerJson());
        Assert.Equal("hello wor", tokenizer.Decode([BeginOfText, Hello, EndOfText, SpaceWor]));
        Assert.Equal("<|user|>hi", tokenizer.Decode([User, 'h', 'i']));
        Assert.Equal("🙂", tokenizer.Decode([0xF0, 0x9F, 0x99, 0x82]));
        Assert.Equal("\uFFFD", tokenizer.Decode([0xF0, 0x9F]));

        var buffer = new ArrayBufferWriter<byte>();
        tokenizer.DecodeToken(SpaceWor, buffer);
        tokenizer.DecodeToken(EndOfText, buffer);
        tokenizer.DecodeToken(0x0A, buffer);
        Assert.Equal(" wor\n"u8.ToArray(), buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void SplitThenByteLevelWithoutRegex_IsolatesMatchesAndGaps_AndReadsBosFromTheTemplate()
    {
        const string pre = """
            { "type": "Sequence", "pretokenizers": [
              { "type": "Split", "pattern": { "Regex": "\\p{N}{1,3}" }, "behavior": "Isolated", "invert": false },
              { "type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false } ] }
            """;
        const string post = """
            { "type": "Sequence", "processors": [
              { "type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true },
              { "type": "TemplateProcessing",
                "single": [ { "SpecialToken": { "id": "<|begin_of_text|>", "type_id": 0 } }, { "Sequence": { "id": "A", "type_id": 0 } } ],
                "pair": [],
                "special_tokens": { "<|begin_of_text|>": { "id": "<|begin_of_text|>", "ids": [ 268 ], "tokens": [ "<|begin_of_text|>" ] } } } ] }
            """;
        ByteLevelBpeTextTokenizer tokenizer = Create(TokenizerJson(preTokenizer: pre, postProcessor: post));
        // "1212" splits into "121" and "2": only the first (1,2) pair can merge.
        Assert.Equal([Twelve, '1', '2'], tokenizer.Encode("1212"));
        // The gap before a match is a piece of its own.
        Assert.Equal(['a', 'b', Twelve], tokenizer.Encode("ab12"));
        // Without GPT-2's regex, "hello world" stays one piece and still merges the same way.
        Assert.Equal([Hello, SpaceWor, 'l', 'd'], tokenizer.Encode("hello world"));
        Assert.Equal(BeginOfText, tokenizer.BosId);
        Assert.True(tokenizer.AddBos);
    }

    [Fact]
    public void IgnoreMerges_TakesWholeVocabularyWords()
    {
        Assert.Equal([Ell], Create(TokenizerJson(ignoreMerges: true)).Encode("ell"));
        Assert.Equal(['e', Ll], Create(TokenizerJson(ignoreMerges: false)).Encode("ell"));
    }

    [Fact]
    public void AddPrefixSpace_PrependsASpace()
    {
        ByteLevelBpeTextTokenizer tokenizer = Create(TokenizerJson(
            preTokenizer: """{ "type": "ByteLevel", "add_prefix_space": true, "use_regex": true }"""));
        Assert.Equal([' ', Hello], tokenizer.Encode("hello"));
        Assert.Equal([' ', Hello], tokenizer.Encode(" hello"));
    }

    [Fact]
    public void DigitsAndNfc_AreSupported()
    {
        ByteLevelBpeTextTokenizer tokenizer = Create(TokenizerJson(
            preTokenizer: """{ "type": "Sequence", "pretokenizers": [ { "type": "Digits", "individual_digits": true }, { "type": "ByteLevel", "use_regex": true } ] }""",
            normalizer: """{ "type": "NFC" }"""));
        Assert.Equal(['1', '2', '1', '2'], tokenizer.Encode("1212"));
        Assert.Equal([0xC3, 0xA9], tokenizer.Encode("\u00E9"));
    }

    [Fact]
    public void Settings_ResolveTokenStrings()
    {
        ByteLevelBpeTextTokenizer tokenizer = Create(TokenizerJson(), new TokenizerSettings { BosToken = "<|begin_of_text|>", EosToken = "<|endoftext|>", AddBos = true });
        Assert.Equal(BeginOfText, tokenizer.BosId);
        Assert.Equal([EndOfText], tokenizer.EosIds);
        Assert.True(tokenizer.AddBos);
    }

    [Fact]
    public void UnsupportedOrMalformedFiles_ThrowNamingTheFile()
    {
        string metaspace = TokenizerJson(preTokenizer: """{ "type": "Metaspace", "replacement": "\u2581" }""");
        using (JsonDocument document = JsonDocument.Parse(metaspace))
        {
            Assert.False(ByteLevelBpeTextTokenizer.IsByteLevel(document.RootElement));
        }
        Assert.Contains("tokenizer.json", Assert.Throws<EdgeJambaException>(() => Create(metaspace)).Message, StringComparison.Ordinal);

        string badMerge = TokenizerJson().Replace("\"h e\"", "\"h zz\"", StringComparison.Ordinal);
        Assert.Contains("tokenizer.json", Assert.Throws<EdgeJambaException>(() => Create(badMerge)).Message, StringComparison.Ordinal);

        string badId = TokenizerJson().Replace("\"id\": 266", "\"id\": \"x\"", StringComparison.Ordinal);
        Assert.Contains("tokenizer.json", Assert.Throws<EdgeJambaException>(() => Create(badId)).Message, StringComparison.Ordinal);
    }
}
