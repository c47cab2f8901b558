using EdgeJamba.Runtime;

namespace EdgeJamba.Parity.Tests.ReferenceSets;

/// <summary>
/// Decoding allocates nothing in steady state: the state arena, the scratch and the worker pool are allocated once,
/// at load. On several threads the worker threads' allocations count too.
/// </summary>
public sealed class AllocationTests
{
    [SkippableTheory]
    [InlineData("stories260K", EngineChoice.Specialized)]
    [InlineData("stories260K", EngineChoice.Generic)]
    [InlineData("jamba-tiny-a", EngineChoice.Specialized)]
    [InlineData("jamba-tiny-b", EngineChoice.Generic)]
    [InlineData("mamba-untied", EngineChoice.Specialized)]
    public void SixtyFourDecodeSteps_AfterWarmUp_AllocateNoBytes(string name, EngineChoice engine)
    {
        var set = ReferenceSet.LoadSupported(name);
        using var loaded = Engines.Load(set, engine);
        var model = loaded.Model;
        Assert.Equal(0, DecodeAllocations(model, set.Tokens[0]));
    }

    [SkippableTheory]
    [InlineData("stories260K", EngineChoice.Specialized)]
    [InlineData("jamba-tiny-a", EngineChoice.Generic)]
    [InlineData("mamba-untied", EngineChoice.Specialized)]
    public void SixtyFourDecodeSteps_OnThreeThreads_AllocateNoBytes(string name, EngineChoice engine)
    {
        var set = ReferenceSet.LoadSupported(name);
        using var loaded = Engines.Load(set, engine);
        var model = loaded.Model;
        model.SetThreads(3, minMultiplyAddsPerThread: 1);
        Assert.Equal(0, DecodeAllocations(model, set.Tokens[0]));
    }

    /// <summary>Bytes allocated by 64 decode steps after 8 of warm-up, on this thread and on the pool's.</summary>
    private static long DecodeAllocations(LanguageModel model, int token)
    {
        for (int position = 0; position < 8; position++)
        {
            token = Kernels.ArgMax(model.Forward(token, position)); // warm-up: JIT, rope tables, lazy statics
        }

        long before = GC.GetAllocatedBytesForCurrentThread() + model.Workers.WorkerAllocatedBytes;
        for (int position = 8; position < 72; position++)
        {
            token = Kernels.ArgMax(model.Forward(token, position));
        }
        return GC.GetAllocatedBytesForCurrentThread() + model.Workers.WorkerAllocatedBytes - before;
    }
}
