using System.Diagnostics;
using CsCheck;

namespace EdgeJamba.Fuzz;

/// <summary>What a fuzzing run did: executions, time, and the first finding (null when none).</summary>
public sealed record FuzzReport(string Target, long Executions, TimeSpan Elapsed, string? Finding);

/// <summary>
/// Runs a target on its seeds, then on CsCheck-generated mutations of them (<see cref="Mutator"/>), for a
/// number of iterations or of seconds. A failure is shrunk by CsCheck to the fewest, smallest edits; the
/// finding gives CsCheck's seed to replay it and the failing input in Base64.
/// </summary>
public static class FuzzRunner
{
    public static FuzzReport Run(FuzzTarget target, long iterations, int seconds = -1, string? seed = null, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(target);
        var clock = Stopwatch.StartNew();
        long executions = 0;
        try
        {
            foreach (byte[] input in target.Seeds)
            {
                executions++;
                target.Run(input);
            }
            Mutator.Cases(target.Seeds.Count).Sample(
                fuzzCase =>
                {
                    Interlocked.Increment(ref executions);
                    target.Run(Mutator.Apply(fuzzCase, target.Seeds));
                },
                seed: seed,
                iter: iterations,
                time: seconds,
                threads: threads,
                print: fuzzCase => Describe(fuzzCase, target));
        }
#pragma warning disable CA1031 // every exception that escapes a target is a finding to report
        catch (Exception e)
#pragma warning restore CA1031
        {
            return new FuzzReport(target.Name, executions, clock.Elapsed, e.ToString());
        }
        return new FuzzReport(target.Name, executions, clock.Elapsed, null);
    }

    private static string Describe(FuzzCase fuzzCase, FuzzTarget target)
    {
        byte[] input = Mutator.Apply(fuzzCase, target.Seeds);
        string edits = string.Join(", ", fuzzCase.Edits.Select(e => $"({e.Kind} {e.A} {e.B} {e.C})"));
        return $"seed input {fuzzCase.Seed}, edits [{edits}], {input.Length} bytes: " + (input.Length <= 65536 ? Convert.ToBase64String(input) : "(too long to print)");
    }
}
