using System.Globalization;
using System.Text;

namespace EdgeJamba.Runtime.Generation;

/// <summary>
/// Reads a prompt (e.g. stdin) with memory bounded by the context: a prompt that fits in
/// <c>contextTokens</c> tokens has at most <see cref="MaxBytesPerToken"/> bytes per token (and at most
/// <see cref="MaxPromptBytes"/> in all), so a longer one is refused as soon as its bytes exceed that budget,
/// before it is tokenized, or, with <see cref="ContextOverflow.KeepTail"/>, only its last budget bytes are
/// kept (starting at a character boundary) and tokenized. Invalid UTF-8 becomes U+FFFD and is reported
/// with the byte offset of the first bad byte in the whole input.
/// </summary>
public static class PromptReader
{
    /// <summary>Bytes of prompt text allowed per token of context.</summary>
    public const int MaxBytesPerToken = 64;

    /// <summary>Bytes of prompt text held in memory at most, whatever the context.</summary>
    public const int MaxPromptBytes = 64 << 20;

    private const int ChunkBytes = 1 << 16;

    /// <summary>The byte budget of a prompt for a context of <paramref name="contextTokens"/> tokens.</summary>
    public static long ByteBudget(int contextTokens) => Math.Min((long)Math.Max(contextTokens, 1) * MaxBytesPerToken, MaxPromptBytes);

    /// <param name="input">The prompt's bytes, read to the end (or until the budget is exceeded when refusing).</param>
    /// <param name="contextTokens">Tokens the prompt may take at most.</param>
    /// <param name="overflow">Refuse a prompt over the budget, or keep its end.</param>
    /// <param name="notice">Receives one line for the user: invalid UTF-8, or how much of the prompt was kept.</param>
    /// <exception cref="EdgeJambaException">The prompt exceeds the budget and <paramref name="overflow"/> is <see cref="ContextOverflow.Refuse"/>.</exception>
    public static string Read(Stream input, int contextTokens, ContextOverflow overflow, Action<string>? notice)
    {
        ArgumentNullException.ThrowIfNull(input);
        long budget = ByteBudget(contextTokens);
        var chunks = new Queue<byte[]>();
        long held = 0;
        long total = 0;
        var buffer = new byte[ChunkBytes];
        int read;
        while ((read = input.Read(buffer)) > 0)
        {
            total += read;
            if (total > budget && overflow == ContextOverflow.Refuse)
            {
                throw new EdgeJambaException(string.Create(CultureInfo.InvariantCulture,
                    $"the prompt is longer than {budget} bytes, more than a context of {contextTokens} tokens can hold ({MaxBytesPerToken} bytes per token at most); shorten it, raise --ctx, or pass --keep-tail to keep its end"));
            }
            chunks.Enqueue(buffer[..read]);
            held += read;
            while (held - chunks.Peek().Length >= budget)
            {
                held -= chunks.Dequeue().Length; // the tail is still complete without the oldest chunk
            }
        }

        byte[] all = new byte[held];
        int at = 0;
        foreach (byte[] chunk in chunks)
        {
            chunk.CopyTo(all, at);
            at += chunk.Length;
        }
        int skip = (int)Math.Max(0, held - budget);
        while (skip < all.Length && skip < held - budget + 3 && (all[skip] & 0xC0) == 0x80)
        {
            skip++; // start at a character, not inside one
        }
        long dropped = total - held + skip;
        if (dropped > 0)
        {
            notice?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"the prompt has {total} bytes, more than a context of {contextTokens} tokens can hold; only its last {total - dropped} bytes were read (--keep-tail)"));
        }
        var text = all.AsSpan(skip);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(text);
        }
        catch (DecoderFallbackException e)
        {
            notice?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"warning: the prompt is not valid UTF-8 (first bad byte at offset {dropped + e.Index}); invalid bytes were replaced by U+FFFD"));
            return Encoding.UTF8.GetString(text);
        }
    }

    /// <summary>
    /// Splits <paramref name="input"/> into lines (<c>\n</c>, an optional <c>\r</c> before it is dropped) for the
    /// one-request-per-line modes. Memory stays bounded: a line longer than <paramref name="maxLineBytes"/> is
    /// skipped to its end and returned with <see cref="InputLine.Bytes"/> null. A last line without a newline
    /// counts; an empty input has no lines.
    /// </summary>
    public static IEnumerable<InputLine> ReadLines(Stream input, long maxLineBytes)
    {
        ArgumentNullException.ThrowIfNull(input);
        var line = new MemoryStream();
        bool tooLong = false;
        int number = 0;
        var buffer = new byte[ChunkBytes];
        int read;
        while ((read = input.Read(buffer)) > 0)
        {
            int start = 0;
            for (int i = 0; i < read; i++)
            {
                if (buffer[i] != (byte)'\n')
                {
                    continue;
                }
                Append(buffer.AsSpan(start, i - start));
                yield return Take();
                start = i + 1;
            }
            Append(buffer.AsSpan(start, read - start));
        }
        if (line.Length > 0 || tooLong)
        {
            yield return Take();
        }

        void Append(ReadOnlySpan<byte> bytes)
        {
            if (!tooLong && line.Length + bytes.Length > maxLineBytes)
            {
                tooLong = true;
                line.SetLength(0);
            }
            if (!tooLong)
            {
                line.Write(bytes);
            }
        }

        InputLine Take()
        {
            number++;
            byte[]? bytes = null;
            if (!tooLong)
            {
                bytes = line.ToArray();
                if (bytes.Length > 0 && bytes[^1] == (byte)'\r')
                {
                    bytes = bytes[..^1];
                }
            }
            line.SetLength(0);
            tooLong = false;
            return new InputLine(number, bytes);
        }
    }
}

/// <summary>One line of input: its 1-based number and its bytes (without the line end), or null bytes when it was too long to keep.</summary>
public sealed record InputLine(int Number, byte[]? Bytes);
