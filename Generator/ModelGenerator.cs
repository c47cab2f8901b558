using System.Collections.Immutable;
using EdgeJamba.Layout;
using Microsoft.CodeAnalysis;

namespace EdgeJamba.Generator;

/// <summary>
/// Reads every <c>*.model.json</c> AdditionalFile, validates it, and emits shape-specialized C# for the
/// model it describes (one class per layer, a model class, a registry of all compiled-in models).
/// Pipeline only; the work is in <c>ModelGenerator.Parser.cs</c> and <c>Emit/</c>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class ModelGenerator : IIncrementalGenerator
{
    public const string SpecSuffix = ".model.json";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var specs = context.AdditionalTextsProvider
            .Where(static file => file.Path.EndsWith(SpecSuffix, System.StringComparison.OrdinalIgnoreCase))
            .Select(static (file, ct) => Parse(file.Path, file.GetText(ct)?.ToString()))
            .WithTrackingName(TrackingNames.Spec);

        context.RegisterSourceOutput(specs.Select(static (s, _) => s.Diagnostics), static (spc, diagnostics) =>
        {
            foreach (var d in diagnostics)
            {
                spc.ReportDiagnostic(d.ToDiagnostic());
            }
        });

        var models = specs
            .Where(static s => s.Layout is not null)
            .Select(static (s, _) => new EmitModel(s.FileName, s.TextHash, s.Layout!))
            .WithTrackingName(TrackingNames.Model);

        context.RegisterSourceOutput(models, static (spc, model) =>
        {
            foreach (var file in Emit.ModelEmitter.Emit(model))
            {
                spc.AddSource(file.HintName, file.Source);
            }
        });

        var all = models.Collect().WithTrackingName(TrackingNames.Registry);
        context.RegisterSourceOutput(all, static (spc, list) =>
        {
            var sorted = list.Sort((a, b) => string.CompareOrdinal(a.Layout.Name, b.Layout.Name));
            ImmutableArray<EmitModel> unique = RemoveDuplicateNames(sorted, spc);
            spc.AddSource("EdgeJamba.GeneratedModels.g.cs", Emit.RegistryEmitter.Emit(unique));
        });
    }

    private static ImmutableArray<EmitModel> RemoveDuplicateNames(ImmutableArray<EmitModel> sorted, SourceProductionContext spc)
    {
        var builder = ImmutableArray.CreateBuilder<EmitModel>();
        for (int i = 0; i < sorted.Length; i++)
        {
            if (i > 0 && sorted[i].Layout.Name == sorted[i - 1].Layout.Name)
            {
                spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.DuplicateName, Location.None,
                    "model name '" + sorted[i].Layout.Name + "' is declared by both " + sorted[i - 1].FileName + " and " + sorted[i].FileName));
                continue;
            }
            builder.Add(sorted[i]);
        }
        return builder.ToImmutable();
    }
}

/// <summary>What the emitters need: a validated layout and where it came from.</summary>
internal sealed record EmitModel(string FileName, string TextHash, ModelLayout Layout);

/// <summary>Names of the tracked pipeline steps (asserted by the incremental tests).</summary>
internal static class TrackingNames
{
    public const string Spec = "Spec";
    public const string Model = "Model";
    public const string Registry = "Registry";
}
