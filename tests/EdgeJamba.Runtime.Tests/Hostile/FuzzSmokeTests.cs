using EdgeJamba.Fuzz;
using EdgeJamba.Tests;

namespace EdgeJamba.Runtime.Tests.Hostile;

/// <summary>
/// The CI smoke pass of the fuzz targets: each runs its seeds and a few hundred mutations of them (random
/// CsCheck seeds; a failure prints the seed that replays it with <c>tests/fuzz.sh TARGET 60 --seed SEED</c>).
/// </summary>
public sealed class FuzzSmokeTests : IClassFixture<FuzzSmokeTests.Targets>
{
    private readonly Targets _targets;

    public FuzzSmokeTests(Targets targets) => _targets = targets;

    [Theory]
    [InlineData("spec", 3000)]
    [InlineData("safetensors", 400)]
    [InlineData("sentencepiece", 300)]
    [InlineData("bpe", 200)]
    [InlineData("tokenize", 1000)]
    [InlineData("snapshot", 300)]
    public void Target_SurvivesMutatedInputs(string target, int iterations)
    {
        var report = FuzzRunner.Run(_targets.All[target], iterations);
        Assert.True(report.Finding is null, report.Finding);
        Assert.True(report.Executions >= iterations, $"{report.Executions} executions");
    }

    [Fact]
    public void Mutator_AppliesEveryKindOfEdit_WithoutTouchingTheSeed()
    {
        byte[] seed = "{\"a\": 12345, \"b\": [1, 2]}"u8.ToArray();
        byte[] copy = (byte[])seed.Clone();
        var results = Enumerable.Range(0, 9).Select(kind => Mutator.Apply(new FuzzCase(0, [new Mutation(kind, 6, 5, 3)]), [seed])).ToList();
        Assert.Equal(copy, seed);
        Assert.Equal(seed.Length, results[0].Length);
        Assert.Equal(seed[6] ^ (1 << 5), results[0][6]); // bit 5 of byte 6 flipped
        Assert.Equal(5, results[1][6]);
        Assert.Equal(seed.Length + 6, results[2].Length);
        Assert.Equal(seed.Length - 6, results[3].Length);
        Assert.Equal(6, results[4].Length);
        Assert.Equal("{\"a\": 2147483648, \"b\": [1, 2]}", System.Text.Encoding.ASCII.GetString(results[8])); // the 6th interesting number over "12345"
    }

    /// <summary>The targets and their seed files, built once for the class.</summary>
    public sealed class Targets : IDisposable
    {
        public FuzzTargets All { get; } = new(SharedData.RepoRoot);

        public void Dispose() => All.Dispose();
    }
}
