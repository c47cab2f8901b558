using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
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
            .Select(static (s, _) => new EmitModel(s.FileName, s.TextHash, s.Layout!, s.NameLocation))
            .WithTrackingName(TrackingNames.Model);

        // Two specs may not share a model name: the one whose file sorts first wins, the other gets EJ0013.
        var names = models.Select(static (m, _) => new NamedFile(m.Layout.Name, m.FileName)).Collect()
            .Select(static (list, _) => new EquatableArray<NamedFile>(list.ToArray()));

        context.RegisterSourceOutput(models.Combine(names), static (spc, pair) =>
        {
            var (model, all) = pair;
            string? winner = Winner(all, model.Layout.Name);
            if (winner != model.FileName)
            {
                spc.ReportDiagnostic((model.NameLocation with
                {
                    Message = "model name '" + model.Layout.Name + "' of " + model.FileName + " is already declared by " + winner + "; this spec is not compiled",
                }).ToDiagnostic());
                return;
            }
            foreach (var file in Emit.ModelEmitter.Emit(model))
            {
                spc.AddSource(file.HintName, file.Source);
            }
        });

        var all = models.Collect().WithTrackingName(TrackingNames.Registry);
        context.RegisterSourceOutput(all, static (spc, list) =>
        {
            var winners = list.Where(m => Winner(list.Select(x => new NamedFile(x.Layout.Name, x.FileName)), m.Layout.Name) == m.FileName)
                .OrderBy(m => m.Layout.Name, System.StringComparer.Ordinal)
                .ToImmutableArray();
            spc.AddSource("EdgeJamba.GeneratedModels.g.cs", Emit.RegistryEmitter.Emit(winners));
        });
    }

    /// <summary>The file (ordinally first) that owns <paramref name="name"/>.</summary>
    private static string? Winner(IEnumerable<NamedFile> all, string name) =>
        all.Where(n => n.Name == name).Select(n => n.FileName).OrderBy(f => f, System.StringComparer.Ordinal).FirstOrDefault();
}

/// <summary>A model name and the spec file declaring it.</summary>
internal sealed record NamedFile(string Name, string FileName);
/// <summary>What the emitters need: a validated layout and where it came from.</summary>
internal sealed record EmitModel(string FileName, string TextHash, ModelLayout Layout, DiagnosticInfo NameLocation);

/// <summary>Names of the tracked pipeline steps (asserted by the incremental tests).</summary>
internal static class TrackingNames
{
    public const string Spec = "Spec";
    public const string Model = "Model";
    public const string Registry = "Registry";
}
