using EdgeJamba.Layout;

namespace EdgeJamba.Runtime;

/// <summary>
/// A model ready to run: either generated, shape-specialized code or the generic engine. All state
/// (KV cache and recurrent state) lives in one float32 arena laid out by <see cref="MemoryPlan"/>,
/// allocated once; positions are fed in order from 0.
/// </summary>
public abstract class LanguageModel : IDisposable
{
    private readonly float[] _state;

    protected LanguageModel(ModelLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Layout = layout;
        _state = GC.AllocateArray<float>(checked((int)MemoryPlan.StateElements(layout)), pinned: true);
    }

    public ModelLayout Layout { get; }

    /// <summary>The threads running this model's matrix products, recurrent scans and attention (one, the caller's, until <see cref="SetThreads"/>).</summary>
    public WorkerPool Workers { get; private set; } = new(1);

    /// <summary>Threads sharing each matrix product, the caller's included.</summary>
    public int Threads => Workers.Threads;

    /// <summary>
    /// Runs the matrix products, the recurrent scans and attention on <paramref name="threads"/> threads from now on (a new worker
    /// pool; do it between calls). Logits do not depend on the thread count, bit for bit.
    /// </summary>
    /// <param name="threads">Threads, the caller's included.</param>
    /// <param name="minMultiplyAddsPerThread">See <see cref="WorkerPool(int, int, int)"/>.</param>
    public void SetThreads(int threads, int minMultiplyAddsPerThread = WorkerPool.DefaultMinMultiplyAddsPerThread)
    {
        bool attention = Layout.Layers.Any(l => l.Mixer is AttentionLayout);
        var pool = new WorkerPool(threads, minMultiplyAddsPerThread, attention ? 2 * Layout.MaxContext : 0);
        Workers.Dispose();
        Workers = pool;
    }

    /// <summary>"specialized" for generated code, "generic" for the generic engine.</summary>
    public abstract string EngineName { get; }

    /// <summary>The whole state arena (see <see cref="MemoryPlan.LayerStateOffset"/>).</summary>
    public Span<float> State => _state;

    /// <summary>Bytes of the state arena as allocated.</summary>
    public long StateBytes => (long)_state.Length * sizeof(float);

    /// <summary>Bytes of scratch (activation) buffers as allocated.</summary>
    public abstract long ScratchBytes { get; }

    /// <summary>
    /// Feeds <paramref name="token"/> at <paramref name="position"/> (the number of tokens already fed)
    /// and returns the logits, valid until the next call.
    /// </summary>
    public abstract ReadOnlySpan<float> Forward(int token, int position);

    /// <summary>
    /// Feeds a run of tokens starting at <paramref name="position"/> and returns the last token's logits.
    /// Gives the same logits and state as calling <see cref="Forward"/> once per token.
    /// </summary>
    public virtual ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens, int position)
    {
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("no tokens to prefill", nameof(tokens));
        }
        for (int i = 0; i < tokens.Length - 1; i++)
        {
            Forward(tokens[i], position + i);
        }
        return Forward(tokens[^1], position + tokens.Length - 1);
    }

    /// <summary>Forgets everything fed so far (zeroes the state arena).</summary>
    public void Reset() => Array.Clear(_state);

    /// <summary>Checks a token id and a position before they index anything.</summary>
    protected void CheckInput(int token, int position)
    {
        if ((uint)token >= (uint)Layout.VocabSize)
        {
            throw new EdgeJambaException($"token id {token} is outside the vocabulary (0..{Layout.VocabSize - 1})");
        }
        if ((uint)position >= (uint)Layout.MaxContext)
        {
            throw new EdgeJambaException($"position {position} is beyond the maximum context of {Layout.MaxContext} tokens");
        }
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Workers.Dispose();
        }
    }
}
