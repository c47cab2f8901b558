using System.Text;
using EdgeJamba.Runtime.Tokenization;

namespace EdgeJamba.Runtime.Tests.Tokenization;

public class Utf8StreamDecoderTests
{
    private static List<string> Feed(Utf8StreamDecoder decoder, params byte[][] chunks)
    {
        var output = chunks.Select(chunk => decoder.Decode(chunk)).ToList();
        output.Add(decoder.Flush());
        return output;
    }

    [Fact]
    public void EmojiSplitOverFourTokens_AppearsWithTheLastByte()
        => Assert.Equal(["a", "", "", "", "🙂", ""], Feed(new Utf8StreamDecoder(), [0x61], [0xF0], [0x9F], [0x99], [0x82]));

    [Fact]
    public void SequenceSplitInsideAChunk_IsHeldBack()
        => Assert.Equal(["x", "☃y", ""], Feed(new Utf8StreamDecoder(), [0x78, 0xE2], [0x98, 0x83, 0x79]));

    [Fact]
    public void InvalidBytes_BecomeReplacementCharacters()
    {
        // A lone continuation byte and a byte that never occurs in UTF-8 are one U+FFFD each.
        Assert.Equal(["A\uFFFD\uFFFDB", ""], Feed(new Utf8StreamDecoder(), [0x41, 0x80, 0xFF, 0x42]));
        // A truncated sequence followed by ASCII is one U+FFFD (its maximal valid prefix), then the ASCII.
        Assert.Equal(["", "\uFFFDA", ""], Feed(new Utf8StreamDecoder(), [0xE2, 0x98], [0x41]));
        // An encoded surrogate (ED A0 80) is invalid from its second byte on: three U+FFFD.
        Assert.Equal(["\uFFFD\uFFFD\uFFFD", ""], Feed(new Utf8StreamDecoder(), [0xED, 0xA0, 0x80]));
    }

    [Fact]
    public void Flush_TurnsAPendingSequenceIntoOneReplacement_AndResets()
    {
        var decoder = new Utf8StreamDecoder();
        Assert.Equal(["", "\uFFFD"], Feed(decoder, [0xF0, 0x9F]));
        Assert.Equal(["ok", ""], Feed(decoder, "ok"u8.ToArray()));
    }

    [Fact]
    public void SpanAndWriterForms_WriteTheSameText()
    {
        var decoder = new Utf8StreamDecoder();
        Span<char> destination = stackalloc char[Utf8StreamDecoder.GetMaxCharCount(2)];
        Assert.Equal(0, decoder.Decode([0xC3], destination));
        int written = decoder.Decode([0xA9, 0x21], destination);
        Assert.Equal("é!", destination[..written].ToString());
        Assert.Equal(0, decoder.Flush(destination));

        var writer = new StringWriter();
        decoder.Decode([0xE6, 0x97], writer);
        decoder.Decode([0xA5], writer);
        decoder.Decode([0xE6], writer);
        decoder.Flush(writer);
        Assert.Equal("日\uFFFD", writer.ToString());
    }

    [Fact]
    public void TooSmallDestination_Throws()
    {
        var decoder = new Utf8StreamDecoder();
        Assert.Throws<ArgumentException>(() => decoder.Decode("abc"u8, new char[3]));
    }

    [Fact]
    public void RandomChunking_GivesTheSameTextAsDecodingAllAtOnce()
    {
        var random = new Random(11);
        byte[] text = Encoding.UTF8.GetBytes("Grüße, 世界! 🙂🎉 naïve café — done.");
        for (int trial = 0; trial < 50; trial++)
        {
            var decoder = new Utf8StreamDecoder();
            var builder = new StringBuilder();
            int position = 0;
            while (position < text.Length)
            {
                int length = Math.Min(random.Next(1, 5), text.Length - position);
                builder.Append(decoder.Decode(text.AsSpan(position, length)));
                position += length;
            }
            builder.Append(decoder.Flush());
            Assert.Equal("Grüße, 世界! 🙂🎉 naïve café — done.", builder.ToString());
        }
    }

    [Fact]
    public void WriterForm_DoesNotAllocatePerToken()
    {
        var decoder = new Utf8StreamDecoder();
        var writer = new StringWriter(new StringBuilder(100_000));
        byte[] token = " word\u00E9"u8.ToArray();
        for (int i = 0; i < 10; i++)
        {
            decoder.Decode(token, writer);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            decoder.Decode(token, writer);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
