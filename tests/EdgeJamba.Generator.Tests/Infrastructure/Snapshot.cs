using System.Runtime.CompilerServices;
using System.Text;

namespace EdgeJamba.Generator.Tests.Infrastructure;

/// <summary>
/// File snapshots with Verify's conventions: the expected text is committed as
/// <c>_snapshots/{TestClass}.{Method}#{HintName}.verified.cs</c>. A mismatch writes <c>*.received.cs</c> beside it and
/// fails with a line diff; a missing snapshot fails too (never accepted silently), and so does a snapshot no file
/// produces any more. Setting <c>UPDATE_SNAPSHOTS=1</c> accepts the current output instead.
/// </summary>
internal static class Snapshot
{
    private const string AcceptHint = "Review the .received.cs files, then accept them with " +
        "`UPDATE_SNAPSHOTS=1 dotnet test tests/EdgeJamba.Generator.Tests` (or rename each to .verified.cs).";

    /// <summary>Checks every file of <paramref name="files"/> against its snapshot; one failure lists them all.</summary>
    public static void Verify(IEnumerable<(string HintName, string Text)> files, [CallerFilePath] string testFile = "", [CallerMemberName] string method = "")
    {
        // The test class is named after its file; DeterministicSourcePaths is off, so testFile is a real path.
        string prefix = Path.GetFileNameWithoutExtension(testFile) + "." + method + "#";
        string? failure = Check(SnapshotFolder(), prefix, files, Environment.GetEnvironmentVariable("UPDATE_SNAPSHOTS") == "1");
        Assert.True(failure is null, failure);
    }

    /// <summary>
    /// Compares <paramref name="files"/> with <c>{folder}/{prefix}{HintName}.verified.cs</c> (or accepts them when
    /// <paramref name="update"/>); returns null when all match, else a message listing every difference.
    /// </summary>
    internal static string? Check(string folder, string prefix, IEnumerable<(string HintName, string Text)> files, bool update)
    {
        var failures = new List<string>();
        var produced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (hintName, text) in files)
        {
            string stem = Path.Combine(folder, prefix + (hintName.EndsWith(".cs", StringComparison.Ordinal) ? hintName[..^3] : hintName));
            string verified = stem + ".verified.cs", received = stem + ".received.cs";
            produced.Add(verified);
            string actual = text.ReplaceLineEndings("\n");
            string? expected = File.Exists(verified) ? File.ReadAllText(verified).ReplaceLineEndings("\n") : null;
            File.Delete(received);
            if (expected == actual)
            {
                continue;
            }
            if (update)
            {
                Directory.CreateDirectory(folder);
                File.WriteAllText(verified, actual);
                continue;
            }
            File.WriteAllText(received, actual);
            failures.Add(expected is null
                ? "NEW " + hintName + ": no snapshot yet; output written to " + received
                : "CHANGED " + hintName + " (" + received + "):\n" + Diff(expected, actual));
        }
        foreach (string stale in Directory.Exists(folder) ? Directory.GetFiles(folder, prefix + "*.verified.cs") : [])
        {
            if (!produced.Contains(stale))
            {
                if (update)
                {
                    File.Delete(stale);
                }
                else
                {
                    failures.Add("STALE " + stale + ": no generated file matches it any more (UPDATE_SNAPSHOTS=1 deletes it)");
                }
            }
        }
        return failures.Count == 0 ? null : string.Join("\n\n", failures) + "\n\n" + AcceptHint;
    }

    /// <summary>
    /// A line diff (longest common subsequence): each run of changes with two lines of context, under a
    /// <c>@@ -expectedLine +actualLine @@</c> header; at most 80 lines.
    /// </summary>
    private static string Diff(string expected, string actual)
    {
        string[] a = expected.Split('\n'), b = actual.Split('\n');
        if ((long)a.Length * b.Length > 16_000_000)
        {
            return "(too large to diff here: compare the two files with a diff tool)";
        }
        var common = new int[a.Length + 1, b.Length + 1]; // common[i, j]: LCS length of a[i..] and b[j..]
        for (int i = a.Length - 1; i >= 0; i--)
        {
            for (int j = b.Length - 1; j >= 0; j--)
            {
                common[i, j] = a[i] == b[j] ? common[i + 1, j + 1] + 1 : Math.Max(common[i + 1, j], common[i, j + 1]);
            }
        }
        // The edit script: kept (' '), removed ('-') and added ('+') lines, each with the 1-based line it sits at in a and b.
        var script = new List<(char Op, string Text, int LineA, int LineB)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                script.Add((' ', a[x], x + 1, y + 1));
                x++;
                y++;
            }
            else if (x < a.Length && (y == b.Length || common[x + 1, y] >= common[x, y + 1]))
            {
                script.Add(('-', a[x], x + 1, y + 1));
                x++;
            }
            else
            {
                script.Add(('+', b[y], x + 1, y + 1));
                y++;
            }
        }
        bool NearChange(int k)
        {
            for (int n = Math.Max(0, k - 2); n <= Math.Min(script.Count - 1, k + 2); n++)
            {
                if (script[n].Op != ' ')
                {
                    return true;
                }
            }
            return false;
        }
        var sb = new StringBuilder();
        int printed = 0, previous = -2;
        for (int k = 0; k < script.Count && printed < 80; k++)
        {
            if (!NearChange(k))
            {
                continue;
            }
            if (k != previous + 1)
            {
                sb.Append("@@ -").Append(script[k].LineA).Append(" +").Append(script[k].LineB).Append(" @@\n");
            }
            sb.Append(script[k].Op).Append(script[k].Text).Append('\n');
            previous = k;
            printed++;
        }
        return printed < 80 ? sb.ToString() : sb.Append("... (diff cut at 80 lines)\n").ToString();
    }

    // This file sits in Infrastructure/, one level below the project folder that holds _snapshots/.
    private static string SnapshotFolder([CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(thisFile))!, "_snapshots");
}
