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
            return new ParsedSpec(fileName, "", null, new EquatableArray<DiagnosticInfo>(new[] { info }), info);
        }
        var result = SpecReader.Read(text);
        var diagnostics = new DiagnosticInfo[result.Problems.Count];
        for (int i = 0; i < diagnostics.Length; i++)
        {
            diagnostics[i] = Locate(result.Problems[i], path, text);
        }
        string hash = LayoutHash.Fnv1a64(text.Replace("\r\n", "\n")).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
        // Where the "name" value sits, for EJ0013 (duplicate model names) reported later in the pipeline.
        int nameStart = 0, nameLength = 0;
        try
        {
            var root = JsonReader.Parse(text);
            foreach (var member in root.Members)
            {
                if (member.Name == "name")
                {
                    nameStart = member.Value.Start;
                    nameLength = member.Value.Length;
                }
            }
        }
        catch (JsonSyntaxException)
        {
            // Reported by SpecReader already.
        }
        var nameLocation = Locate(new SpecProblem("EJ0013", "", nameStart, nameLength), path, text);
        return new ParsedSpec(fileName, hash, result.Layout, new EquatableArray<DiagnosticInfo>(diagnostics), nameLocation);
    }
}

public sealed partial class ModelGenerator
{
    private static DiagnosticInfo Locate(SpecProblem p, string path, string text)
    {
        int start = System.Math.Min(p.Start, text.Length);
        int length = System.Math.Min(p.Length, text.Length - start);
        var (line, column) = p.Position(text);
        var (endLine, endColumn) = new SpecProblem(p.Id, p.Message, start + length, 0).Position(text);
        return new DiagnosticInfo(p.Id, p.Message, path, start, length, line - 1, column - 1, endLine - 1, endColumn - 1);
    }
}

/// <summary>The parse step's output: equatable, free of Roslyn symbols and locations.</summary>
internal sealed record ParsedSpec(string FileName, string TextHash, ModelLayout? Layout, EquatableArray<DiagnosticInfo> Diagnostics, DiagnosticInfo NameLocation);

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
