using EdgeJamba.Layout;
using EdgeJamba.Parity.Tests.ReferenceSets;
using EdgeJamba.Runtime;
using Xunit.Abstractions;
using static EdgeJamba.Parity.Tests.Infrastructure.LogitAssert;

namespace EdgeJamba.Parity.Tests.RandomLayouts;

/// <summary>
/// Property: for random layouts of every family (odd head dims, GQA groups, every RoPE type, biases, d_state and
/// dt_rank of any size, both mLSTM blocks and the sLSTM in either parameter layout, per-layer mixes of every mixer
/// and feed-forward kind, both norms, soft-capped logits, q8_0 and ternary projections, BitNet), the code the generator emits from the
/// layout's spec computes what the generic engine computes from the layout itself. The two share kernels, so they
/// must agree to float32 noise; this catches spec round-trip losses, wrong constants, offsets and scratch sizes.
/// </summary>
public sealed class RandomLayoutParityTests(RandomModelsFixture fixture, ITestOutputHelper output) : IClassFixture<RandomModelsFixture>
{
    private const double Tolerance = 1e-5;

    public static TheoryData<int> Indices => new(Enumerable.Range(0, RandomModelsFixture.Count));

    [Theory]
    [MemberData(nameof(Indices))]
    public void Specialized_code_matches_the_generic_engine(int index)
    {
        var c = fixture.Cases[index];
        string what = $"{c.Layout.Name} [{LayoutHash.Describe(c.Layout)}]";
        Assert.Equal(c.Layout, fixture.Generated.DeclaredLayout(c.Layout) with { Name = c.Layout.Name });

        using var checkpoint = Checkpoint.Open(c.Directory);
        using var generic = new GenericModel(c.Layout, checkpoint);
        using var specialized = fixture.Generated.Create(c.Layout, checkpoint);
        Assert.Equal("specialized", specialized.EngineName);
        double max = 0;
        for (int t = 0; t < c.Tokens.Length; t++)
        {
            var expected = generic.Forward(c.Tokens[t], t).ToArray();
            max = Math.Max(max, Close(what, t, specialized.Forward(c.Tokens[t], t), expected, Tolerance, argmaxMustMatch: true));
        }
        Equal(what + " final state", specialized.State, generic.State, Tolerance);
        output.WriteLine(Invariant($"{what}: max abs diff {max:E3} over {c.Tokens.Length} tokens"));
    }

    /// <summary>Both engines give the same bits on 1 and 3 threads (each product split as finely as the pool allows).</summary>
    [Theory]
    [MemberData(nameof(Indices))]
    public void Logits_do_not_depend_on_the_thread_count(int index)
    {
        var c = fixture.Cases[index];
        string what = $"{c.Layout.Name} [{LayoutHash.Describe(c.Layout)}]";
        using var checkpoint = Checkpoint.Open(c.Directory);
        using var generic = new GenericModel(c.Layout, checkpoint);
        using var specialized = fixture.Generated.Create(c.Layout, checkpoint);
        foreach (var model in new LanguageModel[] { generic, specialized })
        {
            var (decode, prefill, state) = ThreadCountTests.Run(model, c.Tokens);
            model.SetThreads(3, minMultiplyAddsPerThread: 1);
            model.Reset();
            var (decode3, prefill3, state3) = ThreadCountTests.Run(model, c.Tokens);
            for (int t = 0; t < decode.Length; t++)
            {
                Identical($"{what} ({model.EngineName}, 3 threads): decode logits at position {t}", decode3[t], decode[t]);
            }
            Identical($"{what} ({model.EngineName}, 3 threads): prefill logits", prefill3, prefill);
            Identical($"{what} ({model.EngineName}, 3 threads): state", state3, state);
        }
    }

    /// <summary>The random layouts really reach the cases they are meant to cover (a property test that drew only easy cases would prove little).</summary>
    [Fact]
    public void Random_layouts_cover_every_family_and_feature()
    {
        var layouts = fixture.Cases.Select(c => c.Layout).ToList();
        var layers = layouts.SelectMany(l => l.Layers).ToList();
        var attention = layers.Select(l => l.Mixer).OfType<AttentionLayout>().ToList();
        var mamba = layers.Select(l => l.Mixer).OfType<MambaLayout>().ToList();
        var moe = layers.Select(l => l.Ffn).OfType<MoeLayout>().ToList();
        var dense = layers.Select(l => l.Ffn).OfType<DenseFfnLayout>().ToList();
        var mlstmLarge = layers.Select(l => l.Mixer).OfType<MLstmLargeLayout>().ToList();
        var mlstmNxai = layers.Select(l => l.Mixer).OfType<MLstmNxaiLayout>().ToList();
        var slstm = layers.Select(l => l.Mixer).OfType<SLstmLayout>().ToList();

        var features = new List<(string Feature, bool Covered)>
        {
            ("tied embeddings", layouts.Any(l => l.TieEmbeddings)),
            ("untied embeddings", layouts.Any(l => !l.TieEmbeddings)),
            ("RoPE with an odd half head_dim (6, 10, ...)", attention.Any(a => a.Rope is not null && a.HeadDim % 4 == 2 && a.HeadDim > 2)),
            ("attention without RoPE and an odd head_dim", attention.Any(a => a.Rope is null && a.HeadDim % 2 == 1)),
            ("grouped-query attention", attention.Any(a => a.KvHeads > 1 && a.Heads > a.KvHeads)),
            ("attention biases", attention.Any(a => a.Bias)),
            ("heads x head_dim != hidden_size", layouts.Any(l => l.Layers.Any(x => x.Mixer is AttentionLayout a && a.QueryDim != l.HiddenSize))),
            ("d_state 1", mamba.Any(m => m.DState == 1)),
            ("d_state 17", mamba.Any(m => m.DState == 17)),
            ("odd dt_rank > 1", mamba.Any(m => m.DtRank % 2 == 1 && m.DtRank > 1)),
            ("d_conv 2", mamba.Any(m => m.DConv == 2)),
            ("d_conv 5", mamba.Any(m => m.DConv == 5)),
            ("Mamba in_proj/out_proj biases", mamba.Any(m => m.ProjBias)),
            ("Mamba without conv bias", mamba.Any(m => !m.ConvBias)),
            ("dt/B/C norms", mamba.Any(m => m.DtBcNorms)),
            ("renormalized MoE", moe.Any(e => e.Renormalize)),
            ("MoE with raw router weights", moe.Any(e => !e.Renormalize)),
            ("MoE top-1", moe.Any(e => e.TopK == 1)),
            ("dense biases", dense.Any(f => f.Bias)),
            ("Jamba mixing dense and MoE", layouts.Any(l => l.Family == CheckpointFamily.Jamba && l.Layers.Select(x => x.Ffn.GetType()).Distinct().Count() == 2)),
            ("mLSTM large with qk_dim != v_dim", mlstmLarge.Any(l => l.QkDim != l.VDim)),
            ("mLSTM large with a gate soft cap other than 15", mlstmLarge.Any(l => l.GateSoftCap != 15)),
            ("NX-AI mLSTM with qkv blocks of 1", mlstmNxai.Any(x => x.QkvBlockSize == 1)),
            ("NX-AI mLSTM with several qkv blocks larger than 1", mlstmNxai.Any(x => x.QkvBlockSize > 1 && x.QkvBlockSize < x.InnerSize)),
            ("NX-AI mLSTM with several heads", mlstmNxai.Any(x => x.Heads > 1)),
            ("sLSTM in the cuda layout with several heads", slstm.Any(x => x.Backend == SLstmBackend.Cuda && x.Heads > 1)),
            ("sLSTM in the vanilla layout with several heads", slstm.Any(x => x.Backend == SLstmBackend.Vanilla && x.Heads > 1)),
            ("sLSTM without conv", slstm.Any(x => x.ConvKernel == 0)),
            ("fused gate_up FFN", dense.Any(f => f.FusedGateUp)),
            ("1 + w LayerNorms", layouts.Any(l => l.Norm == NormKind.LayerNorm1p)),
            ("logit soft cap", layouts.Any(l => l.LogitSoftCap > 0)),
            ("q8_0 projections with attention, Mamba and MoE layers", Quantized(ProjectionFormat.Q8_0)),
            ("ternary projections with attention, Mamba and MoE layers", Quantized(ProjectionFormat.Ternary)),
            ("q8_0 head, tied", layouts.Any(l => l.LmHead == ProjectionFormat.Q8_0 && l.TieEmbeddings)),
            ("q8_0 head, untied, with float projections", layouts.Any(l => l.LmHead == ProjectionFormat.Q8_0 && !l.TieEmbeddings && l.Projections == ProjectionFormat.Dense)),
            ("q8_0 head with ternary projections", layouts.Any(l => l.LmHead == ProjectionFormat.Q8_0 && l.Projections == ProjectionFormat.Ternary)),
            ("hybrid with attention, Mamba, both mLSTMs and sLSTM", layouts.Any(l => l.Layers.Any(x => x.Mixer is AttentionLayout) && l.Layers.Any(x => x.Mixer is MambaLayout) &&
                l.Layers.Any(x => x.Mixer is MLstmLargeLayout) && l.Layers.Any(x => x.Mixer is MLstmNxaiLayout) && l.Layers.Any(x => x.Mixer is SLstmLayout))),
        };
        foreach (var family in new[] { CheckpointFamily.Llama, CheckpointFamily.Mamba, CheckpointFamily.Mixtral, CheckpointFamily.Jamba, CheckpointFamily.Xlstm,
            CheckpointFamily.XlstmNxai, CheckpointFamily.Hybrid, CheckpointFamily.Bitnet })
        {
            features.Add(($"5 {family} layouts", layouts.Count(l => l.Family == family) >= 5));
        }
        foreach (RopeType type in Enum.GetValues<RopeType>())
        {
            features.Add(($"RoPE {type}", attention.Any(a => a.Rope?.Type == type)));
        }
        foreach (Activation activation in Enum.GetValues<Activation>())
        {
            features.Add(($"{activation} gate", layers.Any(l => l.Ffn is DenseFfnLayout f ? f.Activation == activation : l.Ffn is MoeLayout e && e.Activation == activation)));
        }
        string[] missing = [.. features.Where(f => !f.Covered).Select(f => f.Feature)];

        bool Quantized(ProjectionFormat format)
        {
            var quantized = layouts.Where(l => l.Projections == format).SelectMany(l => l.Layers).ToList();
            return quantized.Any(l => l.Mixer is AttentionLayout) && quantized.Any(l => l.Mixer is MambaLayout) && quantized.Any(l => l.Ffn is MoeLayout);
        }
        Assert.True(missing.Length == 0, "the random layouts never draw: " + string.Join("; ", missing));

        int mlstm = mlstmLarge.Count + mlstmNxai.Count;
        output.WriteLine(Invariant(
            $"{layouts.Count} layouts, {layers.Count} layers: {attention.Count} attention, {mamba.Count} Mamba, {mlstm} mLSTM, {slstm.Count} sLSTM, {dense.Count} dense, {moe.Count} MoE"));
        output.WriteLine(Invariant($"weights drawn and written in {fixture.WeightsTime.TotalSeconds:F2} s"));
        output.WriteLine(Invariant($"{fixture.Generated.SourceFiles} files generated and compiled in {fixture.BuildTime.TotalSeconds:F2} s"));
    }
}
