using System;
using System.Globalization;
using System.Text;

namespace EdgeJamba.Generator;

/// <summary>
/// Builds generated source with indentation (the STJ generator's SourceWriter). <see cref="Block"/>
/// writes a brace block that closes when disposed. Always LF line endings, so output is byte-stable.
/// </summary>
internal sealed class SourceWriter
{
    private static readonly char[] s_exponentOrPoint = { '.', 'E', 'e' };
    private readonly StringBuilder _sb = new StringBuilder();
    private int _indent;

    public void Line(string text = "")
    {
        if (text.Length > 0)
        {
            _sb.Append(' ', _indent * 4);
            _sb.Append(text);
        }
        _sb.Append('\n');
    }

    /// <summary>Writes several lines (split on '\n') at the current indentation.</summary>
    public void Lines(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            Line(line.TrimEnd('\r'));
        }
    }

    public IDisposable Block(string header)
    {
        Line(header);
        Line("{");
        _indent++;
        return new Closer(this);
    }

    public void Indent() => _indent++;

    public void Unindent() => _indent--;

    public override string ToString() => _sb.ToString();

    /// <summary>A float literal that round-trips (<c>1E-05f</c>), invariant culture.</summary>
    public static string Float(double value)
    {
        float f = (float)value;
        string s = f.ToString("R", CultureInfo.InvariantCulture);
        return s + "f";
    }

    /// <summary>A double literal that round-trips, invariant culture.</summary>
    public static string Double(double value)
    {
        string s = value.ToString("R", CultureInfo.InvariantCulture);
        return s.IndexOfAny(s_exponentOrPoint) >= 0 ? s : s + ".0";
    }

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Bool(bool value) => value ? "true" : "false";

    public static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private sealed class Closer : IDisposable
    {
        private readonly SourceWriter _writer;

        public Closer(SourceWriter writer) => _writer = writer;

        public void Dispose()
        {
            _writer._indent--;
            _writer.Line("}");
        }
    }
}
