using System.Globalization;
using System.Reflection;
using EdgeJamba.Fuzz;

// edgejamba-fuzz TARGET SECONDS [--seed CSCHECK_SEED] [--threads N]: runs one target (or "all") for a bounded
// time and prints executions and findings; exit code 1 when something was found.
if (args.Length < 2 || !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) || seconds < 1)
{
    Console.Error.WriteLine("usage: EdgeJamba.Fuzz TARGET|all SECONDS [--seed SEED] [--threads N]");
    return 2;
}
string? seed = Option("--seed");
int threads = Option("--threads") is { } t ? int.Parse(t, CultureInfo.InvariantCulture) : 1;
string? repoRoot = typeof(FuzzTargets).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "EdgeJambaRepoRoot")?.Value;
using var targets = new FuzzTargets(repoRoot);
var chosen = args[0] == "all" ? targets.Targets : [targets[args[0]]];
int found = 0;
foreach (var target in chosen)
{
    var report = FuzzRunner.Run(target, iterations: long.MaxValue, seconds, seed, threads);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{report.Target}: {report.Executions} executions in {report.Elapsed.TotalSeconds:F0} s ({report.Executions / Math.Max(report.Elapsed.TotalSeconds, 1e-9):F0}/s), findings: {(report.Finding is null ? 0 : 1)}"));
    if (report.Finding is not null)
    {
        found++;
        Console.WriteLine(report.Finding);
    }
}
return found == 0 ? 0 : 1;

string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
