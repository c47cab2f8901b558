using System.Buffers;

namespace EdgeJamba.Runtime.Tokenization;

/// <summary>
/// Converts text to token ids and token ids back to bytes and text.
/// <list type="bullet">
/// <item><see cref="Encode"/> never adds BOS or EOS; a caller building a model input prepends
/// <see cref="BosId"/> when <see cref="AddBos"/> is true.</item>
/// <item><see cref="DecodeToken"/> gives the raw bytes of one token, so text can be streamed through a
/// <see cref="Utf8StreamDecoder"/> even when one character spans several tokens. Control and special
/// tokens (BOS, EOS, chat markers) produce no bytes.</item>
/// <item><see cref="Decode"/> turns a whole sequence into text the way the tokenizer's reference library
/// does (for SentencePiece this removes the space that the encoder's dummy prefix added at the start).</item>
/// </list>
/// </summary>
public interface ITextTokenizer
{
    /// <summary>Number of ids the tokenizer can produce or decode: <c>0 .. VocabSize - 1</c>.</summary>
    int VocabSize { get; }

    /// <summary>Beginning-of-sequence id, or null when the model has none.</summary>
    int? BosId { get; }

    /// <summary>The first of <see cref="EosIds"/>, or null when the model declares no end-of-sequence id.</summary>
    int? EosId { get; }

    /// <summary>Every id that ends generation (models such as Llama 3 declare several), possibly empty.</summary>
    IReadOnlyList<int> EosIds { get; }

    /// <summary>Whether a model input starts with <see cref="BosId"/> (never true when it is null).</summary>
    bool AddBos { get; }

    /// <summary>Token ids of <paramref name="text"/>, without BOS or EOS.</summary>
    IReadOnlyList<int> Encode(string text);

    /// <summary>Appends the raw bytes of token <paramref name="id"/> to <paramref name="destination"/> (possibly none, possibly a partial UTF-8 sequence).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside <c>[0, VocabSize)</c>.</exception>
    void DecodeToken(int id, IBufferWriter<byte> destination);

    /// <summary>Text of a token sequence; invalid UTF-8 becomes U+FFFD.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>[0, VocabSize)</c>.</exception>
    string Decode(IEnumerable<int> ids);
}
