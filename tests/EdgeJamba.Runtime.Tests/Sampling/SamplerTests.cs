using EdgeJamba.Runtime.Sampling;

namespace EdgeJamba.Runtime.Tests.Sampling;

public class SamplerTests
{
    private const int Vocab = 8;

    /// <summary>
    /// A hand-made distribution: probabilities 0.35, 0.25, 0.20, 0.10, 0.06, 0.04 at ids 5, 2, 7, 0, 3, 6
    /// (so sorting matters), ids 1 and 4 practically impossible.
    /// </summary>
    private static readonly (int Id, double P)[] s_distribution = [(5, 0.35), (2, 0.25), (7, 0.20), (0, 0.10), (3, 0.06), (6, 0.04)];

    private static readonly SamplerOptions s_plain = new()
    {
        Temperature = 1f, TopK = 0, TopP = 1f, MinP = 0f, RepeatPenalty = 1f, Seed = 42,
    };

    private static float[] HandMadeLogits()
    {
        var logits = new float[Vocab];
        Array.Fill(logits, -1000f);
        foreach ((int id, double p) in s_distribution)
        {
            logits[id] = (float)Math.Log(p);
        }
        return logits;
    }

    private static float[] RandomLogits(Random random, int count)
    {
        var logits = new float[count];
        for (int i = 0; i < count; i++)
        {
            logits[i] = (float)((random.NextDouble() * 10) - 5);
        }
        return logits;
    }

    private static int NaiveArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }
        return best;
    }

    private static int[] Kept(SamplerOptions options)
    {
        var sampler = new Sampler(Vocab, options);
        sampler.Filter(HandMadeLogits(), []);
        int[] kept = sampler.Candidates.ToArray();
        Array.Sort(kept);
        return kept;
    }

    [Theory]
    [InlineData(0.7f, 0f, new[] { 2, 5, 7 })]          // cumulative 0.35, 0.60, 0.80 >= 0.7
    [InlineData(0.55f, 0f, new[] { 2, 5 })]            // 0.60 >= 0.55
    [InlineData(0.1f, 0f, new[] { 5 })]                // the top token alone
    [InlineData(0.95f, 0f, new[] { 0, 2, 3, 5, 7 })]   // 0.96 >= 0.95
    [InlineData(1f, 0.2f, new[] { 0, 2, 5, 7 })]       // p >= 0.2 * 0.35 = 0.07
    [InlineData(1f, 0.5f, new[] { 2, 5, 7 })]          // p >= 0.175
    [InlineData(1f, 0.6f, new[] { 2, 5 })]             // p >= 0.21
    [InlineData(0.95f, 0.2f, new[] { 0, 2, 5, 7 })]    // min-p is the stricter one
    [InlineData(0.7f, 0.2f, new[] { 2, 5, 7 })]        // top-p is the stricter one
    public void TopPAndMinP_KeepExactlyTheHandComputedSets(float topP, float minP, int[] expected)
        => Assert.Equal(expected, Kept(s_plain with { TopP = topP, MinP = minP }));

    [Fact]
    public void TopK_KeepsTheLargest_AndTopPThenSeesTheRenormalizedMass()
    {
        Assert.Equal([2, 5], Kept(s_plain with { TopK = 2 }));
        // After top-3 the first probability is 0.35 / 0.80 = 0.4375 >= 0.43, so top-p keeps one token;
        // over the full distribution (0.35 < 0.43) it would keep two.
        Assert.Equal([5], Kept(s_plain with { TopK = 3, TopP = 0.43f }));
        Assert.Equal([2, 5], Kept(s_plain with { TopP = 0.43f }));
    }

    [Fact]
    public void MinP_IsAppliedAfterTemperature()
    {
        // T = 1: ratios to the top 1, 0.714, 0.571, 0.286, ... ; T = 0.5 squares them: 1, 0.51, 0.327, 0.082, ...
        Assert.Equal([0, 2, 5, 7], Kept(s_plain with { MinP = 0.25f }));
        Assert.Equal([2, 5, 7], Kept(s_plain with { MinP = 0.25f, Temperature = 0.5f }));
    }

    [Fact]
    public void TopK_TiesGoToTheLowerIds()
    {
        var sampler = new Sampler(6, s_plain with { TopK = 3 });
        sampler.Filter(new float[] { 1f, 2f, 2f, 0f, 2f, 2f }, []);
        int[] kept = sampler.Candidates.ToArray();
        Array.Sort(kept);
        Assert.Equal([1, 2, 4], kept);
    }

    [Theory]
    [InlineData(1f, 0, 0.85f, 0f)]
    [InlineData(0.5f, 0, 1f, 0f)]
    [InlineData(1.3f, 4, 1f, 0.1f)]
    public void DrawFrequencies_MatchTheRenormalizedProbabilities(float temperature, int topK, float topP, float minP)
    {
        // Oracle: the same pipeline computed naively in double precision over the hand-made probabilities.
        var weights = s_distribution.Select(d => (d.Id, W: Math.Pow(d.P, 1.0 / temperature))).OrderByDescending(d => d.W).ToList();
        if (topK > 0)
        {
            weights = weights.Take(topK).ToList();
        }
        double z = weights.Sum(d => d.W);
        double cumulative = 0;
        var kept = new List<(int Id, double W)>();
        foreach ((int id, double w) in weights)
        {
            if (w / weights[0].W < minP)
            {
                break;
            }
            kept.Add((id, w));
            cumulative += w / z;
            if (topP < 1f && cumulative >= topP)
            {
                break;
            }
        }
        double keptMass = kept.Sum(d => d.W);

        const int draws = 100_000;
        var sampler = new Sampler(Vocab, s_plain with { Temperature = temperature, TopK = topK, TopP = topP, MinP = minP, Seed = 7 });
        var counts = new int[Vocab];
        float[] logits = HandMadeLogits();
        var scratch = new float[Vocab];
        for (int i = 0; i < draws; i++)
        {
            logits.CopyTo(scratch, 0);
            counts[sampler.Sample(scratch, [])]++;
        }

        for (int id = 0; id < Vocab; id++)
        {
            double p = kept.Where(d => d.Id == id).Sum(d => d.W) / keptMass;
            double sigma = Math.Sqrt(draws * p * (1 - p));
            Assert.True(Math.Abs(counts[id] - (draws * p)) <= (5 * sigma) + 1e-9,
                $"id {id}: {counts[id]} draws, expected {draws * p:F0} +- {5 * sigma:F0}");
        }
    }

    [Fact]
    public void Greedy_ReturnsTheArgMax_AndTemperatureZeroIsGreedy()
    {
        var random = new Random(1);
        var greedy = new Sampler(50, s_plain with { Greedy = true, Temperature = 1f });
        var cold = new Sampler(50, s_plain with { Temperature = 0f });
        for (int i = 0; i < 100; i++)
        {
            float[] logits = RandomLogits(random, 50);
            int expected = NaiveArgMax(logits);
            Assert.Equal(expected, greedy.Sample((float[])logits.Clone(), []));
            Assert.Equal(expected, cold.Sample((float[])logits.Clone(), []));
        }
    }

    [Fact]
    public void Greedy_DoesNotAdvanceTheGenerator()
    {
        var sampler = new Sampler(10, s_plain with { Greedy = true });
        RngState before = sampler.GetState();
        sampler.Sample(new float[10], []);
        Assert.Equal(before, sampler.GetState());
    }

    [Fact]
    public void TopK1_EqualsGreedy()
    {
        var random = new Random(2);
        var sampler = new Sampler(300, new SamplerOptions { TopK = 1, Temperature = 1.5f, RepeatPenalty = 1f, Seed = 9 });
        for (int i = 0; i < 200; i++)
        {
            float[] logits = RandomLogits(random, 300);
            Assert.Equal(NaiveArgMax(logits), sampler.Sample((float[])logits.Clone(), []));
        }
    }

    private static int[] Generate(Sampler sampler, float[][] rows)
    {
        var tokens = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            tokens[i] = sampler.Sample((float[])rows[i].Clone(), tokens.AsSpan(0, i));
        }
        return tokens;
    }

    private static float[][] Rows(int count, int vocab, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => RandomLogits(random, vocab)).ToArray();
    }

    [Fact]
    public void SameSeed_GivesTheSameSequence_AndAnotherSeedDiffers()
    {
        float[][] rows = Rows(200, 64, 3);
        var options = new SamplerOptions { Temperature = 1.2f, TopK = 0, TopP = 1f, MinP = 0f, Seed = 123 };
        int[] first = Generate(new Sampler(64, options), rows);
        int[] second = Generate(new Sampler(64, options), rows);
        int[] other = Generate(new Sampler(64, options with { Seed = 124 }), rows);
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void SavedState_ResumesIdentically()
    {
        float[][] rows = Rows(60, 64, 4);
        var sampler = new Sampler(64, new SamplerOptions { Seed = 5 });
        Generate(sampler, rows[..20]);
        RngState saved = sampler.GetState();
        int[] continued = Generate(sampler, rows[20..]);

        var restored = new Sampler(64, new SamplerOptions { Seed = 999 });
        restored.SetState(saved);
        Assert.Equal(continued, Generate(restored, rows[20..]));
    }

    [Fact]
    public void RepetitionPenalty_DividesPositiveAndMultipliesNegative_OncePerDistinctTokenInTheWindow()
    {
        var sampler = new Sampler(6, s_plain with { Greedy = true, RepeatPenalty = 2f, RepeatLastN = 4 });
        float[] logits = [2f, -1f, 0.5f, 3f, -2f, 0f];
        // Token 3 is outside the last 4 entries; token 1 appears twice but is penalized once.
        int chosen = sampler.Sample(logits, [3, 0, 1, 1, 4]);
        Assert.Equal([1f, -2f, 0.5f, 3f, -4f, 0f], logits);
        Assert.Equal(3, chosen);

        float[] second = [2f, -1f, 0.5f, 3f, -2f, 0f];
        Assert.Equal(0, new Sampler(6, s_plain with { Greedy = true, RepeatPenalty = 4f, RepeatLastN = 64 }).Sample(second, [3]));
        Assert.Equal(0.75f, second[3]);
    }

    [Fact]
    public void Sample_DoesNotAllocate()
    {
        float[][] rows = Rows(4, 1000, 6);
        var sampler = new Sampler(1000, new SamplerOptions { TopK = 0, TopP = 0.9f, MinP = 0.01f, Seed = 1 });
        var sampler2 = new Sampler(1000, new SamplerOptions { Seed = 2 });
        int[] history = Enumerable.Range(0, 100).ToArray();
        var scratch = new float[1000];
        for (int i = 0; i < 10; i++)
        {
            rows[i % 4].CopyTo(scratch, 0);
            sampler.Sample(scratch, history);
            rows[i % 4].CopyTo(scratch, 0);
            sampler2.Sample(scratch, history);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            rows[i % 4].CopyTo(scratch, 0);
            sampler.Sample(scratch, history);
            rows[i % 4].CopyTo(scratch, 0);
            sampler2.Sample(scratch, history);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    public static TheoryData<SamplerOptions, string> InvalidOptions => new()
    {
        { new SamplerOptions { Temperature = -0.1f }, "Temperature" },
        { new SamplerOptions { Temperature = float.NaN }, "Temperature" },
        { new SamplerOptions { TopK = -1 }, "TopK" },
        { new SamplerOptions { TopP = 1.5f }, "TopP" },
        { new SamplerOptions { TopP = -0.1f }, "TopP" },
        { new SamplerOptions { MinP = 2f }, "MinP" },
        { new SamplerOptions { RepeatPenalty = 0f }, "RepeatPenalty" },
        { new SamplerOptions { RepeatLastN = -1 }, "RepeatLastN" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void OutOfRangeOption_ThrowsNamingTheOption(SamplerOptions options, string name)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(10, options));
        Assert.Equal(name, ex.ParamName);
    }

    [Fact]
    public void WrongLogitCountOrHistoryId_Throws()
    {
        var sampler = new Sampler(10, new SamplerOptions());
        Assert.Throws<ArgumentException>(() => sampler.Sample(new float[9], []));
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Sample(new float[10], [10]));

        // A rejected history leaves no trace: token 0 is still penalized on the next call.
        var greedy = new Sampler(2, s_plain with { Greedy = true, RepeatPenalty = 2f });
        Assert.Throws<ArgumentOutOfRangeException>(() => greedy.Sample(new float[2], [0, 99]));
        Assert.Equal(1, greedy.Sample(new[] { 2f, 1.5f }, [0]));
    }
}
