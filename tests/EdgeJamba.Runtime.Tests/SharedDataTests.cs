using EdgeJamba.Tests;

namespace EdgeJamba.Runtime.Tests;

public class SharedDataTests
{
    [Fact]
    public void RepoRoot_HoldsTheSolution() => Assert.True(File.Exists(Path.Combine(SharedData.RepoRoot, "EdgeJamba.sln")));
}
