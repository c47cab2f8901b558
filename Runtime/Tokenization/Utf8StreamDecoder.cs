using System.Text;

namespace EdgeJamba.Runtime.Tokenization;

/// <summary>
/// Turns the raw bytes of tokens, fed one token at a time, into text as soon as it is complete. A UTF-8
/// sequence cut at the end of a chunk is held back until the next chunk completes it; an invalid sequence
/// becomes U+FFFD (one per maximal invalid subpart, the Unicode "best practice" that .NET's decoder follows).
/// Call <see cref="Flush(Span{char})"/> (or another <c>Flush</c>) after the last token: a sequence still
/// incomplete then becomes U+FFFD.
/// The span and <see cref="TextWriter"/> forms do not allocate once the internal buffer has grown to the
/// largest chunk seen.
/// </summary>
public sealed class Utf8StreamDecoder
{
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);
    private readonly Decoder _decoder = s_utf8.GetDecoder();
    private char[] _buffer = new char[64];

    /// <summary>
    /// Largest number of chars one call can produce for <paramref name="byteCount"/> new bytes: each byte, new or
    /// held back (at most 3), yields at most one char.
    /// </summary>
    public static int GetMaxCharCount(int byteCount) => checked(byteCount + 3);

    /// <summary>Decodes <paramref name="bytes"/> into <paramref name="destination"/> and returns the number of chars written.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="GetMaxCharCount"/> of the byte count.</exception>
    public int Decode(ReadOnlySpan<byte> bytes, Span<char> destination) => Convert(bytes, destination, flush: false);

    /// <summary>Decodes <paramref name="bytes"/> and writes the complete text to <paramref name="writer"/>.</summary>
    public void Decode(ReadOnlySpan<byte> bytes, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(_buffer, 0, Convert(bytes, Buffer(bytes.Length), flush: false));
    }

    /// <summary>Decodes <paramref name="bytes"/> and returns the complete text (empty while a sequence is pending).</summary>
    public string Decode(ReadOnlySpan<byte> bytes) => new(_buffer, 0, Convert(bytes, Buffer(bytes.Length), flush: false));

    /// <summary>Ends the stream: writes U+FFFD for a held-back incomplete sequence, if any, and resets the decoder.</summary>
    public int Flush(Span<char> destination) => Convert([], destination, flush: true);

    /// <inheritdoc cref="Flush(Span{char})"/>
    public void Flush(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(_buffer, 0, Convert([], Buffer(0), flush: true));
    }

    /// <inheritdoc cref="Flush(Span{char})"/>
    public string Flush() => new(_buffer, 0, Convert([], Buffer(0), flush: true));

    /// <summary>Drops any held-back bytes without output.</summary>
    public void Reset() => _decoder.Reset();

    private char[] Buffer(int byteCount)
    {
        int needed = GetMaxCharCount(byteCount);
        if (_buffer.Length < needed)
        {
            _buffer = new char[Math.Max(needed, _buffer.Length * 2)];
        }
        return _buffer;
    }

    private int Convert(ReadOnlySpan<byte> bytes, Span<char> destination, bool flush)
    {
        if (destination.Length < GetMaxCharCount(bytes.Length))
        {
            throw new ArgumentException($"The destination must hold at least {GetMaxCharCount(bytes.Length)} chars.", nameof(destination));
        }
        return _decoder.GetChars(bytes, destination, flush);
    }
}
