using System.CommandLine;
using EdgeJamba.Runtime;
using EdgeJamba.Runtime.Import;

namespace EdgeJamba.Cli;

/// <summary><c>edgejamba import DIR [-o SPEC] [--quant q8_0|ternary]</c>: the layout spec of a Hugging Face model folder.</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("DIR") { Description = "Hugging Face model folder" };
        var output = new Option<string?>("--out", "-o") { Description = "Write the spec to this file (default: stdout)" };
        var name = new Option<string?>("--name") { Description = "Model name in the spec (a C# identifier; default from the folder name)" };
        var quant = new Option<string?>("--quant")
        {
            Description = "Projection weight format: f32 (as stored), q8_0 or ternary (post-training, quantized at load)",
        }.AcceptOnlyFromAmong("f32", "q8_0", "ternary");
        var context = Cli.ContextOption();
        var command = new Command("import", "Write the model-layout spec of a Hugging Face config.json") { directory, output, name, quant, context };
        command.SetAction(parse => Cli.Run(() =>
        {
            var layout = HfConfigImporter.Import(parse.GetValue(directory)!, parse.GetValue(context));
            if (parse.GetValue(quant) is { } format)
            {
                layout = HfConfigImporter.Quantize(layout, HfConfigImporter.ParseQuant(format), "--quant " + format);
            }
            if (parse.GetValue(name) is { } n)
            {
                layout = layout with { Name = n };
            }
            string spec = SpecWriter.Write(layout);
            var check = EdgeJamba.Spec.SpecReader.Read(spec);
            if (check.Layout is null)
            {
                throw new EdgeJambaException("--name: " + string.Join("; ", check.Problems.Select(p => p.Message)));
            }
            if (parse.GetValue(output) is { } path)
            {
                AtomicFile.Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(spec)));
            }
            else
            {
                Console.Out.Write(spec);
            }
            return Cli.Ok;
        }));
        return command;
    }
}
