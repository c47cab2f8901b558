using System.Text;
using EdgeJamba.Runtime.Generation;

namespace EdgeJamba.Runtime.Tests.Generation;

public sealed class InputLinesTests
{
    private static List<InputLine> Lines(string text, long max = 1 << 20) =>
        [.. PromptReader.ReadLines(new MemoryStream(Encoding.UTF8.GetBytes(text)), max)];

    [Fact]
    public void Lines_AreSplitOnNewline_CrlfTrimmed_LastLineWithoutNewlineKept()
    {
        var lines = Lines("first\r\n\nthird\nlast");
        Assert.Equal([1, 2, 3, 4], lines.Select(l => l.Number));
        Assert.Equal(["first", "", "third", "last"], lines.Select(l => Encoding.UTF8.GetString(l.Bytes!)));
    }

    [Fact]
    public void EmptyInput_HasNoLines_AndATrailingNewlineAddsNone()
    {
        Assert.Empty(Lines(""));
        Assert.Single(Lines("one\n"));
    }

    [Fact]
    public void LongLine_IsReportedWithoutItsBytes_AndTheNextLineIsIntact()
    {
        string text = new string('x', 200_000) + "\nshort\n" + new string('y', 11);
        var lines = Lines(text, max: 10);
        Assert.Equal(3, lines.Count);
        Assert.Null(lines[0].Bytes);
        Assert.Equal("short", Encoding.UTF8.GetString(lines[1].Bytes!));
        Assert.Null(lines[2].Bytes); // 11 bytes > 10, even without a newline
    }

    [Fact]
    public void LinesSpanningReadChunks_AreReassembled()
    {
        string a = new('a', 100_000), b = new('b', 70_000);
        var lines = Lines(a + "\n" + b + "\n");
        Assert.Equal(a, Encoding.UTF8.GetString(lines[0].Bytes!));
        Assert.Equal(b, Encoding.UTF8.GetString(lines[1].Bytes!));
    }
}
