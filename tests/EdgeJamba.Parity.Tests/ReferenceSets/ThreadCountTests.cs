using EdgeJamba.Runtime;
using static EdgeJamba.Parity.Tests.Infrastructure.LogitAssert;

namespace EdgeJamba.Parity.Tests.ReferenceSets;

/// <summary>
/// The worker pool splits each matrix product's rows among threads, but every row is computed by the same
/// instructions: logits and state must be the same bits on 1, 2 and 3 threads, for decode and for prefill.
/// The pool is told to split even the tiny products of the reference models (one multiply-add per thread suffices).
/// </summary>
public sealed class ThreadCountTests
{
    public static TheoryData<string, EngineChoice> SetsAndEngines => ReferenceParityTests.SetsAndEngines;

    [SkippableTheory]
    [MemberData(nameof(SetsAndEngines))]
    public void Logits_are_bit_identical_on_one_two_and_three_threads(string name, EngineChoice engine)
    {
        var set = ReferenceSet.LoadSupported(name);
        using var loaded = Engines.Load(set, engine);
        var model = loaded.Model;
        var (decode, prefill, state) = Run(model, set.Tokens);
        foreach (int threads in new[] { 2, 3 })
        {
            model.SetThreads(threads, minMultiplyAddsPerThread: 1);
            model.Reset();
            var (decodeN, prefillN, stateN) = Run(model, set.Tokens);
            string what = $"{name} ({model.EngineName}, {threads} threads)";
            for (int t = 0; t < decode.Length; t++)
            {
                Identical(what + $": decode logits at position {t}", decodeN[t], decode[t]);
            }
            Identical(what + ": prefill logits", prefillN, prefill);
            Identical(what + ": state", stateN, state);
        }
    }

    /// <summary>Token-by-token logits at every position, then (after a reset) the prefill's last logits and final state.</summary>
    internal static (float[][] Decode, float[] Prefill, float[] State) Run(LanguageModel model, int[] tokens)
    {
        var decode = new float[tokens.Length][];
        for (int t = 0; t < tokens.Length; t++)
        {
            decode[t] = model.Forward(tokens[t], t).ToArray();
        }
        model.Reset();
        float[] prefill = model.Prefill(tokens, 0).ToArray();
        return (decode, prefill, model.State.ToArray());
    }
}
