using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace EdgeJamba.Runtime.Tokenization;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> with a byte-level BPE model (GPT-2, Llama 3, Qwen 2, SmolLM style).
/// The file is read with <see cref="JsonDocument"/> (no reflection, so it works under Native AOT) and the
/// merges run in Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>, built from <see cref="BpeOptions"/>
/// collections with <c>ByteLevel = true</c>.
/// <para>Encoding follows the Hugging Face pipeline:</para>
/// <list type="number">
/// <item><c>added_tokens</c> are cut out of the raw text first (leftmost, longest match) and map to their ids;
/// their <c>lstrip</c>/<c>rstrip</c>/<c>single_word</c> flags are ignored.</item>
/// <item>The <c>normalizer</c> runs on the text between them: none, or <c>NFC</c>
/// (<see cref="string.Normalize(NormalizationForm)"/>; it leaves text unchanged in an app built with
/// invariant globalization).</item>
/// <item>The <c>pre_tokenizer</c> splits the text: <c>Split</c> with a regex or string pattern and behavior
/// <c>Isolated</c> (matches and the text between them become pieces), <c>Digits</c>, and <c>ByteLevel</c>
/// (optional prefix space on every piece, then GPT-2's regex when <c>use_regex</c>), alone or in a
/// <c>Sequence</c>. Regex patterns run on .NET's engine.</item>
/// <item>Each piece becomes BPE ids; with <c>model.ignore_merges</c> a piece that is itself in the
/// vocabulary maps straight to its id.</item>
/// </list>
/// <para>
/// Decoding maps each vocabulary character back to its byte (see GPT-2's <c>bytes_to_unicode</c>); added
/// tokens marked <c>special</c> decode to nothing, other added tokens to their text. BOS is taken from a
/// <c>TemplateProcessing</c> post-processor whose <c>single</c> template starts with a special token
/// (and then added by default); EOS comes only from the model's configuration files.
/// </para>
/// </summary>
public sealed class ByteLevelBpeTextTokenizer : ITextTokenizer
{
    /// <summary>GPT-2's pre-tokenization regex (the <c>ByteLevel</c> pre-tokenizer with <c>use_regex</c>).</summary>
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Ids are below this (the largest vocabulary a model layout may have), so the id table stays bounded.</summary>
    private const int MaxVocabulary = EdgeJamba.Spec.SpecReader.MaxDimension;

    private readonly BpeTokenizer _bpe;
    private readonly Dictionary<string, int> _vocabulary;
    private readonly Dictionary<char, (string Content, int Id)[]> _addedByFirstChar;
    private readonly List<PreTokenizerStep> _preTokenizer;
    private readonly bool _normalizeNfc;
    private readonly bool _ignoreMerges;
    private readonly TokenBytes _bytes;
    private readonly SpecialTokens _special;

    private ByteLevelBpeTextTokenizer(Definition definition, string source, TokenizerSettings? settings)
    {
        _vocabulary = definition.Vocabulary;
        _preTokenizer = definition.PreTokenizer;
        _normalizeNfc = definition.NormalizeNfc;
        _ignoreMerges = definition.IgnoreMerges;
        _addedByFirstChar = definition.AddedTokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).Select(t => (t.Content, t.Id)).ToArray());
        _bpe = BpeTokenizer.Create(new BpeOptions(definition.Vocabulary)
        {
            Merges = definition.Merges,
            ByteLevel = true,
            UnknownToken = definition.UnknownToken,
        });

        int vocabSize = Math.Max(
            definition.Vocabulary.Count == 0 ? 0 : definition.Vocabulary.Values.Max() + 1,
            definition.AddedTokens.Count == 0 ? 0 : definition.AddedTokens.Max(t => t.Id) + 1);
        var table = new byte[vocabSize][];
        Array.Fill(table, []);
        foreach ((string token, int id) in definition.Vocabulary)
        {
            table[id] = TokenToBytes(token);
        }
        var byContent = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (AddedToken added in definition.AddedTokens)
        {
            table[added.Id] = added.Special ? [] : Encoding.UTF8.GetBytes(added.Content);
            byContent.TryAdd(added.Content, added.Id);
        }
        _bytes = new TokenBytes(table);

        var defaults = definition.TemplateBosId is int bos ? new SpecialTokens(bos, [], AddBos: true) : SpecialTokens.None;
        _special = (settings ?? new TokenizerSettings()).Resolve(
            t => byContent.TryGetValue(t, out int id) || _vocabulary.TryGetValue(t, out id) ? id : null, defaults, vocabSize, source);
    }

    public int VocabSize => _bytes.Count;

    public int? BosId => _special.BosId;

    public int? EosId => _special.EosId;

    public IReadOnlyList<int> EosIds => _special.EosIds;

    public bool AddBos => _special.AddBos;

    /// <summary>Builds the tokenizer from a parsed <c>tokenizer.json</c>; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="EdgeJambaException">The file is malformed or uses a feature this class does not support.</exception>
    public static ByteLevelBpeTextTokenizer Create(JsonElement root, string source, TokenizerSettings? settings = null)
    {
        Definition definition = Read(root, source);
        try
        {
            return new ByteLevelBpeTextTokenizer(definition, source, settings);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            // BpeTokenizer rejects merges of unknown tokens (InvalidOperationException) and duplicate ids (ArgumentException).
            throw new EdgeJambaException($"{source}: {ex.Message}", ex);
        }
    }

    /// <summary>Whether the file's pre-tokenizer has a <c>ByteLevel</c> step, the mark of a byte-level BPE this class is meant for.</summary>
    internal static bool IsByteLevel(JsonElement root) => Property(root, "pre_tokenizer") is JsonElement pre && HasByteLevelStep(pre);

    private static bool HasByteLevelStep(JsonElement pre)
    {
        if (Property(pre, "type") is not JsonElement type || type.ValueKind != JsonValueKind.String)
        {
            return false;
        }
        return type.GetString() switch
        {
            "ByteLevel" => true,
            "Sequence" => Property(pre, "pretokenizers") is JsonElement inner
                && inner.ValueKind == JsonValueKind.Array
                && inner.EnumerateArray().Any(HasByteLevelStep),
            _ => false,
        };
    }

    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        int segmentStart = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (!_addedByFirstChar.TryGetValue(text[i], out (string Content, int Id)[]? candidates))
            {
                continue;
            }
            foreach ((string content, int id) in candidates)
            {
                if (string.CompareOrdinal(text, i, content, 0, content.Length) == 0)
                {
                    EncodeSegment(text[segmentStart..i], ids);
                    ids.Add(id);
                    i += content.Length - 1;
                    segmentStart = i + 1;
                    break;
                }
            }
        }
        EncodeSegment(text[segmentStart..], ids);
        return ids;
    }

    public void DecodeToken(int id, IBufferWriter<byte> destination) => _bytes.Write(id, destination);

    public string Decode(IEnumerable<int> ids) => _bytes.Decode(ids);

    private void EncodeSegment(string segment, List<int> ids)
    {
        if (segment.Length == 0)
        {
            return;
        }
        if (_normalizeNfc)
        {
            segment = segment.Normalize(NormalizationForm.FormC);
        }
        List<string> pieces = [segment];
        foreach (PreTokenizerStep step in _preTokenizer)
        {
            pieces = step.Apply(pieces);
        }
        foreach (string piece in pieces)
        {
            if (_ignoreMerges && _vocabulary.TryGetValue(ByteLevelMapping.ToVocabularyString(Encoding.UTF8.GetBytes(piece)), out int id))
            {
                ids.Add(id);
            }
            else
            {
                ids.AddRange(_bpe.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false));
            }
        }
    }

    /// <summary>Bytes of a vocabulary entry; an entry with a character outside the byte table decodes to its own UTF-8, as Hugging Face does.</summary>
    private static byte[] TokenToBytes(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            if (!ByteLevelMapping.TryToByte(token[i], out bytes[i]))
            {
                return Encoding.UTF8.GetBytes(token);
            }
        }
        return bytes;
    }

    private static Definition Read(JsonElement root, string source)
    {
        try
        {
            return ReadUnchecked(root, source);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException or KeyNotFoundException)
        {
            throw new EdgeJambaException($"{source}: malformed tokenizer.json ({ex.Message}).", ex);
        }
    }

    private static Definition ReadUnchecked(JsonElement root, string source)
    {
        JsonElement model = Property(root, "model") ?? throw Unsupported(source, "no \"model\" object");
        if (Property(model, "type") is JsonElement type && type.GetString() != "BPE")
        {
            throw Unsupported(source, $"model type '{type.GetString()}' (only BPE)");
        }
        if (Property(model, "byte_fallback")?.GetBoolean() == true
            || !string.IsNullOrEmpty(Property(model, "continuing_subword_prefix")?.GetString())
            || !string.IsNullOrEmpty(Property(model, "end_of_word_suffix")?.GetString()))
        {
            throw Unsupported(source, "a BPE model with byte_fallback, continuing_subword_prefix or end_of_word_suffix (not byte-level)");
        }

        List<PreTokenizerStep> preTokenizer = [];
        bool byteLevel = false;
        if (Property(root, "pre_tokenizer") is JsonElement pre)
        {
            ReadPreTokenizer(pre, preTokenizer, ref byteLevel, source);
        }
        if (!byteLevel)
        {
            throw Unsupported(source, "the pre-tokenizer has no ByteLevel step (not a byte-level BPE)");
        }

        bool nfc = false;
        if (Property(root, "normalizer") is JsonElement normalizer)
        {
            nfc = ReadNormalizer(normalizer, source);
        }

        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        JsonElement vocab = Property(model, "vocab") ?? throw Unsupported(source, "no model.vocab");
        foreach (JsonProperty entry in vocab.EnumerateObject())
        {
            int id = entry.Value.GetInt32();
            if (id is < 0 or >= MaxVocabulary)
            {
                throw new FormatException($"id {id} for '{entry.Name}' is outside 0..{MaxVocabulary - 1}");
            }
            vocabulary[entry.Name] = id;
        }

        var merges = new List<string>();
        if (Property(model, "merges") is JsonElement mergeList)
        {
            foreach (JsonElement merge in mergeList.EnumerateArray())
            {
                merges.Add(merge.ValueKind == JsonValueKind.Array ? JoinMergePair(merge) : merge.GetString()!);
            }
        }

        var added = new List<AddedToken>();
        if (Property(root, "added_tokens") is JsonElement addedList)
        {
            foreach (JsonElement token in addedList.EnumerateArray())
            {
                int id = token.GetProperty("id").GetInt32();
                if (id is < 0 or >= MaxVocabulary)
                {
                    throw new FormatException($"added token id {id} is outside 0..{MaxVocabulary - 1}");
                }
                added.Add(new AddedToken(token.GetProperty("content").GetString()!, id, Property(token, "special")?.GetBoolean() ?? false));
            }
        }

        string? unknown = Property(model, "unk_token")?.GetString();
        return new Definition(
            vocabulary,
            merges,
            added,
            preTokenizer,
            nfc,
            Property(model, "ignore_merges")?.GetBoolean() ?? false,
            unknown is not null && vocabulary.ContainsKey(unknown) ? unknown : null,
            ReadTemplateBos(Property(root, "post_processor")));
    }

    private static string JoinMergePair(JsonElement pair)
    {
        if (pair.GetArrayLength() != 2)
        {
            throw new FormatException("a merge given as an array must have two entries");
        }
        string left = pair[0].GetString()!;
        string right = pair[1].GetString()!;
        if (left.Contains(' ', StringComparison.Ordinal) || right.Contains(' ', StringComparison.Ordinal))
        {
            throw new FormatException($"merge part containing a space ('{left}', '{right}') in a byte-level vocabulary");
        }
        return left + " " + right;
    }

    private static bool ReadNormalizer(JsonElement normalizer, string source)
    {
        string? type = Property(normalizer, "type")?.GetString();
        if (type == "NFC")
        {
            return true;
        }
        if (type == "Sequence")
        {
            bool nfc = false;
            foreach (JsonElement inner in (Property(normalizer, "normalizers") ?? default).EnumerateArray())
            {
                nfc |= ReadNormalizer(inner, source);
            }
            return nfc;
        }
        throw Unsupported(source, $"normalizer '{type}'");
    }

    private static void ReadPreTokenizer(JsonElement pre, List<PreTokenizerStep> steps, ref bool byteLevel, string source)
    {
        string? type = Property(pre, "type")?.GetString();
        switch (type)
        {
            case "Sequence":
                foreach (JsonElement inner in (Property(pre, "pretokenizers") ?? default).EnumerateArray())
                {
                    ReadPreTokenizer(inner, steps, ref byteLevel, source);
                }
                break;
            case "ByteLevel":
                byteLevel = true;
                steps.Add(new PreTokenizerStep(
                    Property(pre, "use_regex")?.GetBoolean() ?? true ? CreateRegex(Gpt2Pattern) : null,
                    Property(pre, "add_prefix_space")?.GetBoolean() ?? false));
                break;
            case "Digits":
                steps.Add(new PreTokenizerStep(CreateRegex(Property(pre, "individual_digits")?.GetBoolean() == true ? @"\p{N}" : @"\p{N}+"), false));
                break;
            case "Split":
                string? behavior = Property(pre, "behavior")?.GetString();
                if (behavior != "Isolated" || Property(pre, "invert")?.GetBoolean() == true)
                {
                    throw Unsupported(source, $"Split pre-tokenizer with behavior '{behavior}' (only Isolated, not inverted)");
                }
                JsonElement pattern = Property(pre, "pattern") ?? throw Unsupported(source, "Split pre-tokenizer without a pattern");
                string regex = Property(pattern, "Regex")?.GetString()
                    ?? Regex.Escape(Property(pattern, "String")?.GetString() ?? throw Unsupported(source, "Split pattern that is neither Regex nor String"));
                steps.Add(new PreTokenizerStep(CreateRegex(regex), false));
                break;
            default:
                throw Unsupported(source, $"pre-tokenizer '{type}'");
        }
    }

    private static Regex CreateRegex(string pattern) => new(pattern, RegexOptions.CultureInvariant);

    /// <summary>The id of the special token that a <c>TemplateProcessing</c> step puts first in a single sequence.</summary>
    private static int? ReadTemplateBos(JsonElement? processor)
    {
        if (processor is not JsonElement p)
        {
            return null;
        }
        string? type = Property(p, "type")?.GetString();
        if (type == "Sequence")
        {
            foreach (JsonElement inner in (Property(p, "processors") ?? default).EnumerateArray())
            {
                if (ReadTemplateBos(inner) is int id)
                {
                    return id;
                }
            }
            return null;
        }
        if (type != "TemplateProcessing"
            || Property(p, "single") is not JsonElement single
            || single.GetArrayLength() == 0
            || Property(single[0], "SpecialToken") is not JsonElement first
            || Property(first, "id")?.GetString() is not string name
            || Property(p, "special_tokens") is not JsonElement specials
            || Property(specials, name) is not JsonElement special
            || Property(special, "ids") is not JsonElement ids
            || ids.GetArrayLength() == 0)
        {
            return null;
        }
        return ids[0].GetInt32();
    }

    private static JsonElement? Property(JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    private static EdgeJambaException Unsupported(string source, string what) => new($"{source}: unsupported tokenizer.json: {what}.");

    private sealed record AddedToken(string Content, int Id, bool Special);

    private sealed record Definition(
        Dictionary<string, int> Vocabulary,
        List<string> Merges,
        List<AddedToken> AddedTokens,
        List<PreTokenizerStep> PreTokenizer,
        bool NormalizeNfc,
        bool IgnoreMerges,
        string? UnknownToken,
        int? TemplateBosId);

    /// <summary>One pre-tokenizer step: an optional prefix space on every piece, then an optional isolating regex split.</summary>
    private sealed record PreTokenizerStep(Regex? Split, bool AddPrefixSpace)
    {
        public List<string> Apply(List<string> pieces)
        {
            var result = new List<string>(pieces.Count);
            foreach (string input in pieces)
            {
                string piece = AddPrefixSpace && !input.StartsWith(' ') ? " " + input : input;
                if (Split is null)
                {
                    result.Add(piece);
                    continue;
                }
                int last = 0;
                foreach (ValueMatch match in Split.EnumerateMatches(piece))
                {
                    if (match.Length == 0)
                    {
                        continue;
                    }
                    if (match.Index > last)
                    {
                        result.Add(piece[last..match.Index]);
                    }
                    result.Add(piece.Substring(match.Index, match.Length));
                    last = match.Index + match.Length;
                }
                if (last < piece.Length)
                {
                    result.Add(piece[last..]);
                }
            }
            return result;
        }
    }
}
