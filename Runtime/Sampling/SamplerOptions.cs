namespace EdgeJamba.Runtime.Sampling;

/// <summary>
/// Settings of a <see cref="Sampler"/>. The sampler applies them in this fixed order:
/// <list type="number">
/// <item><b>Repetition penalty</b> (llama.cpp semantics): every distinct token among the last
/// <see cref="RepeatLastN"/> entries of the history has its logit divided by <see cref="RepeatPenalty"/>
/// when positive and multiplied by it otherwise. A token repeated in the window is penalized once.</item>
/// <item><b>Greedy</b>: when <see cref="Greedy"/> is set or <see cref="Temperature"/> is 0, the result is
/// the index of the largest penalized logit (lowest index on ties) and the steps below are skipped
/// (the random generator is not advanced).</item>
/// <item><b>Temperature</b>: logits are divided by <see cref="Temperature"/>.</item>
/// <item><b>Top-k</b>: only the <see cref="TopK"/> largest logits stay (ties resolved toward lower ids).</item>
/// <item><b>Softmax</b> over the remaining candidates.</item>
/// <item><b>Top-p</b> (nucleus): candidates sorted by probability (descending, then by id) are kept up to and
/// including the first one at which the cumulative probability reaches <see cref="TopP"/>.</item>
/// <item><b>Min-p</b>: candidates whose probability is below <see cref="MinP"/> times the largest probability
/// are dropped.</item>
/// <item><b>Renormalize</b> the survivors and <b>draw</b> one with a single uniform number from the
/// sampler's generator.</item>
/// </list>
/// Each filter always keeps at least the most probable candidate.
/// </summary>
public sealed record SamplerOptions
{
    /// <summary>Softmax temperature, <c>&gt;= 0</c>; 0 means greedy.</summary>
    public float Temperature { get; init; } = 0.8f;

    /// <summary>Number of most likely tokens kept, <c>&gt;= 0</c>; 0 turns the filter off.</summary>
    public int TopK { get; init; } = 40;

    /// <summary>Nucleus mass in <c>[0, 1]</c>; 1 turns the filter off.</summary>
    public float TopP { get; init; } = 0.95f;

    /// <summary>Minimum probability relative to the most likely token, in <c>[0, 1]</c>; 0 turns the filter off.</summary>
    public float MinP { get; init; } = 0.05f;

    /// <summary>Repetition penalty factor, <c>&gt; 0</c>; 1 turns it off.</summary>
    public float RepeatPenalty { get; init; } = 1.1f;

    /// <summary>How many of the most recent tokens the repetition penalty looks at, <c>&gt;= 0</c>.</summary>
    public int RepeatLastN { get; init; } = 64;

    /// <summary>Seed of the sampler's random generator (see <see cref="Xoshiro256StarStar"/>).</summary>
    public ulong Seed { get; init; }

    /// <summary>Always pick the most likely token (after the repetition penalty).</summary>
    public bool Greedy { get; init; }

    /// <summary>True when the sampler picks the argmax without drawing a random number.</summary>
    public bool IsGreedy => Greedy || Temperature <= 0f;

    /// <summary>
    /// Checks every value; an out-of-range value throws <see cref="ArgumentOutOfRangeException"/> whose
    /// <see cref="ArgumentException.ParamName"/> is the option's name (e.g. <c>"TopP"</c>).
    /// </summary>
    public void Validate()
    {
        if (!(Temperature >= 0f) || float.IsPositiveInfinity(Temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be a finite number >= 0.");
        }
        if (TopK < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK must be >= 0 (0 turns it off).");
        }
        if (!(TopP >= 0f && TopP <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "TopP must lie in [0, 1] (1 turns it off).");
        }
        if (!(MinP >= 0f && MinP <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(MinP), MinP, "MinP must lie in [0, 1] (0 turns it off).");
        }
        if (!(RepeatPenalty > 0f) || float.IsPositiveInfinity(RepeatPenalty))
        {
            throw new ArgumentOutOfRangeException(nameof(RepeatPenalty), RepeatPenalty, "RepeatPenalty must be a finite number > 0 (1 turns it off).");
        }
        if (RepeatLastN < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(RepeatLastN), RepeatLastN, "RepeatLastN must be >= 0.");
        }
    }
}
