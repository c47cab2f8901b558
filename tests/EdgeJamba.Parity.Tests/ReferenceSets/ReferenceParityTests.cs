using EdgeJamba.Generated;
using EdgeJamba.Layout;
using EdgeJamba.Parity.Tests.Infrastructure;
using EdgeJamba.Runtime;
using EdgeJamba.Runtime.Import;
using Xunit.Abstractions;
using static EdgeJamba.Parity.Tests.Infrastructure.LogitAssert;

namespace EdgeJamba.Parity.Tests.ReferenceSets;

/// <summary>
/// Both engines against the peer's logits of every shared reference set this version supports (sets are found by
/// listing the reference folder, so sets added later run too), against each other, and prompt-at-once against
/// token-by-token.
/// </summary>
public sealed class ReferenceParityTests(ITestOutputHelper output)
{
    /// <summary>Two engines running the same kernels in the same order: anything above this is a real divergence.</summary>
    private const double EngineTolerance = 1e-5;

    /// <summary>
    /// Prefill must reproduce token-by-token feeding. It multiplies matrices by blocks of tokens, which sums in
    /// another order than the one-token product, so float32 reassociation is allowed: observed up to 1.7e-6 on
    /// the llama, Mamba and Jamba sets (|values| up to ~10), and up to 1.2e-5 on xlstm-hf-b, whose per-head
    /// LayerNorms amplify it (logits up to 9.1). Scaled like the reference tolerances, by max(1, max |value|) of the
    /// logits and of the state: 1e-5 of that is still a tenth of every set's own tolerance.
    /// </summary>
    private const double PrefillTolerance = 1e-5;

    public static TheoryData<string> Sets => new(ReferenceSet.Names());

    /// <summary>Every set on the generic and on the specialized engine.</summary>
    public static TheoryData<string, EngineChoice> SetsAndEngines
    {
        get
        {
            var data = new TheoryData<string, EngineChoice>();
            foreach (string name in ReferenceSet.Names())
            {
                data.Add(name, EngineChoice.Generic);
                data.Add(name, EngineChoice.Specialized);
            }
            return data;
        }
    }

    /// <summary>The reference sets this project's ModelSpecs/ describe; each must be served by compiled-in code.</summary>
    public static TheoryData<string> PublicSets =>
        new(["llama-gqa", "llama-tied", "stories260K", "mamba-tied", "mamba-untied", "jamba-tiny-a", "jamba-tiny-b", "xlstm-hf-a", "xlstm-hf-b", "xlstm-nxai-a", "bitnet-tied", "bitnet-untied"]);

    [SkippableTheory]
    [MemberData(nameof(SetsAndEngines))]
    public void Logits_match_the_reference_at_every_position(string name, EngineChoice engine)
    {
        var set = ReferenceSet.LoadSupported(name);
        using var loaded = Engines.Load(set, engine);
        AssertMatchesReference(set, loaded.Model);
    }

    /// <summary>
    /// The path a set with no ModelSpecs/ entry takes (the hidden sets): a context the compiled-in specs do not plan for
    /// gives a layout hash with no compiled-in class, so its code is generated and compiled in-process.
    /// </summary>
    [SkippableFact]
    public void Specialized_code_generated_in_process_matches_the_reference()
    {
        var set = ReferenceSet.LoadSupported("jamba-tiny-b");
        using var loaded = Engines.Load(set, EngineChoice.Specialized, maxContext: 40);
        Assert.False(Engines.IsCompiledIn(loaded.Model));
        AssertMatchesReference(set, loaded.Model);
    }

    private void AssertMatchesReference(ReferenceSet set, LanguageModel model)
    {
        string what = $"{set.Name} ({model.EngineName}{(model is GenericModel || Engines.IsCompiledIn(model) ? "" : ", generated in-process")})";
        double max = 0;
        for (int t = 0; t < set.Tokens.Length; t++)
        {
            var logits = model.Forward(set.Tokens[t], t);
            max = Math.Max(max, Close(what, t, logits, set.Expected(t), set.Tolerance, set.ArgmaxMustMatch));
        }
        output.WriteLine(Invariant($"{what}: {set.Tokens.Length} positions x {set.VocabSize} logits, max abs diff {max:E3} (tolerance {set.Tolerance:E3})"));
    }

    [SkippableTheory]
    [MemberData(nameof(Sets))]
    public void Generic_and_specialized_engines_agree(string name)
    {
        var set = ReferenceSet.LoadSupported(name);
        using var generic = Engines.Load(set, EngineChoice.Generic);
        using var specialized = Engines.Load(set, EngineChoice.Specialized);
        double max = 0;
        for (int t = 0; t < set.Tokens.Length; t++)
        {
            var expected = generic.Model.Forward(set.Tokens[t], t).ToArray();
            var got = specialized.Model.Forward(set.Tokens[t], t);
            max = Math.Max(max, Close(name + " (specialized vs generic)", t, got, expected, EngineTolerance, argmaxMustMatch: true));
        }
        LogitAssert.Equal(name + " final state (specialized vs generic)", specialized.Model.State, generic.Model.State, EngineTolerance);
        output.WriteLine(Invariant($"{name}: specialized vs generic max abs diff {max:E3}"));
    }

    [SkippableTheory]
    [MemberData(nameof(SetsAndEngines))]
    public void Prefill_matches_token_by_token(string name, EngineChoice engine)
    {
        var set = ReferenceSet.LoadSupported(name);
        using var loaded = Engines.Load(set, engine);
        var model = loaded.Model;
        int[] tokens = set.Tokens;
        string what = $"{name} ({model.EngineName})";

        float[] stepLogits = [];
        for (int t = 0; t < tokens.Length; t++)
        {
            stepLogits = model.Forward(tokens[t], t).ToArray();
        }
        float[] stepState = model.State.ToArray();

        model.Reset();
        Assert.True(model.State.IndexOfAnyExcept(0f) < 0, what + ": Reset left state behind");
        double logitTolerance = PrefillTolerance * Math.Max(1, stepLogits.Max(Math.Abs));
        double stateTolerance = PrefillTolerance * Math.Max(1, stepState.Max(Math.Abs));
        var whole = model.Prefill(tokens, 0);
        LogitAssert.Equal(what + ": Prefill(all) last logits", whole, stepLogits, logitTolerance);
        LogitAssert.Equal(what + ": Prefill(all) state", model.State, stepState, stateTolerance);

        foreach (int split in new[] { 1, tokens.Length / 2, tokens.Length - 1 })
        {
            model.Reset();
            model.Prefill(tokens.AsSpan(0, split), 0);
            var last = model.Prefill(tokens.AsSpan(split), split);
            LogitAssert.Equal(what + $": Prefill split at {split}, last logits", last, stepLogits, logitTolerance);
            LogitAssert.Equal(what + $": Prefill split at {split}, state", model.State, stepState, stateTolerance);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(PublicSets))]
    public void Public_set_is_served_by_compiled_in_code(string name)
    {
        var set = ReferenceSet.LoadSupported(name);
        var layout = HfConfigImporter.Import(set.ModelDirectory);
        using var checkpoint = Checkpoint.Open(set.ModelDirectory);
        using var model = GeneratedModels.TryCreate(layout, checkpoint);
        Assert.True(model is not null,
            $"{name}: no ModelSpecs/ entry matches the imported layout (hash {LayoutHash.Compute(layout)}): {LayoutHash.Describe(layout)}");
        Assert.True(Engines.IsCompiledIn(model));
        Assert.Equal("specialized", model.EngineName);
        Assert.Contains(GeneratedModels.All, l => LayoutHash.Compute(l) == LayoutHash.Compute(layout));
    }
}
