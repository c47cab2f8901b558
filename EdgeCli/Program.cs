using System.CommandLine;
using EdgeJamba.Cli;

// edgejamba: prompt on stdin, completion on stdout, everything else on stderr.
// Exit codes: 0 success, 1 bad input (a file, a field, a flag; one clear message), 130 interrupted.
var root = new RootCommand("EdgeJamba: run a small language model on the CPU. The prompt is read from stdin; the completion is written to stdout.");
GenerateCommand.Configure(root);
root.Subcommands.Add(LogitsCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(RandomModelCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
return root.Parse(args).Invoke();
