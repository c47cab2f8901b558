using System.Buffers;
using EdgeJamba.Runtime.Tokenization;

namespace EdgeJamba.Runtime.Tests.Tokenization;

public class ByteTextTokenizerTests
{
    [Fact]
    public void Encode_GivesUtf8Bytes_AndSpecialsFollowByte255()
    {
        var tokenizer = new ByteTextTokenizer(["<bos>", "<eos>"], new TokenizerSettings { BosToken = "<bos>", EosToken = "<eos>", AddBos = true });
        Assert.Equal(258, tokenizer.VocabSize);
        Assert.Equal(256, tokenizer.BosId);
        Assert.Equal(257, tokenizer.EosId);
        Assert.True(tokenizer.AddBos);
        Assert.Equal([0x61, 0xC3, 0xA9, 0x0A], tokenizer.Encode("aé\n"));
        Assert.Equal([0x3C, 0x62, 0x6F, 0x73, 0x3E], tokenizer.Encode("<bos>")); // names are not parsed
    }

    [Fact]
    public void Decode_SkipsSpecials_AndReplacesInvalidUtf8()
    {
        var tokenizer = new ByteTextTokenizer(["<bos>"]);
        Assert.Equal("aé", tokenizer.Decode([256, 0x61, 0xC3, 0xA9]));
        Assert.Equal("a\uFFFDb", tokenizer.Decode([0x61, 0xFF, 0x62]));

        var buffer = new ArrayBufferWriter<byte>();
        tokenizer.DecodeToken(0xC3, buffer);
        tokenizer.DecodeToken(256, buffer);
        Assert.Equal(new byte[] { 0xC3 }, buffer.WrittenSpan.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.DecodeToken(257, buffer));
    }

    [Fact]
    public void WithoutSettings_ThereIsNoBosOrEos()
    {
        var tokenizer = new ByteTextTokenizer();
        Assert.Equal(256, tokenizer.VocabSize);
        Assert.Null(tokenizer.BosId);
        Assert.Null(tokenizer.EosId);
        Assert.Empty(tokenizer.EosIds);
        Assert.False(tokenizer.AddBos);
    }
}
