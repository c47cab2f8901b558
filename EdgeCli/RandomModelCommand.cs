using System.CommandLine;
using EdgeJamba.Runtime.Import;

namespace EdgeJamba.Cli;

/// <summary>
/// <c>edgejamba random-model --spec FILE -o DIR [--seed N]</c>: a seeded random-weight model folder for a
/// spec (weights + the spec), runnable with <c>--model DIR</c>. Its text is noise: it exercises the
/// machinery, it is not a language model.
/// </summary>
internal static class RandomModelCommand
{
    public static Command Create()
    {
        var spec = new Option<string>("--spec") { Description = "Model-layout spec (*.model.json)", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Folder to write", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of the weights", DefaultValueFactory = _ => 1 };
        var command = new Command("random-model", "Write a seeded random-weight model folder for a layout spec") { spec, output, seed };
        command.SetAction(parse => Cli.Run(() =>
        {
            var layout = SpecFile.Load(parse.GetValue(spec)!);
            RandomCheckpoint.Write(layout, parse.GetValue(output)!, parse.GetValue(seed));
            return Cli.Ok;
        }));
        return command;
    }
}
