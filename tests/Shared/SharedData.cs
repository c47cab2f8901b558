namespace EdgeJamba.Tests;

/// <summary>
/// Locates the shared reference data (tiny models with peer logits, the stories260K model, corpora)
/// that lives beside the checkout. Tests that need it call <see cref="RequireDirectory"/>, which
/// skips the test with a clear message when the folder is absent (a fresh clone).
/// </summary>
public static class SharedData
{
    private static readonly Lazy<string?> s_root = new(FindRoot);

    /// <summary>The shared folder, or null when it is not there.</summary>
    public static string? Root => s_root.Value;

    /// <summary>The repository root (the folder that holds EdgeJamba.sln).</summary>
    public static string RepoRoot => s_repoRoot.Value;

    private static readonly Lazy<string> s_repoRoot = new(FindRepoRoot);

    /// <summary>Path of <paramref name="relative"/> inside the shared folder; skips the test when absent.</summary>
    public static string RequireDirectory(string relative)
    {
        string? root = Root;
        Skip.If(root is null, "shared reference data not found (set EDGEJAMBA_SHARED or place 'shared' beside the checkout); skipped.");
        string path = Path.Combine(root!, relative);
        Skip.If(!Directory.Exists(path) && !File.Exists(path), $"shared data '{relative}' not found; skipped.");
        return path;
    }

    private static string? FindRoot()
    {
        string? env = Environment.GetEnvironmentVariable("EDGEJAMBA_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
        {
            return env;
        }
        string candidate = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
        // The repository root is resolved lazily so EDGEJAMBA_SHARED works from anywhere.
        return Directory.Exists(Path.Combine(candidate, "reference")) ? candidate : null;
    }

    private static string FindRepoRoot()
    {
        // The build records the checkout's location; the binaries' folder and the working directory are fallbacks.
        string? recorded = typeof(SharedData).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "EdgeJambaRepoRoot")?.Value;
        foreach (string start in new[] { recorded ?? "", AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            if (start.Length == 0)
            {
                continue;
            }
            var dir = new DirectoryInfo(start);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EdgeJamba.sln")))
            {
                dir = dir.Parent;
            }
            if (dir is not null)
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("EdgeJamba.sln not found above " + AppContext.BaseDirectory + " or the working directory");
    }
}
