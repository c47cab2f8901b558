using System.Globalization;
using EdgeJamba.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace EdgeJamba.Generator.Tests.Validation;

/// <summary>
/// Every EJ diagnostic the generator can report, each from a small spec with the expected diagnostics marked in place
/// (<c>{|EJ0007:4|}</c>: id and exact span; see <see cref="SpecMarkup"/>). Unmarked problems fail the test too.
/// </summary>
public class DiagnosticTests
{
    private const string SpecPath = "Specs/test.model.json";
    private const string RegistryHintName = "EdgeJamba.GeneratedModels.g.cs";

    [Fact]
    public void Valid_spec_reports_nothing_and_generates_code()
    {
        var result = GeneratorHarness.Run([GeneratorHarness.Spec("test.model.json", """
            {
              "name": "Tiny",
              "family": "llama",
              "vocab_size": 32,
              "hidden_size": 16,
              "max_context": 8,
              "norm_eps": 1e-5,
              "layers": [
                { "mixer": { "kind": "attention", "heads": 4, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
              ]
            }
            """)]);
        Assert.Empty(result.Diagnostics);
        Assert.Contains(result.GeneratedSources, s => s.HintName == "Tiny.Model.g.cs");
    }

    [Theory]
    [InlineData("""
        {
          "name": "Tiny",
          "vocab_size": 32 {|EJ0001:"|}hidden_size": 16
        }
        """)]
    [InlineData("""
        {
          "name": "Tiny",
          "vocab_size": 32,
        {|EJ0001:}|}
        """)]
    [InlineData("""
        {
          "name": "Tiny",
          "layers": [{|EJ0001:|}
        """)]
    [InlineData("""
        {
          "name": "Tiny",
          "vocab_size": {|EJ0001:0|}32
        }
        """)]
    public void Malformed_json_is_EJ0001_at_the_offending_character(string markup) => AssertDiagnostics(markup);

    [Theory]
    [InlineData("""
        {|EJ0002:{|}
          "name": "Tiny",
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "layers": [
            { "mixer": { "kind": "attention", "heads": 4, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """)]
    [InlineData("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": [
            { "mixer": {|EJ0002:{|} "kind": "attention", "kv_heads": 2, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """)]
    public void Missing_required_field_is_EJ0002_at_its_object(string markup) => AssertDiagnostics(markup);

    [Theory]
    [InlineData("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": {|EJ0003:"32"|},
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "tie_embeddings": {|EJ0003:1|},
          "layers": [
            { "mixer": { "kind": "attention", "heads": {|EJ0003:4.5|}, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """)]
    [InlineData("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": {|EJ0003:{ "mixer": null }|}
        }
        """)]
    public void Wrong_type_is_EJ0003_at_the_value(string markup) => AssertDiagnostics(markup);

    [Fact]
    public void Unknown_field_is_EJ0004_at_its_name() => AssertDiagnostics("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          {|EJ0004:"tie_embedding"|}: true,
          "layers": [
            { "mixer": { "kind": "attention", "heads": 4, {|EJ0004:"kv_head"|}: 2, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """);

    [Theory]
    [InlineData("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": [
            { "mixer": { "kind": {|EJ0005:"transformer"|} }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """)]
    [InlineData("""
        {
          "name": "Tiny",
          "family": {|EJ0005:"gpt2"|},
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": [
            { "mixer": { "kind": "attention", "heads": 4, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32, "activation": {|EJ0005:"tanh"|} } }
          ]
        }
        """)]
    // The classifier is dense or q8_0: a ternary head is not a format this version has.
    [InlineData("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "projections": "ternary",
          "lm_head": {|EJ0005:"ternary"|},
          "layers": [
            { "mixer": { "kind": "attention", "heads": 4, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """)]
    public void Unknown_kind_or_value_is_EJ0005_at_the_value(string markup) => AssertDiagnostics(markup);

    [Fact]
    public void Unknown_mixer_kind_does_not_also_flag_the_mixers_fields() => AssertDiagnostics("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": [
            { "mixer": { "kind": {|EJ0005:"atention"|}, "heads": 4, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """);

    [Theory]
    [InlineData("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": {|EJ0006:-32|},
          "hidden_size": {|EJ0006:0|},
          "max_context": 8,
          "norm_eps": {|EJ0006:0|},
          "layers": [
            { "repeat": {|EJ0006:0|}, "mixer": { "kind": "attention", "heads": 4, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """)]
    [InlineData("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": {|EJ0006:[]|}
        }
        """)]
    public void Zero_or_negative_size_is_EJ0006_at_the_value(string markup) => AssertDiagnostics(markup);

    [Fact]
    public void Heads_not_multiple_of_kv_heads_is_EJ0007_at_kv_heads() => AssertDiagnostics("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 24,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": [
            { "mixer": { "kind": "attention", "heads": 6, "kv_heads": {|EJ0007:4|}, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """);

    [Theory]
    [InlineData("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "weight_dtype": {|EJ0008:"q8_0"|},
          "layers": [
            { "mixer": { "kind": "attention", "heads": 4, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """)]
    // Quantized projections on an mLSTM layer.
    [InlineData("""
        {
          "name": "Tiny",
          "family": "xlstm",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "projections": {|EJ0008:"q8_0"|},
          "layers": [
            { "mixer": { "kind": "mlstm", "variant": "large", "heads": 2, "qk_dim": 8, "v_dim": 8 }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """)]
    // Biases on a fused gate_up projection.
    [InlineData("""
        {
          "name": "Tiny",
          "family": "hybrid",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": [
            { "mixer": { "kind": "slstm", "heads": 4, "conv_kernel": 4 }, "ffn": { "kind": "dense", "intermediate_size": 32, "bias": {|EJ0008:true|}, "fused_gate_up": true } }
          ]
        }
        """)]
    public void Unsupported_dtype_family_or_option_is_EJ0008_at_the_value(string markup) => AssertDiagnostics(markup);

    [Fact]
    public void Valid_xlstm_specs_of_every_family_report_nothing_and_generate_code()
    {
        var result = GeneratorHarness.Run([GeneratorHarness.Spec("a.model.json", TestSpecs.Xlstm), GeneratorHarness.Spec("b.model.json", TestSpecs.XlstmNxai)]);
        Assert.Empty(result.Diagnostics);
        Assert.Contains(result.GeneratedSources, s => s.HintName == "TestXlstm.Layer00.MLstm.g.cs");
        Assert.Contains(result.GeneratedSources, s => s.HintName == "TestXlstmNxai.Layer01.SLstm.g.cs");
    }

    [Theory]
    // Missing mLSTM variant; unknown sLSTM backend; unknown norm; a field of the other mLSTM variant.
    [InlineData("""
        {
          "name": "Tiny",
          "family": "hybrid",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "norm": {|EJ0005:"layernorm"|},
          "layers": [
            { "mixer": {|EJ0002:{|} "kind": "mlstm", "heads": 2 }, "ffn": { "kind": "none" } },
            { "mixer": { "kind": "slstm", "heads": 4, "conv_kernel": 0, "backend": {|EJ0005:"triton"|} }, "ffn": { "kind": "none" } },
            { "mixer": { "kind": "mlstm", "variant": "large", "heads": 2, "qk_dim": 8, "v_dim": 8, {|EJ0004:"inner_size"|}: 16 }, "ffn": { "kind": "none" } }
          ]
        }
        """)]
    public void Xlstm_fields_are_checked_like_the_others(string markup) => AssertDiagnostics(markup);

    [Theory]
    // vocab_size x hidden_size = 32768 x 65536 = 2^31, one more than a 32-bit count allows.
    [InlineData("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": {|EJ0009:32768|},
          "hidden_size": 65536,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": [
            { "mixer": { "kind": "attention", "heads": 4, "head_dim": 8, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """)]
    // One layer's K cache: max_context x kv_heads x head_dim = 2^22 x 8 x 64 = 2^31 elements (the state is only 16 GiB).
    [InlineData("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 512,
          "max_context": {|EJ0009:4194304|},
          "norm_eps": 1e-5,
          "layers": [
            { "mixer": { "kind": "attention", "heads": 8, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """)]
    // Nine layers of 2^21 x 512 K and V floats: 72 GiB of state, over the 64 GiB limit (each cache alone fits).
    [InlineData("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 512,
          "max_context": {|EJ0009:2097152|},
          "norm_eps": 1e-5,
          "layers": [
            { "repeat": 9, "mixer": { "kind": "attention", "heads": 8, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """)]
    public void Sizes_overflowing_32_bit_counts_or_the_state_limit_are_EJ0009(string markup) => AssertDiagnostics(markup);

    [Fact]
    public void Sizes_just_under_the_limits_are_accepted() => AssertDiagnostics("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": 32767,
          "hidden_size": 65536,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": [
            { "mixer": { "kind": "attention", "heads": 4, "head_dim": 8, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """);

    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("1Tiny")]
    [InlineData("")]
    [InlineData("Tiny Llama")]
    public void Name_that_is_not_an_identifier_is_EJ0010_at_the_name(string name) => AssertDiagnostics("""
        {
          "name": {|EJ0010:"NAME"|},
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": [
            { "mixer": { "kind": "attention", "heads": 4, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """.Replace("NAME", name, StringComparison.Ordinal));

    [Theory]
    // A Mamba layer in a llama-family spec: the whole layer entry is marked.
    [InlineData("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": [
            {|EJ0011:{ "mixer": { "kind": "mamba", "d_inner": 32, "d_state": 8, "d_conv": 4, "dt_rank": 1 }, "ffn": { "kind": "none" } }|}
          ]
        }
        """)]
    // top_k larger than experts.
    [InlineData("""
        {
          "name": "Tiny",
          "family": "mixtral",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": [
            { "mixer": { "kind": "attention", "heads": 4, "rope": null }, "ffn": { "kind": "moe", "experts": 2, "top_k": {|EJ0011:3|}, "renormalize": true, "intermediate_size": 32 } }
          ]
        }
        """)]
    // hidden_size 16 is not a multiple of 3 heads (and no head_dim is given): the mixer object is marked.
    [InlineData("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": [
            { "mixer": {|EJ0011:{ "kind": "attention", "heads": 3, "rope": null }|}, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """)]
    // RoPE needs an even head_dim.
    [InlineData("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": [
            { "mixer": { "kind": "attention", "heads": 4, "head_dim": 5, "rope": {|EJ0011:{ "theta": 10000 }|} }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """)]
    // xLSTM head splits: qk_dim, v_dim, inner_size must be multiples of heads, inner_size of qkv_blocksize, hidden_size of sLSTM heads.
    [InlineData("""
        {
          "name": "Tiny",
          "family": "hybrid",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": [
            { "mixer": { "kind": "mlstm", "variant": "large", "heads": 3, "qk_dim": {|EJ0011:8|}, "v_dim": 9 }, "ffn": { "kind": "none" } },
            { "mixer": { "kind": "mlstm", "variant": "nxai", "heads": 4, "inner_size": 24, "conv_kernel": 4, "qkv_blocksize": {|EJ0011:5|} }, "ffn": { "kind": "none" } },
            { "mixer": { "kind": "slstm", "heads": {|EJ0011:3|}, "conv_kernel": 4 }, "ffn": { "kind": "none" } }
          ]
        }
        """)]
    // The NX-AI family normalizes with 1 + w LayerNorms and pairs its mLSTM with no FFN; HF xLSTM has unfused SwiGLU FFNs.
    [InlineData("""
        {
          "name": "Tiny",
          "family": "xlstm-nxai",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "norm": {|EJ0011:"rmsnorm"|},
          "layers": [
            {|EJ0011:{ "mixer": { "kind": "mlstm", "variant": "nxai", "heads": 4, "inner_size": 32, "conv_kernel": 4, "qkv_blocksize": 4 }, "ffn": { "kind": "dense", "intermediate_size": 32, "fused_gate_up": true } }|}
          ]
        }
        """)]
    [InlineData("""
        {
          "name": "Tiny",
          "family": "xlstm",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": [
            {|EJ0011:{ "mixer": { "kind": "mlstm", "variant": "large", "heads": 2, "qk_dim": 8, "v_dim": 16 }, "ffn": { "kind": "dense", "intermediate_size": 32, "fused_gate_up": true } }|},
            {|EJ0011:{ "mixer": { "kind": "slstm", "heads": 2, "conv_kernel": 4 }, "ffn": { "kind": "dense", "intermediate_size": 32 } }|}
          ]
        }
        """)]
    // BitNet multiplies with ternary weights; a ternary scale means nothing for dense projections.
    [InlineData("""
        {
          "name": "Tiny",
          "family": {|EJ0011:"bitnet"|},
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": [
            { "mixer": { "kind": "attention", "heads": 4, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32, "activation": "relu2" } }
          ]
        }
        """)]
    [InlineData("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 16,
          "max_context": 8,
          "norm_eps": 1e-5,
          "projections": "dense",
          "ternary_scale": {|EJ0011:"divide"|},
          "layers": [
            { "mixer": { "kind": "attention", "heads": 4, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """)]
    public void Family_or_fields_contradicting_each_other_is_EJ0011(string markup) => AssertDiagnostics(markup);

    [Fact]
    public void Duplicate_field_is_EJ0012_at_the_second_name() => AssertDiagnostics("""
        {
          "name": "Tiny",
          "family": "llama",
          "vocab_size": 32,
          "hidden_size": 16,
          {|EJ0012:"vocab_size"|}: 64,
          "max_context": 8,
          "norm_eps": 1e-5,
          "layers": [
            { "mixer": { "kind": "attention", "heads": 4, "rope": null, {|EJ0012:"heads"|}: 4 }, "ffn": { "kind": "dense", "intermediate_size": 32 } }
          ]
        }
        """);

    [Fact]
    public void Two_specs_with_the_same_name_are_EJ0013_and_only_the_first_is_generated()
    {
        var result = GeneratorHarness.Run([GeneratorHarness.Spec("a.model.json", TestSpecs.Mamba), GeneratorHarness.Spec("b.model.json", TestSpecs.Mamba)]);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("EJ0013", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains("a.model.json", diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Contains("b.model.json", diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Single(result.GeneratedSources, s => s.HintName == "TestMamba.Model.g.cs");
    }

    [Fact]
    public void Spec_with_several_problems_reports_each_once() => AssertDiagnostics("""
        {|EJ0002:{|}
          "name": {|EJ0010:"tiny.v2"|},
          "family": "jamba",
          "vocab_size": {|EJ0003:"32"|},
          "hidden_size": 24,
          {|EJ0004:"max_ctx"|}: 8,
          "norm_eps": 1e-5,
          {|EJ0012:"norm_eps"|}: 1e-6,
          "layers": [
            { "mixer": { "kind": "attention", "heads": 6, "kv_heads": {|EJ0007:4|}, "rope": null }, "ffn": { "kind": "dense", "intermediate_size": {|EJ0006:0|} } },
            { "mixer": { "kind": "mamba", "d_inner": 48, "d_state": 8, "d_conv": 4, "dt_rank": 2 }, "ffn": { "kind": {|EJ0005:"sparse"|} } }
          ]
        }
        """);

    /// <summary>Runs the generator on the marked spec and compares every diagnostic's id and span with the marks.</summary>
    private static void AssertDiagnostics(string markup)
    {
        var (json, expected) = SpecMarkup.Parse(markup);
        var result = GeneratorHarness.Run([GeneratorHarness.Spec("test.model.json", json)]);
        var actual = result.Diagnostics.Select(d =>
        {
            var span = d.Location.GetLineSpan();
            Assert.Equal(SpecPath, span.Path);
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.False(string.IsNullOrWhiteSpace(d.GetMessage(CultureInfo.InvariantCulture)), d.Id + " has no message");
            return SpecMarkup.Format(d.Id, (span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1),
                (span.EndLinePosition.Line + 1, span.EndLinePosition.Character + 1));
        });
        Assert.Equal(expected.Order(StringComparer.Ordinal), actual.Order(StringComparer.Ordinal));
        if (expected.Count > 0)
        {
            // A spec with errors generates nothing but the (empty) registry.
            Assert.All(result.GeneratedSources, s => Assert.Equal(RegistryHintName, s.HintName));
        }
    }
}
