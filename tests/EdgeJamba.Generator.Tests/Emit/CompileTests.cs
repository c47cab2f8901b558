using EdgeJamba.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace EdgeJamba.Generator.Tests.Emit;

/// <summary>
/// Generated code must compile cleanly in a consumer like EdgeCli: against the .NET 10 reference assemblies and
/// EdgeJamba.Runtime, nullable on, every warning wave on, with no error and no warning. A spec the generator
/// accepts must never produce code that does not compile.
/// </summary>
public class CompileTests
{
    [Fact]
    public void ModelSpecs_output_compiles_without_warnings() => AssertRejectedOrCompiles(GeneratorHarness.ModelSpecs(), mayReject: false);

    [Fact]
    public void Every_layer_kind_and_flag_compiles_without_warnings() => AssertRejectedOrCompiles(TestSpecs.All(), mayReject: false);

    [Theory]
    [InlineData("System")]
    [InlineData("Runtime")]
    [InlineData("Layout")]
    [InlineData("Generated")]
    [InlineData("Spec")]
    [InlineData("Scratch")]
    [InlineData("Layer00Mamba")]
    public void Model_named_like_a_generated_or_runtime_name_compiles(string name) =>
        AssertRejectedOrCompiles([GeneratorHarness.Spec("m.model.json", TestSpecs.Mamba.Replace("TestMamba", name, StringComparison.Ordinal))], mayReject: false);

    [Theory]
    [InlineData("class")]
    [InlineData("EdgeJamba")]
    [InlineData("Kernels")]
    [InlineData("Matrix")]
    [InlineData("Checkpoint")]
    public void Model_name_clashing_with_generated_code_is_rejected_or_compiles(string name) =>
        AssertRejectedOrCompiles([GeneratorHarness.Spec("m.model.json", TestSpecs.Mamba.Replace("TestMamba", name, StringComparison.Ordinal))], mayReject: true);

    [Fact]
    public void Two_names_for_one_layout_compile() => AssertRejectedOrCompiles(
        [GeneratorHarness.Spec("a.model.json", TestSpecs.Mamba), GeneratorHarness.Spec("b.model.json", TestSpecs.Mamba.Replace("TestMamba", "OtherMamba", StringComparison.Ordinal))],
        mayReject: false);

    // Two layers of 2^21 x 512 K and V floats: 2^32 floats (16 GiB) in the arena, so layer 1's offsets exceed int.MaxValue.
    [Fact]
    public void State_beyond_32_bit_offsets_is_rejected_or_compiles() => AssertRejectedOrCompiles([GeneratorHarness.Spec("big.model.json", """
        {
          "name": "Big",
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 512,
          "max_context": 2097152,
          "norm_eps": 1e-5,
          "layers": [
            { "repeat": 2, "mixer": { "kind": "attention", "heads": 8, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """)], mayReject: true);

    /// <summary>
    /// Runs the generator in a consumer compilation; when <paramref name="mayReject"/> and the generator reports an EJ error,
    /// that is an acceptable outcome; otherwise the generated code must compile with no warning.
    /// </summary>
    private static void AssertRejectedOrCompiles(IEnumerable<AdditionalText> specs, bool mayReject)
    {
        var driver = GeneratorHarness.CreateDriver(specs)
            .RunGeneratorsAndUpdateCompilation(GeneratorHarness.ConsumerCompilation(), out var compilation, out var generatorDiagnostics);
        var run = GeneratorHarness.Single(driver);
        if (mayReject && generatorDiagnostics.Any(d => d.Id.StartsWith("EJ", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error))
        {
            return;
        }
        Assert.Empty(generatorDiagnostics);
        Assert.Contains(run.GeneratedSources, s => s.HintName.EndsWith(".Model.g.cs", StringComparison.Ordinal));

        using var assembly = new MemoryStream();
        var emitted = compilation.Emit(assembly);
        var problems = emitted.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(50)));
        Assert.True(emitted.Success);
    }
}
