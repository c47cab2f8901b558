using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace EdgeJamba.Runtime.Tokenization;

/// <summary>
/// A SentencePiece BPE model (<c>tokenizer.model</c>, as shipped with Llama 1/2, Mistral, TinyLlama,
/// llama2.c) with byte fallback: <c>&lt;0xAB&gt;</c> pieces stand for single bytes.
/// <para>
/// <b>Encoding</b> equals the SentencePiece library's <c>encode(text)</c>. The text is normalized here
/// exactly as SentencePiece's identity normalizer does (leading and trailing spaces dropped and inner runs of
/// spaces collapsed when <c>remove_extra_whitespaces</c>, a <c>▁</c> dummy prefix when
/// <c>add_dummy_prefix</c>, spaces escaped as <c>▁</c>), then the merges are done by
/// Microsoft.ML.Tokenizers' <c>LlamaTokenizer</c> without its own normalizer: in version 2.0.1 that
/// normalizer loses inputs with a single non-space character (<c>"a"</c> and <c>" a"</c> encode to nothing)
/// and keeps a lone <c>▁</c> for an all-space input, where SentencePiece yields nothing. Only ASCII space counts as whitespace (tabs and newlines are ordinary
/// characters, usually byte-fallback pieces). Control pieces such as <c>&lt;s&gt;</c> written in the text are
/// not recognized (SentencePiece never matches them); user-defined pieces are.
/// </para>
/// <para>
/// The Hugging Face <c>legacy</c> flag only changes how text right after a special token is split; since
/// special tokens are never parsed out of the text here, the result is SentencePiece's own (what
/// <c>legacy: true</c> produces).
/// </para>
/// <para>
/// <b>Decoding</b>: a normal piece decodes to its text with <c>▁</c> as space, a byte piece to its byte,
/// control pieces to nothing and <c>&lt;unk&gt;</c> to the model's unknown surface (<c>" ⁇ "</c> by
/// default). <see cref="Decode"/> also drops the leading space that the dummy prefix produced, following
/// SentencePiece's rules; <see cref="DecodeToken"/> keeps it (it returns raw bytes).
/// </para>
/// </summary>
public sealed class SentencePieceTextTokenizer : ITextTokenizer
{
    private const char SpaceSymbol = '\u2581';
    private readonly LlamaTokenizer _tokenizer;
    private readonly SentencePieceModelProto _model;
    private readonly TokenBytes _bytes;
    private readonly SpecialTokens _special;
    private readonly string _source;

    private SentencePieceTextTokenizer(LlamaTokenizer tokenizer, SentencePieceModelProto model, string source, TokenizerSettings? settings)
    {
        _source = source;
        _tokenizer = tokenizer;
        _model = model;
        _bytes = new TokenBytes(model.Pieces.Select(p => PieceBytes(p.Piece, p.Type, model.UnkSurface, source)).ToArray());
        var ids = new Dictionary<string, int>(model.Pieces.Count, StringComparer.Ordinal);
        for (int id = 0; id < model.Pieces.Count; id++)
        {
            ids.TryAdd(model.Pieces[id].Piece, id);
        }
        var defaults = new SpecialTokens(ControlId(model.BosId), ControlId(model.EosId) is int eos ? [eos] : [], AddBos: true);
        _special = (settings ?? new TokenizerSettings()).Resolve(t => ids.TryGetValue(t, out int id) ? id : null, defaults, VocabSize, source);

        int? ControlId(int id) => id >= 0 && id < model.Pieces.Count && model.Pieces[id].Type == SentencePieceType.Control ? id : null;
    }

    public int VocabSize => _model.Pieces.Count;

    public int? BosId => _special.BosId;

    public int? EosId => _special.EosId;

    public IReadOnlyList<int> EosIds => _special.EosIds;

    public bool AddBos => _special.AddBos;

    /// <summary>Loads <paramref name="path"/>; any problem with the file becomes an <see cref="EdgeJambaException"/> naming it.</summary>
    public static SentencePieceTextTokenizer Load(string path, TokenizerSettings? settings = null)
    {
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (IOException ex)
        {
            throw new EdgeJambaException($"{path}: cannot read the SentencePiece model ({ex.Message}).", ex);
        }
        return Create(data, path, settings);
    }

    /// <summary>Reads a serialized SentencePiece model; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="EdgeJambaException">The data is not a SentencePiece BPE model this class supports.</exception>
    public static SentencePieceTextTokenizer Create(ReadOnlySpan<byte> data, string source, TokenizerSettings? settings = null)
    {
        SentencePieceModelProto model;
        try
        {
            model = SentencePieceModelProto.Parse(data);
        }
        catch (FormatException ex)
        {
            throw new EdgeJambaException($"{source}: not a SentencePiece model ({ex.Message}).", ex);
        }
        if (model.Pieces.Count == 0)
        {
            throw new EdgeJambaException($"{source}: not a SentencePiece model (no pieces).");
        }
        if ((uint)model.UnkId >= (uint)model.Pieces.Count)
        {
            throw new EdgeJambaException($"{source}: unk_id {model.UnkId} is outside the {model.Pieces.Count} pieces.");
        }
        if (model.ModelType != SentencePieceModelProto.ModelTypeBpe)
        {
            throw new EdgeJambaException($"{source}: SentencePiece model type {model.ModelType} is not supported (only BPE, type 2).");
        }
        if (model.HasPrecompiledCharsmap)
        {
            throw new EdgeJambaException($"{source}: the normalization rule '{model.NormalizerName}' is not supported (only identity normalization).");
        }
        if (model.TreatWhitespaceAsSuffix)
        {
            throw new EdgeJambaException($"{source}: treat_whitespace_as_suffix is not supported.");
        }

        Dictionary<string, int>? userDefined = null;
        for (int id = 0; id < model.Pieces.Count; id++)
        {
            if (model.Pieces[id].Piece.Length == 0 && model.Pieces[id].Type is SentencePieceType.Normal or SentencePieceType.UserDefined)
            {
                // An empty user-defined piece sends the merge library into an endless loop.
                throw new EdgeJambaException($"{source}: piece {id} ({model.Pieces[id].Type}) has no text.");
            }
            if (model.Pieces[id].Type == SentencePieceType.UserDefined)
            {
                (userDefined ??= new Dictionary<string, int>(StringComparer.Ordinal))[model.Pieces[id].Piece] = id;
            }
        }

        LlamaTokenizer tokenizer;
        try
        {
            using var stream = new MemoryStream(data.ToArray(), writable: false);
            tokenizer = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false, specialTokens: userDefined);
        }
#pragma warning disable CA1031 // the library parses the file again with its own protobuf reader; on damaged bytes it fails in many ways (even NullReferenceException)
        catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            throw new EdgeJambaException($"{source}: cannot load the SentencePiece model ({ex.GetType().Name}: {ex.Message}).", ex);
        }
        return new SentencePieceTextTokenizer(tokenizer, model, source, settings);
    }

    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string normalized = Normalize(text);
        if (normalized.Length == 0)
        {
            return [];
        }
        var ids = _tokenizer.EncodeToIds(normalized, addBeginningOfSentence: false, addEndOfSentence: false, considerPreTokenization: false, considerNormalization: false);
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)VocabSize)
            {
                // A damaged model (e.g. byte-fallback pieces missing) can make the merge library emit ids it does not have.
                throw new EdgeJambaException($"{_source}: the SentencePiece model encodes the text to id {id}, outside its {VocabSize} pieces (is the file complete?).");
            }
        }
        return ids;
    }

    public void DecodeToken(int id, IBufferWriter<byte> destination) => _bytes.Write(id, destination);

    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        IReadOnlyCollection<int> list = ids as IReadOnlyCollection<int> ?? ids.ToList();
        return _bytes.Decode(list, LeadingSpacesToDrop(list));
    }

    /// <summary>
    /// SentencePiece's identity normalization: optional removal of leading, trailing and repeated spaces,
    /// the dummy <c>▁</c> prefix, and spaces escaped as <c>▁</c>.
    /// </summary>
    internal string Normalize(string text)
    {
        int start = 0;
        bool removeExtra = _model.RemoveExtraWhitespaces;
        if (removeExtra)
        {
            while (start < text.Length && text[start] == ' ')
            {
                start++;
            }
        }
        if (start == text.Length)
        {
            return "";
        }

        char space = _model.EscapeWhitespaces ? SpaceSymbol : ' ';
        var builder = new StringBuilder(text.Length - start + 1);
        if (_model.AddDummyPrefix)
        {
            builder.Append(space);
        }
        bool previousWasSpace = removeExtra;
        for (int i = start; i < text.Length; i++)
        {
            char c = text[i];
            if (c != ' ')
            {
                builder.Append(c);
                previousWasSpace = false;
            }
            else if (!(removeExtra && previousWasSpace))
            {
                builder.Append(space);
                previousWasSpace = true;
            }
        }
        if (removeExtra)
        {
            int length = builder.Length;
            while (length > 0 && builder[length - 1] == space)
            {
                length--;
            }
            builder.Length = length;
        }
        return builder.ToString();
    }

    /// <summary>
    /// How many spaces at the start of the raw bytes <see cref="Decode"/> drops: SentencePiece strips the
    /// <c>▁</c> of a piece while nothing has been output yet (once, or for every such piece when extra
    /// whitespace is removed), if the model adds a dummy prefix or removes extra whitespace.
    /// </summary>
    private int LeadingSpacesToDrop(IEnumerable<int> ids)
    {
        if (!_model.AddDummyPrefix && !_model.RemoveExtraWhitespaces)
        {
            return 0;
        }
        int dropped = 0;
        bool textEmpty = true;
        bool bosSpaceSeen = false;
        foreach (int id in ids)
        {
            if (!textEmpty || bosSpaceSeen)
            {
                break;
            }
            ReadOnlySpan<byte> bytes = _bytes[id];
            (string piece, SentencePieceType type) = _model.Pieces[id];
            bool canStrip = type is not (SentencePieceType.Byte or SentencePieceType.Control or SentencePieceType.Unknown);
            if (canStrip && piece.Length > 0 && piece[0] == SpaceSymbol)
            {
                dropped++;
                bosSpaceSeen = !_model.RemoveExtraWhitespaces;
                textEmpty = bytes.Length == 1;
            }
            else
            {
                textEmpty = bytes.IsEmpty;
            }
        }
        return dropped;
    }

    private static byte[] PieceBytes(string piece, SentencePieceType type, string unkSurface, string source) => type switch
    {
        SentencePieceType.Control => [],
        SentencePieceType.Unknown => Encoding.UTF8.GetBytes(unkSurface),
        SentencePieceType.Byte when piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte value) => [value],
        SentencePieceType.Byte => throw new EdgeJambaException($"{source}: byte piece '{piece}' is not of the form <0xAB>."),
        _ => Encoding.UTF8.GetBytes(piece.Replace(SpaceSymbol, ' ')),
    };
}
