using System.CommandLine;
using EdgeJamba.Cli;

// edgejamba: prompt on stdin, completion on stdout, everything else on stderr.
// Exit codes: 0 success, 1 bad input (a file, a field, a value; one clear message, never a stack trace),
// 2 a bad command line (unknown flag, missing value, flags that exclude each other), 3 some requests of
// --jsonl / --each-line failed (each one says why), 130 interrupted (Ctrl+C: what was generated is flushed). A reader that goes away (`| head -c 10`) ends
// the run quietly with 0: the output it wanted was delivered.
var root = new RootCommand("EdgeJamba: run a small language model on the CPU. The prompt is read from stdin; the completion is written to stdout.");
GenerateCommand.Configure(root);
root.Subcommands.Add(LogitsCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(RandomModelCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(BuildCommand.Create());
root.Subcommands.Add(PerplexityCommand.Create());
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // stdout carries completions only: a bad command line is one message per problem on stderr, exit code 2.
    foreach (var error in parsed.Errors)
    {
        Cli.Error(error.Message);
    }
    Console.Error.WriteLine("edgejamba: see `edgejamba --help`");
    return Cli.Usage;
}
return parsed.Invoke();
