using System.IO;
using EdgeJamba.Layout;
using EdgeJamba.Spec;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace EdgeJamba.Generator;

public sealed partial class ModelGenerator
{
    /// <summary>Reads one spec file into a layout (or null) plus its diagnostics, as equatable data.</summary>
    internal static ParsedSpec Parse(string path, string? text)
    {
        string fileName = Path.GetFileName(path);
        if (text is null)
        {
            var info = new DiagnosticInfo(SpecProblemIds.Syntax, "the spec file could not be read", path, 0, 0, 0, 0, 0, 0);
            return new ParsedSpec(fileName, "", null, new EquatableArray<DiagnosticInfo>(new[] { info }));
        }
        var result = SpecReader.Read(text);
        var diagnostics = new DiagnosticInfo[result.Problems.Count];
        for (int i = 0; i < diagnostics.Length; i++)
        {
            var p = result.Problems[i];
            int start = System.Math.Min(p.Start, text.Length);
            int length = System.Math.Min(p.Length, text.Length - start);
            var (line, column) = p.Position(text);
            var (endLine, endColumn) = new SpecProblem(p.Id, p.Message, start + length, 0).Position(text);
            diagnostics[i] = new DiagnosticInfo(p.Id, p.Message, path, start, length, line - 1, column - 1, endLine - 1, endColumn - 1);
        }
        string hash = LayoutHash.Fnv1a64(text.Replace("\r\n", "\n")).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
        return new ParsedSpec(fileName, hash, result.Layout, new EquatableArray<DiagnosticInfo>(diagnostics));
    }
}

/// <summary>The parse step's output: equatable, free of Roslyn symbols and locations.</summary>
internal sealed record ParsedSpec(string FileName, string TextHash, ModelLayout? Layout, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>A diagnostic as plain data (Roslyn's Diagnostic and Location have no value equality).</summary>
internal sealed record DiagnosticInfo(string Id, string Message, string Path, int Start, int Length, int Line, int Column, int EndLine, int EndColumn)
{
    public Diagnostic ToDiagnostic()
    {
        var location = Location.Create(Path, new TextSpan(Start, Length),
            new LinePositionSpan(new LinePosition(Line, Column), new LinePosition(EndLine, EndColumn)));
        return Diagnostic.Create(DiagnosticDescriptors.For(Id), location, Message);
    }
}
