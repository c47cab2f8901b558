using EdgeJamba.Layout;
using EdgeJamba.Runtime;
using EdgeJamba.Runtime.Generation;

namespace EdgeJamba.Parity.Tests.ReferenceSets;

/// <summary>
/// <see cref="Perplexity"/> against a loss computed in the test from a reference set's peer logits (float64
/// log-softmax here). The text is the set's sequence twice and the chunk length is the set's length, so both chunks
/// start from an empty state and every scored position is a row of the peer's logits: chunk 1 feeds the whole
/// sequence (its last position predicts the first token again), chunk 2 feeds all but the last token.
/// </summary>
public sealed class PerplexityTests
{
    [SkippableTheory]
    [InlineData("jamba-tiny-a", EngineChoice.Generic)]
    [InlineData("jamba-tiny-a", EngineChoice.Specialized)]
    [InlineData("llama-gqa", EngineChoice.Generic)]
    public void Chunked_loss_matches_the_reference_logits(string name, EngineChoice engine)
    {
        var set = ReferenceSet.LoadSupported(name);
        int n = set.Tokens.Length;
        int[] text = [.. set.Tokens, .. set.Tokens];
        double expected = 0;
        for (int t = 0; t < n; t++)
        {
            expected -= LogSoftmax(set.Expected(t), set.Tokens[(t + 1) % n]);
        }
        for (int t = 0; t < n - 1; t++)
        {
            expected -= LogSoftmax(set.Expected(t), set.Tokens[t + 1]);
        }
        using var loaded = Engines.Load(set, engine);
        var result = Perplexity.Evaluate(loaded.Model, text, n, _ => 2);

        Assert.Equal(2 * n - 1, result.PredictedTokens);
        Assert.Equal(2 * (2 * n - 1), result.PredictedBytes);
        // Each logit is within the set's tolerance of the peer's, so each log-softmax is within twice that.
        Assert.InRange(result.TotalNats, expected - (2 * set.Tolerance * result.PredictedTokens), expected + (2 * set.Tolerance * result.PredictedTokens));
        Assert.Equal(result.TotalNats / result.PredictedTokens, result.NatsPerToken, 12);
        Assert.Equal(result.TotalNats / Math.Log(2) / result.PredictedBytes, result.BitsPerByte, 12);
    }

    [SkippableFact]
    public void A_chunk_longer_than_the_context_or_a_token_outside_the_vocabulary_is_refused()
    {
        var set = ReferenceSet.LoadSupported("jamba-tiny-a");
        using var loaded = Engines.Load(set, EngineChoice.Generic);
        Assert.Throws<EdgeJambaException>(() => Perplexity.Evaluate(loaded.Model, set.Tokens, loaded.Layout.MaxContext + 1, _ => 1));
        Assert.Throws<EdgeJambaException>(() => Perplexity.Evaluate(loaded.Model, [1, set.VocabSize], 8, _ => 1));
        Assert.Throws<EdgeJambaException>(() => Perplexity.Evaluate(loaded.Model, [1], 8, _ => 1));
    }

    private static double LogSoftmax(ReadOnlySpan<float> logits, int target)
    {
        double max = double.NegativeInfinity;
        for (int i = 0; i < logits.Length; i++)
        {
            max = Math.Max(max, logits[i]);
        }
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            sum += Math.Exp(logits[i] - max);
        }
        return logits[target] - max - Math.Log(sum);
    }
}
