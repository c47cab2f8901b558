using System.Globalization;
using EdgeJamba.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace EdgeJamba.Generator.Tests.Emit;

/// <summary>Generated text depends on the specs only: not on the current culture, the run, or the order of the files.</summary>
public class DeterminismTests
{
    [Theory]
    [InlineData("de-DE")] // decimal comma
    [InlineData("tr-TR")] // dotless i in ToLower/ToUpper
    public void Output_under_a_local_culture_equals_invariant_culture(string culture)
    {
        var specs = AllSpecs();
        string invariant = GenerateUnder(CultureInfo.InvariantCulture, specs);
        string local = GenerateUnder(CultureInfo.GetCultureInfo(culture), specs);

        // The output must contain fractional literals, or a culture leak could not show.
        Assert.Matches(@"\d\.\d", invariant);
        Assert.Equal(invariant, local);
    }

    [Fact]
    public void Two_fresh_runs_generate_identical_files()
    {
        var specs = AllSpecs();
        Assert.Equal(GeneratorHarness.Files(GeneratorHarness.Run(specs)), GeneratorHarness.Files(GeneratorHarness.Run(specs)));
    }

    [Fact]
    public void Order_of_the_spec_files_does_not_change_any_file()
    {
        var specs = AllSpecs();
        var forward = GeneratorHarness.Files(GeneratorHarness.Run(specs)).OrderBy(f => f.HintName, StringComparer.Ordinal);
        var backward = GeneratorHarness.Files(GeneratorHarness.Run(Enumerable.Reverse(specs))).OrderBy(f => f.HintName, StringComparer.Ordinal);
        Assert.Equal(forward, backward);
    }

    private static List<AdditionalText> AllSpecs() => [.. GeneratorHarness.ModelSpecs(), .. TestSpecs.All()];

    private static string GenerateUnder(CultureInfo culture, IEnumerable<AdditionalText> specs)
    {
        var (previous, previousUi) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = culture;
            var result = GeneratorHarness.Run(specs);
            return string.Join("\n", result.GeneratedSources.Select(s => "// == " + s.HintName + "\n" + s.SourceText));
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
            CultureInfo.CurrentUICulture = previousUi;
        }
    }
}
