using System.Buffers;
using EdgeJamba.Runtime.Tokenization;

namespace EdgeJamba.Runtime.Generation;

/// <summary>The result of a teacher-forced evaluation: how many tokens (and bytes) were predicted, and their summed loss.</summary>
/// <param name="PredictedTokens">Tokens whose probability was scored (every token but the first).</param>
/// <param name="PredictedBytes">Bytes those tokens decode to.</param>
/// <param name="TotalNats">Sum over them of −ln p(token | the tokens before it in its chunk).</param>
public readonly record struct PerplexityResult(long PredictedTokens, long PredictedBytes, double TotalNats)
{
    public double NatsPerToken => TotalNats / PredictedTokens;

    public double BitsPerByte => TotalNats / Math.Log(2) / PredictedBytes;

    public double Perplexity => Math.Exp(NatsPerToken);
}

/// <summary>
/// Teacher-forced evaluation of a token sequence, chunked to a context length exactly as the trainer
/// (tools/EdgeJamba.Train) evaluates its held-out text: chunk k starts from an empty state, feeds tokens
/// <c>[k·ctx, (k+1)·ctx)</c> at positions 0.. and scores the token after each, so every token but the first is
/// predicted exactly once. Log-softmax is taken in float64.
/// </summary>
public static class Perplexity
{
    /// <param name="model">The model; its state is reset before each chunk.</param>
    /// <param name="tokens">At least two tokens, all inside the model's vocabulary.</param>
    /// <param name="context">Chunk length in fed tokens; at most the model's context.</param>
    /// <param name="tokenBytes">Byte length of a token (for bits per byte).</param>
    /// <param name="progress">Called after each chunk with the number of tokens scored so far.</param>
    public static PerplexityResult Evaluate(LanguageModel model, IReadOnlyList<int> tokens, int context, Func<int, int> tokenBytes, Action<long>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(tokenBytes);
        if (tokens.Count < 2)
        {
            throw new EdgeJambaException($"perplexity needs at least 2 tokens, got {tokens.Count}");
        }
        if (context < 1 || context > model.Layout.MaxContext)
        {
            throw new EdgeJambaException($"--ctx: the chunk length {context} must be between 1 and the model's context {model.Layout.MaxContext}");
        }
        int vocab = model.Layout.VocabSize;
        for (int i = 0; i < tokens.Count; i++)
        {
            if ((uint)tokens[i] >= (uint)vocab)
            {
                throw new EdgeJambaException($"token {tokens[i]} at position {i} is outside the model's vocabulary (0..{vocab - 1})");
            }
        }
        long predicted = tokens.Count - 1;
        long bytes = 0;
        double nats = 0;
        for (long start = 0; start < predicted; start += context)
        {
            model.Reset();
            int length = (int)Math.Min(context, predicted - start);
            for (int position = 0; position < length; position++)
            {
                int target = tokens[(int)(start + position + 1)];
                nats -= LogSoftmax(model.Forward(tokens[(int)(start + position)], position), target);
                bytes += tokenBytes(target);
            }
            progress?.Invoke(start + length);
        }
        return new PerplexityResult(predicted, bytes, nats);
    }

    /// <summary>Byte length of each token of <paramref name="tokenizer"/>, for <see cref="Evaluate"/>.</summary>
    public static Func<int, int> TokenByteCounts(ITextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var counts = new int[tokenizer.VocabSize];
        var buffer = new ArrayBufferWriter<byte>();
        for (int id = 0; id < counts.Length; id++)
        {
            buffer.ResetWrittenCount();
            tokenizer.DecodeToken(id, buffer);
            counts[id] = buffer.WrittenCount;
        }
        return id => counts[id];
    }

    /// <summary><c>ln softmax(logits)[target]</c> in float64.</summary>
    private static double LogSoftmax(ReadOnlySpan<float> logits, int target)
    {
        double max = double.NegativeInfinity;
        foreach (float value in logits)
        {
            max = Math.Max(max, value);
        }
        double sum = 0;
        foreach (float value in logits)
        {
            sum += Math.Exp(value - max);
        }
        return logits[target] - max - Math.Log(sum);
    }
}
