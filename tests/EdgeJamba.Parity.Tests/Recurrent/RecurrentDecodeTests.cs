using EdgeJamba.Generated;
using EdgeJamba.Layout;
using EdgeJamba.Parity.Tests.ReferenceSets;
using EdgeJamba.Runtime;
using EdgeJamba.Runtime.Import;
using EdgeJamba.Runtime.Tests.Weights;
using Xunit.Abstractions;
using static EdgeJamba.Parity.Tests.Infrastructure.LogitAssert;

namespace EdgeJamba.Parity.Tests.Recurrent;

/// <summary>
/// xLSTM models decode in constant work per token: their state is a fixed set of recurrent memories (no KV cache), and
/// a decode step reads nothing but that state, the token and the weights. Checked deterministically: the state size does
/// not depend on the planned context, a step at position 500 computes bit for bit what the same step at position 3
/// computes from the same state, and a step allocates nothing. Plus the hand-written hybrid spec (every mixer and
/// feed-forward kind) on random weights, specialized against generic.
/// </summary>
public sealed class RecurrentDecodeTests(ITestOutputHelper output)
{
    public static TheoryData<string, EngineChoice> XlstmSets => new()
    {
        { "xlstm-hf-a", EngineChoice.Generic },
        { "xlstm-hf-a", EngineChoice.Specialized },
        { "xlstm-nxai-a", EngineChoice.Generic },
        { "xlstm-nxai-a", EngineChoice.Specialized },
    };

    [SkippableTheory]
    [InlineData("xlstm-hf-a")]
    [InlineData("xlstm-hf-b")]
    [InlineData("xlstm-nxai-a")]
    public void State_size_does_not_depend_on_the_context(string name)
    {
        var set = ReferenceSet.LoadSupported(name);
        var small = HfConfigImporter.Import(set.ModelDirectory, maxContext: 64);
        var large = HfConfigImporter.Import(set.ModelDirectory, maxContext: 1 << 20);
        Assert.Equal(0, MemoryPlan.KvBytesPerToken(small));
        Assert.Equal(MemoryPlan.StateElements(small), MemoryPlan.StateElements(large));
        Assert.Equal(MemoryPlan.RecurrentBytes(small), MemoryPlan.StateElements(small) * sizeof(float));
        output.WriteLine(Invariant($"{name}: {MemoryPlan.StateElements(small)} state floats at any context"));
    }

    [SkippableTheory]
    [MemberData(nameof(XlstmSets))]
    public void Decode_step_is_the_same_work_at_any_position(string name, EngineChoice engine)
    {
        var set = ReferenceSet.LoadSupported(name);
        using var loaded = Engines.Load(set, engine);
        var model = loaded.Model;
        int[] tokens = set.Tokens;
        model.Prefill(tokens.AsSpan(0, 3), 0);
        float[] before = model.State.ToArray();

        float[] early = model.Forward(tokens[3], 3).ToArray();
        float[] earlyState = model.State.ToArray();
        before.CopyTo(model.State);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var late = model.Forward(tokens[3], 500);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.Equal(early, late.ToArray());
        Assert.Equal(earlyState, model.State.ToArray());
        Assert.Equal(0, allocated);
        Assert.NotEqual(before, earlyState); // the step did update the state
    }

    [Fact]
    public void Hybrid_spec_of_every_layer_kind_runs_alike_on_both_engines()
    {
        var layout = Assert.Single(GeneratedModels.All, l => l.Name == "HybridAllKinds");
        Assert.Equal(5, layout.Layers.Select(l => l.Mixer.GetType()).Distinct().Count());
        Assert.Equal(3, layout.Layers.Select(l => l.Ffn.GetType()).Distinct().Count());
        using var folder = new TempDirectory();
        RandomCheckpoint.Write(layout, folder.Path, seed: 7);
        using var checkpoint = Checkpoint.Open(folder.Path);
        using var generic = new GenericModel(layout, checkpoint);
        using var specialized = GeneratedModels.TryCreate(layout, checkpoint);
        Assert.NotNull(specialized);
        var random = new Random(7);
        int[] tokens = [.. Enumerable.Range(0, GenericModel.Chunk + 8).Select(_ => random.Next(layout.VocabSize))];
        double max = 0;
        float[] last = [];
        for (int t = 0; t < tokens.Length; t++)
        {
            last = generic.Forward(tokens[t], t).ToArray();
            max = Math.Max(max, Close("HybridAllKinds (specialized vs generic)", t, specialized.Forward(tokens[t], t), last, 1e-5, argmaxMustMatch: true));
        }
        Equal("HybridAllKinds final state", specialized.State, generic.State, 1e-5);
        Assert.All(last, v => Assert.True(Math.Abs(v) < layout.LogitSoftCap, "logits are soft-capped"));

        // Prefill sums its matrix products in another order: float32 reassociation, scaled by the values (as the reference
        // parity tests allow).
        specialized.Reset();
        Equal("HybridAllKinds prefill (two chunks) vs steps", specialized.Prefill(tokens, 0), last, 1e-5 * Math.Max(1, last.Max(Math.Abs)));
        Equal("HybridAllKinds prefill state", specialized.State, generic.State, 1e-5 * Math.Max(1, generic.State.ToArray().Max(Math.Abs)));
        output.WriteLine(Invariant($"HybridAllKinds: specialized vs generic max abs diff {max:E3} over {tokens.Length} tokens"));
    }
}
