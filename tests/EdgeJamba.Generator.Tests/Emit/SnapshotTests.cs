using EdgeJamba.Generator.Tests.Infrastructure;

namespace EdgeJamba.Generator.Tests.Emit;

/// <summary>
/// Whole-file snapshots of what the generator emits for the checked-in specs, reviewed as code when they change.
/// One build compiles every ModelSpecs/*.model.json together, so the generator runs on all of them at once here too.
/// </summary>
public class SnapshotTests
{
    [Fact]
    public void ModelSpecs()
    {
        var result = GeneratorHarness.Run(GeneratorHarness.ModelSpecs());
        Assert.Empty(result.Diagnostics);
        Snapshot.Verify(GeneratorHarness.Files(result));
    }
}
