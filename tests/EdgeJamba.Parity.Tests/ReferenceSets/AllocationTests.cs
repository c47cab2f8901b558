using EdgeJamba.Runtime;

namespace EdgeJamba.Parity.Tests.ReferenceSets;

/// <summary>Decoding allocates nothing in steady state: the state arena and scratch are allocated once, at load.</summary>
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
        int token = set.Tokens[0];
        for (int position = 0; position < 8; position++)
        {
            token = Kernels.ArgMax(model.Forward(token, position)); // warm-up: JIT, rope tables, lazy statics
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int position = 8; position < 72; position++)
        {
            token = Kernels.ArgMax(model.Forward(token, position));
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }
}
