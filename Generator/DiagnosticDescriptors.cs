using EdgeJamba.Spec;
using Microsoft.CodeAnalysis;

namespace EdgeJamba.Generator;

/// <summary>One descriptor per spec problem id (see <see cref="SpecProblemIds"/>).</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "EdgeJamba.Spec";

    public static readonly DiagnosticDescriptor Syntax = Error(SpecProblemIds.Syntax, "Malformed model spec JSON");
    public static readonly DiagnosticDescriptor Missing = Error(SpecProblemIds.Missing, "Required spec field missing");
    public static readonly DiagnosticDescriptor WrongType = Error(SpecProblemIds.WrongType, "Spec field has the wrong type");
    public static readonly DiagnosticDescriptor UnknownField = Error(SpecProblemIds.UnknownField, "Unknown spec field");
    public static readonly DiagnosticDescriptor UnknownValue = Error(SpecProblemIds.UnknownValue, "Unknown kind or value");
    public static readonly DiagnosticDescriptor OutOfRange = Error(SpecProblemIds.OutOfRange, "Spec value out of range");
    public static readonly DiagnosticDescriptor HeadsNotDivisible = Error(SpecProblemIds.HeadsNotDivisible, "Heads not a multiple of KV heads");
    public static readonly DiagnosticDescriptor Unsupported = Error(SpecProblemIds.Unsupported, "Not supported by this version");
    public static readonly DiagnosticDescriptor TooLarge = Error(SpecProblemIds.TooLarge, "Sizes too large");
    public static readonly DiagnosticDescriptor BadName = Error(SpecProblemIds.BadName, "Model name is not an identifier");
    public static readonly DiagnosticDescriptor Inconsistent = Error(SpecProblemIds.Inconsistent, "Inconsistent spec");
    public static readonly DiagnosticDescriptor Duplicate = Error(SpecProblemIds.Duplicate, "Duplicate spec field");
    public static readonly DiagnosticDescriptor DuplicateName = Error("EJ0013", "Two specs declare the same model name");

    public static DiagnosticDescriptor For(string id)
    {
        switch (id)
        {
            case SpecProblemIds.Syntax: return Syntax;
            case SpecProblemIds.Missing: return Missing;
            case SpecProblemIds.WrongType: return WrongType;
            case SpecProblemIds.UnknownField: return UnknownField;
            case SpecProblemIds.UnknownValue: return UnknownValue;
            case SpecProblemIds.OutOfRange: return OutOfRange;
            case SpecProblemIds.HeadsNotDivisible: return HeadsNotDivisible;
            case SpecProblemIds.Unsupported: return Unsupported;
            case SpecProblemIds.TooLarge: return TooLarge;
            case SpecProblemIds.BadName: return BadName;
            case SpecProblemIds.Inconsistent: return Inconsistent;
            case SpecProblemIds.Duplicate: return Duplicate;
            case "EJ0013": return DuplicateName;
            default: throw new System.ArgumentException("no descriptor for " + id, nameof(id));
        }
    }

    private static DiagnosticDescriptor Error(string id, string title) =>
        new DiagnosticDescriptor(id, title, "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
