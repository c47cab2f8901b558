namespace EdgeJamba.Runtime.Sampling;

/// <summary>
/// Picks the next token from a row of logits with the pipeline described on <see cref="SamplerOptions"/>.
/// All scratch buffers are sized to the vocabulary in the constructor, so <see cref="Sample"/> does not
/// allocate. The random generator is a <see cref="Xoshiro256StarStar"/> seeded with
/// <see cref="SamplerOptions.Seed"/>; a non-greedy draw consumes exactly one 64-bit output, a greedy pick none.
/// Not thread-safe: use one sampler per generation stream.
/// </summary>
public sealed class Sampler
{
    private readonly int[] _candidates;
    private readonly float[] _weights;
    private readonly long[] _sortKeys;
    private readonly bool[] _penalized;
    private readonly float _inverseTemperature;
    private Xoshiro256StarStar _rng;
    private int _candidateCount;

    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="vocabSize"/> is not positive, or an option is out of range (the exception names the option).
    /// </exception>
    public Sampler(int vocabSize, SamplerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabSize);
        options.Validate();
        VocabSize = vocabSize;
        Options = options;
        _candidates = new int[vocabSize];
        _weights = new float[vocabSize];
        _sortKeys = new long[vocabSize];
        _penalized = new bool[vocabSize];
        _inverseTemperature = options.IsGreedy ? 0f : 1f / options.Temperature;
        _rng = new Xoshiro256StarStar(options.Seed);
    }

    public int VocabSize { get; }

    public SamplerOptions Options { get; }

    /// <summary>The generator state, to be stored with a session snapshot.</summary>
    public RngState GetState() => _rng.State;

    /// <summary>Restores a state from <see cref="GetState"/>; the following draws repeat those made after it was taken.</summary>
    public void SetState(RngState state) => _rng = new Xoshiro256StarStar(state);

    /// <summary>
    /// Chooses one token id.
    /// </summary>
    /// <param name="logits">
    /// One logit per vocabulary entry (<see cref="VocabSize"/> values). Used as scratch: the repetition
    /// penalty is applied in place, so the span holds the penalized logits afterwards.
    /// </param>
    /// <param name="recentTokens">The token history, oldest first; only the last <see cref="SamplerOptions.RepeatLastN"/> entries are read.</param>
    /// <returns>The chosen id in <c>[0, VocabSize)</c>.</returns>
    /// <remarks>Logits may be negative infinity (masked) but not NaN, and at least one must be finite.</remarks>
    public int Sample(Span<float> logits, ReadOnlySpan<int> recentTokens)
    {
        ApplyRepetitionPenalty(logits, recentTokens);
        if (Options.IsGreedy)
        {
            return ArgMax(logits);
        }
        SelectCandidates(logits);
        return Draw();
    }

    /// <summary>The candidates kept by the last filtering (the draw reads them; tests inspect them).</summary>
    internal ReadOnlySpan<int> Candidates => _candidates.AsSpan(0, _candidateCount);

    /// <summary>Runs the penalty and every filter without drawing, leaving the survivors in <see cref="Candidates"/>.</summary>
    internal void Filter(Span<float> logits, ReadOnlySpan<int> recentTokens)
    {
        ApplyRepetitionPenalty(logits, recentTokens);
        SelectCandidates(logits);
    }

    private void ApplyRepetitionPenalty(Span<float> logits, ReadOnlySpan<int> recentTokens)
    {
        if (logits.Length != VocabSize)
        {
            throw new ArgumentException($"Expected {VocabSize} logits, got {logits.Length}.", nameof(logits));
        }
        float penalty = Options.RepeatPenalty;
        if (penalty == 1f || Options.RepeatLastN == 0)
        {
            return;
        }
        ReadOnlySpan<int> window = recentTokens.Length > Options.RepeatLastN ? recentTokens[^Options.RepeatLastN..] : recentTokens;
        foreach (int id in window)
        {
            if ((uint)id >= (uint)VocabSize)
            {
                throw new ArgumentOutOfRangeException(nameof(recentTokens), id, $"Token id outside the vocabulary of {VocabSize}.");
            }
        }
        foreach (int id in window)
        {
            if (!_penalized[id])
            {
                _penalized[id] = true;
                float logit = logits[id];
                logits[id] = logit > 0f ? logit / penalty : logit * penalty;
            }
        }
        foreach (int id in window)
        {
            _penalized[id] = false;
        }
    }

    /// <summary>Index of the largest logit, the lowest index on ties; NaN never wins.</summary>
    private static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best] || float.IsNaN(logits[best]))
            {
                best = i;
            }
        }
        return best;
    }

    /// <summary>Temperature, top-k, softmax, top-p and min-p; the survivors end up in <c>_candidates[0.._candidateCount)</c>.</summary>
    private void SelectCandidates(ReadOnlySpan<float> logits)
    {
        int topK = Options.TopK;
        int count = topK > 0 && topK < VocabSize ? SelectTopK(logits, topK) : FillAll();
        Span<int> candidates = _candidates.AsSpan(0, count);

        // Weights relative to the most likely candidate: w = exp((logit - max) / T) = p / p_max, so w_max = 1.
        float max = float.NegativeInfinity;
        foreach (int id in candidates)
        {
            max = MathF.Max(max, logits[id]);
        }
        double sum = 0;
        foreach (int id in candidates)
        {
            float w = MathF.Exp((logits[id] - max) * _inverseTemperature);
            _weights[id] = w;
            sum += w;
        }

        // Min-p and top-p each keep a prefix of the candidates sorted by probability, so applying min-p
        // first (no sort needed) and top-p on its survivors keeps the same set as top-p then min-p:
        // the cumulative sums inside the min-p prefix are unchanged, and both use the full softmax mass.
        float minP = Options.MinP;
        if (minP > 0f)
        {
            int kept = 0;
            foreach (int id in candidates)
            {
                if (_weights[id] >= minP)
                {
                    _candidates[kept++] = id;
                }
            }
            count = kept;
            candidates = candidates[..count];
        }

        float topP = Options.TopP;
        if (topP < 1f)
        {
            SortByWeightDescending(candidates);
            double cumulative = 0;
            for (int i = 0; i < count; i++)
            {
                cumulative += _weights[candidates[i]] / sum;
                if (cumulative >= topP)
                {
                    count = i + 1;
                    break;
                }
            }
        }
        _candidateCount = count;
    }

    private int FillAll()
    {
        for (int i = 0; i < VocabSize; i++)
        {
            _candidates[i] = i;
        }
        return VocabSize;
    }

    /// <summary>
    /// Keeps the <paramref name="k"/> best ids in <c>_candidates[0..k)</c> with a min-heap whose root is the
    /// worst kept id ("better" = larger logit, then lower id), in O(V log k).
    /// </summary>
    private int SelectTopK(ReadOnlySpan<float> logits, int k)
    {
        Span<int> heap = _candidates.AsSpan(0, k);
        for (int id = 0; id < k; id++)
        {
            heap[id] = id;
            int child = id;
            while (child > 0)
            {
                int parent = (child - 1) / 2;
                if (!IsBetter(logits, heap[parent], heap[child]))
                {
                    break;
                }
                (heap[parent], heap[child]) = (heap[child], heap[parent]);
                child = parent;
            }
        }
        for (int id = k; id < logits.Length; id++)
        {
            if (!IsBetter(logits, id, heap[0]))
            {
                continue;
            }
            heap[0] = id;
            int node = 0;
            while (true)
            {
                int worst = node;
                int left = (2 * node) + 1;
                int right = left + 1;
                if (left < k && IsBetter(logits, heap[worst], heap[left]))
                {
                    worst = left;
                }
                if (right < k && IsBetter(logits, heap[worst], heap[right]))
                {
                    worst = right;
                }
                if (worst == node)
                {
                    break;
                }
                (heap[node], heap[worst]) = (heap[worst], heap[node]);
                node = worst;
            }
        }
        return k;
    }

    private static bool IsBetter(ReadOnlySpan<float> logits, int a, int b)
    {
        float la = logits[a];
        float lb = logits[b];
        return la > lb || (la == lb && a < b) || (float.IsNaN(lb) && !float.IsNaN(la));
    }

    /// <summary>
    /// Sorts ids by weight, largest first, then by id. The weights are non-negative, so their float bits order
    /// like their values; each id is packed with its inverted bits into one <c>long</c> key and the keys are
    /// sorted ascending, which needs no comparer (and allocates nothing).
    /// </summary>
    private void SortByWeightDescending(Span<int> ids)
    {
        Span<long> keys = _sortKeys.AsSpan(0, ids.Length);
        for (int i = 0; i < ids.Length; i++)
        {
            keys[i] = ((long)(int.MaxValue - BitConverter.SingleToInt32Bits(_weights[ids[i]])) << 32) | (uint)ids[i];
        }
        keys.Sort();
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = (int)keys[i];
        }
    }

    private int Draw()
    {
        ReadOnlySpan<int> candidates = Candidates;
        double total = 0;
        foreach (int id in candidates)
        {
            total += _weights[id];
        }
        double u = _rng.NextDouble() * total;
        foreach (int id in candidates)
        {
            u -= _weights[id];
            if (u < 0)
            {
                return id;
            }
        }
        return candidates[^1];
    }
}
