using System.Buffers;
using System.Diagnostics;
using EdgeJamba.Runtime.Sampling;
using EdgeJamba.Runtime.Tokenization;

namespace EdgeJamba.Runtime.Generation;

/// <summary>What to do with a prompt that does not fit in the model's context.</summary>
public enum ContextOverflow
{
    /// <summary>Refuse it with an error (the default).</summary>
    Refuse,

    /// <summary>Keep its last tokens (the BOS token stays first), saying so on stderr.</summary>
    KeepTail,
}

/// <summary>Settings of one generation run.</summary>
public sealed record GenerationOptions
{
    /// <summary>Tokens to generate at most.</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Stop (without printing it) when the output contains one of these.</summary>
    public IReadOnlyList<string> Stops { get; init; } = [];

    public ContextOverflow Overflow { get; init; } = ContextOverflow.Refuse;

    /// <summary>Stop at the tokenizer's end-of-sequence token(s).</summary>
    public bool StopAtEos { get; init; } = true;
}

/// <summary>Counts and timings of a run (reported by <c>--stats</c>).</summary>
public sealed record GenerationStats(int PromptTokens, int GeneratedTokens, TimeSpan PrefillTime, TimeSpan DecodeTime, string StopReason)
{
    public double PrefillTokensPerSecond => PromptTokens / Math.Max(PrefillTime.TotalSeconds, 1e-9);

    public double DecodeTokensPerSecond => GeneratedTokens / Math.Max(DecodeTime.TotalSeconds, 1e-9);
}

/// <summary>
/// The generation loop: encode the prompt, prefill, then sample and stream text until a stop
/// condition. Text reaches <c>output</c> as complete UTF-8 characters, and text that could still
/// become a stop string is held back until it cannot.
/// </summary>
public sealed class TextGenerator(LanguageModel model, ITextTokenizer tokenizer, Sampler sampler)
{
    private readonly float[] _logits = new float[model.Layout.VocabSize];
    private readonly Utf8StreamDecoder _decoder = new();

    /// <summary>Messages for the user (context trimming, context exhausted); the CLI sends them to stderr.</summary>
    public event Action<string>? Notice;

    /// <summary>Tokens fed to the model so far (prompt and generated), in order.</summary>
    public List<int> History { get; } = [];

    public LanguageModel Model => model;

    public Sampler Sampler => sampler;

    /// <summary>The logits after the last fed token (valid when <see cref="History"/> is not empty).</summary>
    internal float[] Logits => _logits;

    /// <summary>Bytes of a UTF-8 character begun by the last token and not yet printed (at most 3).</summary>
    internal byte[] PendingUtf8 { get; private set; } = [];

    /// <summary>Puts back bytes of an unfinished character (a resumed session).</summary>
    internal void RestorePendingUtf8(ReadOnlySpan<byte> bytes)
    {
        _decoder.Reset();
        _decoder.Decode(bytes);
        PendingUtf8 = bytes.ToArray();
    }

    public GenerationStats Generate(string prompt, TextWriter output, GenerationOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(options);
        bool resuming = History.Count > 0;
        var tokens = new List<int>();
        if (!resuming && tokenizer.AddBos && tokenizer.BosId is { } bos)
        {
            tokens.Add(bos);
        }
        tokens.AddRange(tokenizer.Encode(prompt));
        int maxContext = model.Layout.MaxContext;
        int available = maxContext - History.Count;
        if (tokens.Count == 0 && !resuming)
        {
            throw new EdgeJambaException("the prompt is empty and the tokenizer adds no BOS token: there is nothing to continue from");
        }
        if (tokens.Count > available)
        {
            if (options.Overflow == ContextOverflow.Refuse || resuming)
            {
                throw new EdgeJambaException($"the prompt has {tokens.Count} tokens but the context has room for {available} " +
                    $"(max context {maxContext}); shorten it, raise --ctx, or pass --keep-tail to keep its last tokens");
            }
            int keep = Math.Max(1, available - Math.Min(options.MaxTokens, available / 2));
            bool keepBos = tokenizer.AddBos && tokenizer.BosId is not null;
            var tail = tokens.GetRange(tokens.Count - keep + (keepBos ? 1 : 0), keep - (keepBos ? 1 : 0));
            Notice?.Invoke($"prompt of {tokens.Count} tokens trimmed to its last {keep} to fit the context of {maxContext}");
            if (keepBos)
            {
                tail.Insert(0, tokens[0]);
            }
            tokens = tail;
        }

        var clock = Stopwatch.StartNew();
        if (tokens.Count > 0)
        {
            model.Prefill(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(tokens), History.Count).CopyTo(_logits);
            History.AddRange(tokens);
        }
        var prefillTime = clock.Elapsed;
        clock.Restart();

        var bytes = new ArrayBufferWriter<byte>(64);
        var stops = new StopMatcher(options.Stops, output);
        int generated = 0;
        string reason = "max tokens";
        var eos = tokenizer.EosIds;
        while (generated < options.MaxTokens)
        {
            if (cancellation.IsCancellationRequested)
            {
                reason = "interrupted";
                break;
            }
            if (History.Count >= maxContext)
            {
                reason = "context full";
                Notice?.Invoke($"stopped: the context of {maxContext} tokens is full");
                break;
            }
            if (!float.IsFinite(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(_logits)))
            {
                throw new EdgeJambaException($"the model's logits after position {History.Count - 1} are not finite (NaN or infinity); " +
                    "its weights are probably corrupt: run with --check-weights to find the tensor");
            }
            int recent = Math.Min(History.Count, sampler.Options.RepeatLastN);
            int next = sampler.Sample(_logits, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(History)[^recent..]);
            if (options.StopAtEos && eos.Contains(next))
            {
                reason = "end of sequence";
                break;
            }
            generated++;
            model.Forward(next, History.Count).CopyTo(_logits);
            History.Add(next);
            bytes.Clear();
            if (next < tokenizer.VocabSize)
            {
                tokenizer.DecodeToken(next, bytes); // the model's vocabulary may have rows beyond the tokenizer's (padding): they print nothing
            }
            TrackPending(bytes.WrittenSpan);
            if (stops.Write(_decoder.Decode(bytes.WrittenSpan)))
            {
                reason = "stop string";
                break;
            }
        }
        if (reason != "stop string")
        {
            stops.Flush();
        }
        output.Flush();
        return new GenerationStats(tokens.Count, generated, prefillTime, clock.Elapsed, reason);
    }

    /// <summary>
    /// Ends the text: a character left unfinished by the last token is printed as U+FFFD. Not called when the
    /// session is saved to be resumed, so the character can still be completed.
    /// </summary>
    public void Finish(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _decoder.Flush(output);
        PendingUtf8 = [];
        output.Flush();
    }

    /// <summary>
    /// Keeps the bytes of a trailing, not yet complete UTF-8 sequence (for session snapshots). Only the last three
    /// bytes of pending + token can belong to one, so the window is fixed; nothing is allocated unless a
    /// character is split across tokens.
    /// </summary>
    private void TrackPending(ReadOnlySpan<byte> tokenBytes)
    {
        Span<byte> tail = stackalloc byte[3];
        int length = 0;
        for (int i = Math.Max(0, PendingUtf8.Length + tokenBytes.Length - 3); i < PendingUtf8.Length + tokenBytes.Length; i++)
        {
            tail[length++] = i < PendingUtf8.Length ? PendingUtf8[i] : tokenBytes[i - PendingUtf8.Length];
        }
        var window = tail[..length];
        int incomplete = 0;
        for (int back = 1; back <= window.Length; back++)
        {
            byte b = window[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue; // continuation byte: keep looking for the lead
            }
            int needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            incomplete = needed > back ? back : 0;
            break;
        }
        PendingUtf8 = incomplete == 0 ? [] : window[^incomplete..].ToArray();
    }

    /// <summary>
    /// Streams text while watching for stop strings: holds back the longest suffix that is a prefix of a
    /// stop string, and cuts the output before the first stop string found.
    /// </summary>
    private sealed class StopMatcher(IReadOnlyList<string> stops, TextWriter output)
    {
        private string _pending = "";

        /// <summary>Writes <paramref name="text"/>; true when a stop string was reached.</summary>
        public bool Write(string text)
        {
            if (stops.Count == 0)
            {
                output.Write(text);
                return false;
            }
            _pending += text;
            int cut = -1;
            foreach (var stop in stops)
            {
                int at = _pending.IndexOf(stop, StringComparison.Ordinal);
                if (at >= 0 && (cut < 0 || at < cut))
                {
                    cut = at;
                }
            }
            if (cut >= 0)
            {
                output.Write(_pending.AsSpan(0, cut));
                _pending = "";
                return true;
            }
            int hold = 0;
            foreach (var stop in stops)
            {
                for (int len = Math.Min(stop.Length - 1, _pending.Length); len > hold; len--)
                {
                    if (_pending.AsSpan(_pending.Length - len).SequenceEqual(stop.AsSpan(0, len)))
                    {
                        hold = len;
                        break;
                    }
                }
            }
            output.Write(_pending.AsSpan(0, _pending.Length - hold));
            _pending = _pending[^hold..];
            return false;
        }

        public void Flush()
        {
            output.Write(_pending);
            _pending = "";
        }
    }
}
