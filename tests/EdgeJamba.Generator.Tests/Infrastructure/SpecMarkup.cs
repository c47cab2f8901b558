using System.Globalization;

namespace EdgeJamba.Generator.Tests.Infrastructure;

/// <summary>
/// Spec text with the expected diagnostics marked in place, Roslyn-test style: <c>{|EJ0007:4|}</c> says that EJ0007
/// must cover exactly the characters <c>4</c>. Expected positions come from the marks, not from the code under test.
/// </summary>
internal static class SpecMarkup
{
    private const string Open = "{|", Close = "|}";

    /// <summary>The spec without marks, and each mark as <c>EJxxxx (line,col)-(line,col)</c> (1-based, like compiler output).</summary>
    public static (string Json, List<string> Expected) Parse(string markup)
    {
        var json = new System.Text.StringBuilder();
        var expected = new List<string>();
        int pos = 0;
        while (true)
        {
            int open = markup.IndexOf(Open, pos, StringComparison.Ordinal);
            if (open < 0)
            {
                json.Append(markup, pos, markup.Length - pos);
                return (json.ToString(), expected);
            }
            int colon = markup.IndexOf(':', open);
            int close = markup.IndexOf(Close, colon, StringComparison.Ordinal);
            json.Append(markup, pos, open - pos);
            int start = json.Length;
            json.Append(markup, colon + 1, close - colon - 1);
            string text = json.ToString();
            expected.Add(Format(markup[(open + Open.Length)..colon], Position(text, start), Position(text, json.Length)));
            pos = close + Close.Length;
        }
    }

    public static string Format(string id, (int Line, int Column) start, (int Line, int Column) end) =>
        string.Create(CultureInfo.InvariantCulture, $"{id} ({start.Line},{start.Column})-({end.Line},{end.Column})");

    private static (int Line, int Column) Position(string text, int offset)
    {
        int lineStart = text.LastIndexOf('\n', Math.Max(0, offset - 1), offset) + 1;
        int line = 1 + text.AsSpan(0, lineStart).Count('\n');
        return (line, offset - lineStart + 1);
    }
}
