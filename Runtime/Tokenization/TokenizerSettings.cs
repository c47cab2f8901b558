namespace EdgeJamba.Runtime.Tokenization;

/// <summary>
/// Special-token choices read from a model folder's JSON files (see <see cref="TokenizerLoader"/>), each
/// overriding the tokenizer's own default when set. An id wins over a token string; a token string is
/// looked up in the tokenizer's vocabulary.
/// </summary>
public sealed record TokenizerSettings
{
    /// <summary>Beginning-of-sequence id (Hugging Face <c>bos_token_id</c>).</summary>
    public int? BosId { get; init; }

    /// <summary>BOS as text (e.g. <c>"&lt;s&gt;"</c>), used when <see cref="BosId"/> is null.</summary>
    public string? BosToken { get; init; }

    /// <summary>End-of-sequence ids; null keeps the default, an empty list means "no EOS".</summary>
    public IReadOnlyList<int>? EosIds { get; init; }

    /// <summary>EOS as text, used when <see cref="EosIds"/> is null.</summary>
    public string? EosToken { get; init; }

    /// <summary>Whether inputs start with BOS (Hugging Face <c>add_bos_token</c>).</summary>
    public bool? AddBos { get; init; }

    /// <summary>
    /// Applies the settings over a tokenizer's defaults. A token string not found by <paramref name="lookup"/>
    /// or an id outside the vocabulary throws <see cref="EdgeJambaException"/> naming <paramref name="source"/>
    /// (the tokenizer file); <c>AddBos</c> is forced to false without a BOS id.
    /// </summary>
    internal SpecialTokens Resolve(Func<string, int?> lookup, SpecialTokens defaults, int vocabSize, string source)
    {
        int? bos = BosId ?? (BosToken is null ? defaults.BosId : Lookup(BosToken, "BOS"));
        IReadOnlyList<int> eos = EosIds ?? (EosToken is null ? defaults.EosIds : [Lookup(EosToken, "EOS")]);
        bool addBos = bos is not null && (AddBos ?? defaults.AddBos);
        foreach (int id in bos is null ? eos : eos.Append(bos.Value))
        {
            if ((uint)id >= (uint)vocabSize)
            {
                throw new EdgeJambaException($"{source}: special token id {id} is outside the tokenizer's vocabulary of {vocabSize}.");
            }
        }
        return new SpecialTokens(bos, eos, addBos);

        int Lookup(string token, string role)
            => lookup(token) ?? throw new EdgeJambaException($"{source}: the {role} token '{token}' is not in the vocabulary.");
    }
}

/// <summary>Resolved BOS/EOS ids and the add-BOS flag of a tokenizer.</summary>
internal sealed record SpecialTokens(int? BosId, IReadOnlyList<int> EosIds, bool AddBos)
{
    public static SpecialTokens None { get; } = new(null, [], false);

    public int? EosId => EosIds.Count > 0 ? EosIds[0] : null;
}
