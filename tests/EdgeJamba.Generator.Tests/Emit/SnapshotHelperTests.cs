using EdgeJamba.Generator.Tests.Infrastructure;

namespace EdgeJamba.Generator.Tests.Emit;

/// <summary>The snapshot helper itself: it must fail on new, changed and stale snapshots and accept only on request.</summary>
public sealed class SnapshotHelperTests : IDisposable
{
    private const string Prefix = "T.M#";
    private readonly string _folder = Directory.CreateTempSubdirectory("edgejamba-snapshots-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Missing_snapshot_fails_and_writes_received_without_accepting()
    {
        string? failure = Snapshot.Check(_folder, Prefix, [("A.g.cs", "class A {}\n")], update: false);

        Assert.NotNull(failure);
        Assert.Contains("NEW A.g.cs", failure, StringComparison.Ordinal);
        Assert.Equal("class A {}\n", File.ReadAllText(Path.Combine(_folder, "T.M#A.g.received.cs")));
        Assert.False(File.Exists(Path.Combine(_folder, "T.M#A.g.verified.cs")));
    }

    [Fact]
    public void Update_accepts_and_a_matching_run_then_passes_and_removes_received()
    {
        Assert.NotNull(Snapshot.Check(_folder, Prefix, [("A.g.cs", "one\n")], update: false));

        Assert.Null(Snapshot.Check(_folder, Prefix, [("A.g.cs", "one\n")], update: true));
        Assert.Null(Snapshot.Check(_folder, Prefix, [("A.g.cs", "one\r\n")], update: false));

        Assert.Equal("one\n", File.ReadAllText(Path.Combine(_folder, "T.M#A.g.verified.cs")));
        Assert.False(File.Exists(Path.Combine(_folder, "T.M#A.g.received.cs")));
    }

    [Fact]
    public void Changed_output_fails_with_a_line_diff_of_each_change()
    {
        string before = string.Join('\n', Enumerable.Range(1, 20).Select(i => "line " + i)) + "\n";
        Snapshot.Check(_folder, Prefix, [("A.g.cs", before)], update: true);
        string after = before.Replace("line 3\n", "", StringComparison.Ordinal).Replace("line 10\n", "line ten\n", StringComparison.Ordinal) + "line 21\n";

        string? failure = Snapshot.Check(_folder, Prefix, [("A.g.cs", after)], update: false);

        Assert.NotNull(failure);
        Assert.Contains("CHANGED A.g.cs", failure, StringComparison.Ordinal);
        Assert.Contains("""
            @@ -1 +1 @@
             line 1
             line 2
            -line 3
             line 4
             line 5
            @@ -8 +7 @@
             line 8
             line 9
            -line 10
            +line ten
             line 11
             line 12
            @@ -19 +18 @@
             line 19
             line 20
            +line 21
            """.ReplaceLineEndings("\n"), failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Snapshot_no_file_produces_any_more_is_stale()
    {
        Snapshot.Check(_folder, Prefix, [("A.g.cs", "a\n"), ("B.g.cs", "b\n")], update: true);

        string? failure = Snapshot.Check(_folder, Prefix, [("A.g.cs", "a\n")], update: false);

        Assert.NotNull(failure);
        Assert.Contains("STALE", failure, StringComparison.Ordinal);
        Assert.Contains("T.M#B.g.verified.cs", failure, StringComparison.Ordinal);
        Assert.Null(Snapshot.Check(_folder, Prefix, [("A.g.cs", "a\n")], update: true));
        Assert.False(File.Exists(Path.Combine(_folder, "T.M#B.g.verified.cs")));
    }
}
