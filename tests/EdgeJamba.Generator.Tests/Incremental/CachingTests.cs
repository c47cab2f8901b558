using EdgeJamba.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace EdgeJamba.Generator.Tests.Incremental;

/// <summary>
/// The pipeline's tracked steps ("Spec", "Model", "Registry") must be reused when their inputs did not change, and only
/// the edited spec's steps may rerun when one spec changes.
/// </summary>
public class CachingTests
{
    private static readonly string[] s_steps = ["Spec", "Model", "Registry"];

    [Fact]
    public void Same_inputs_twice_reuse_every_step_and_output()
    {
        var compilation = GeneratorHarness.BareCompilation();
        var driver = GeneratorHarness.CreateDriver(TestSpecs.All()).RunGenerators(compilation).RunGenerators(compilation);

        AssertAllReused(GeneratorHarness.Single(driver));
    }

    [Fact]
    public void Unrelated_csharp_edit_reuses_every_step_and_output()
    {
        var tree = CSharpSyntaxTree.ParseText("namespace App; public static class Program { public static int Answer => 41; }", GeneratorHarness.ParseOptions);
        var compilation = GeneratorHarness.BareCompilation(tree);
        var driver = GeneratorHarness.CreateDriver(TestSpecs.All()).RunGenerators(compilation);

        var edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(tree.GetText().Replace(tree.ToString().IndexOf("41", StringComparison.Ordinal), 2, "42")))
            .AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Other { }", GeneratorHarness.ParseOptions));
        AssertAllReused(GeneratorHarness.Single(driver.RunGenerators(edited)));
    }

    [Theory]
    [InlineData("\"d_state\": 16", "\"d_state\": 8")]
    [InlineData("\"d_inner\": 32", "\"d_inner\": 48")]
    [InlineData("\"d_conv\": 4", "\"d_conv\": 3")]
    [InlineData("\"dt_rank\": 1", "\"dt_rank\": 2")]
    [InlineData("\"hidden_size\": 16", "\"hidden_size\": 24")]
    [InlineData("\"vocab_size\": 40", "\"vocab_size\": 41")]
    [InlineData("\"max_context\": 32", "\"max_context\": 64")]
    [InlineData("\"conv_bias\": false", "\"conv_bias\": true")]
    public void Changing_one_shape_reruns_only_that_specs_model(string before, string after)
    {
        var compilation = GeneratorHarness.BareCompilation();
        var specs = TestSpecs.All();
        var mamba = specs.Single(s => s.Path.EndsWith("mamba.model.json", StringComparison.Ordinal));
        Assert.Contains(before, TestSpecs.Mamba, StringComparison.Ordinal);
        var driver = GeneratorHarness.CreateDriver(specs).RunGenerators(compilation);

        driver = driver.ReplaceAdditionalText(mamba, GeneratorHarness.Spec("mamba.model.json", TestSpecs.Mamba.Replace(before, after, StringComparison.Ordinal)));
        var result = GeneratorHarness.Single(driver.RunGenerators(compilation));

        foreach (var (value, reason) in Outputs(result, "Spec"))
        {
            var spec = Assert.IsType<ParsedSpec>(value);
            Assert.Empty(spec.Diagnostics);
            Assert.Equal(spec.FileName == "mamba.model.json" ? IncrementalStepRunReason.Modified : IncrementalStepRunReason.Cached, reason);
        }
        var models = Outputs(result, "Model").Select(o => (Assert.IsType<EmitModel>(o.Value).Layout.Name, o.Reason)).ToList();
        Assert.Equal(TestSpecs.All().Count, models.Count);
        Assert.All(models, m => Assert.Equal(m.Name == "TestMamba" ? IncrementalStepRunReason.Modified : IncrementalStepRunReason.Cached, m.Reason));
        Assert.Equal(IncrementalStepRunReason.Modified, Assert.Single(Outputs(result, "Registry")).Reason);
    }

    private static void AssertAllReused(GeneratorRunResult result)
    {
        foreach (string step in s_steps)
        {
            var outputs = Outputs(result, step);
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.True(o.Reason == IncrementalStepRunReason.Cached, step + " was " + o.Reason));
        }
        var sourceOutputs = result.TrackedOutputSteps.SelectMany(kv => kv.Value).SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(sourceOutputs);
        Assert.All(sourceOutputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, "a source output was " + o.Reason));
    }

    private static List<(object Value, IncrementalStepRunReason Reason)> Outputs(GeneratorRunResult result, string step) =>
        [.. Assert.Contains(step, result.TrackedSteps).SelectMany(s => s.Outputs)];
}
