using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using EdgeJamba.Layout;
using EdgeJamba.Runtime;
using EdgeJamba.Runtime.Import;
using EdgeJamba.Runtime.Tokenization;

namespace EdgeJamba.Cli;

/// <summary>
/// <c>edgejamba build --model DIR [--embed] [--isa ISA] [--rid RID] [-o FILE]</c>: one executable specialized for
/// a checkpoint. It imports the folder's layout into a spec, then runs <c>dotnet publish</c> of the EdgeJamba
/// sources with that spec as the only compiled-in layout (the generator emits its code) and Native AOT for the
/// chosen instruction set; with <c>--embed</c> the model's files become resources of the executable (hashed,
/// checked at start). It needs the .NET SDK and the EdgeJamba source tree (found above the current folder or
/// this executable, or given with <c>--source</c>).
/// </summary>
internal static class BuildCommand
{
    /// <summary>The files of a model folder the runtime reads; only these are embedded.</summary>
    private static readonly string[] ModelFileNames =
    [
        TokenizerLoader.ConfigFile, TokenizerLoader.GenerationConfigFile, TokenizerLoader.TokenizerConfigFile,
        TokenizerLoader.HuggingFaceTokenizerFile, TokenizerLoader.SentencePieceFile, RandomCheckpoint.SpecFileName,
        Checkpoint.IndexFileName,
    ];

    private static readonly string[] Isas = ["native", "x86-64-v4", "x86-64-v3", "x86-64-v2"];

    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Hugging Face model folder to build for", Required = true };
        var embed = new Option<bool>("--embed") { Description = "Put the weights and tokenizer inside the executable (runs with no other file)" };
        var isa = new Option<string?>("--isa") { Description = "x86-64 instruction set: native, x86-64-v4 (AVX-512), x86-64-v3 (AVX2+FMA, default), x86-64-v2" };
        isa.AcceptOnlyFromAmong(Isas);
        var rid = new Option<string?>("--rid") { Description = "Target platform: linux-x64 or linux-arm64 (default: this machine's)" };
        rid.AcceptOnlyFromAmong("linux-x64", "linux-arm64");
        var output = new Option<string?>("--out", "-o") { Description = "The executable to write (default: the model's name, in the current folder)" };
        var source = new Option<string?>("--source") { Description = "EdgeJamba source tree (default: found above the current folder or this executable)" };
        var quant = new Option<string?>("--quant") { Description = "Projection weight format: f32 (as stored), q8_0 or ternary (post-training quantization, applied as the weights load)" };
        quant.AcceptOnlyFromAmong("f32", "q8_0", "ternary");
        var writeManifest = new Option<bool>("--write-manifest")
        {
            Description = "Only write DIR/edgejamba-embed.json (hashes of the model files), so that publishing EdgeCli with -p:EdgeJambaEmbedDir=DIR embeds the folder as it is (the default model ships this way)",
        };
        var keep = new Option<bool>("--keep-build") { Description = "Keep the build folder (spec, staged files, dotnet log) and print its path" };
        var context = Cli.ContextOption();
        var command = new Command("build", "Compile an executable specialized for a model folder, optionally with the model inside it")
        {
            model, embed, isa, rid, quant, output, source, keep, context, writeManifest,
        };
        command.SetAction(parse => Cli.Run(() =>
        {
            string targetRid = parse.GetValue(rid) ?? RuntimeInformation.RuntimeIdentifier;
            string? instructionSet = parse.GetValue(isa);
            if (instructionSet is not null && targetRid != "linux-x64")
            {
                throw new UsageException($"--isa {instructionSet} is an x86-64 instruction set; it does not apply to --rid {targetRid}");
            }
            var files = ModelFiles.FromDirectory(parse.GetValue(model)!);
            string directory = files.Name;
            if (parse.GetValue(writeManifest))
            {
                using (Checkpoint.Open(files))
                {
                    // The folder must load before it is declared fit to embed.
                }
                var names = ModelFileNamesIn(directory);
                string manifest = Path.Combine(directory, EmbeddedModel.ManifestFile);
                EmbeddedModel.WriteManifest(directory, names, files.ModelName, manifest);
                Console.Error.WriteLine($"edgejamba: wrote {manifest} ({names.Count} files: {string.Join(", ", names)})");
                return Cli.Ok;
            }
            string sourceRoot = FindSource(parse.GetValue(source));

            Step(1, $"reading {directory}");
            var layout = ModelLoader.ReadLayout(files, parse.GetValue(context));
            if (parse.GetValue(quant) is { } format)
            {
                layout = HfConfigImporter.Quantize(layout, HfConfigImporter.ParseQuant(format), "--quant " + format);
            }
            using (Checkpoint.Open(files))
            {
                // Fails here, with the tensor named, rather than after the compile.
            }
            string target = Path.GetFullPath(parse.GetValue(output) ?? layout.Name);
            if (Directory.Exists(target))
            {
                throw new EdgeJambaException($"{target} is a folder; pass --out FILE to name the executable");
            }
            if (Path.GetDirectoryName(target) is { } targetFolder && !Directory.Exists(targetFolder))
            {
                throw new EdgeJambaException($"--out {parse.GetValue(output)}: the folder does not exist");
            }
            string work = Directory.CreateTempSubdirectory("edgejamba-build-").FullName;
            bool keepWork = parse.GetValue(keep);
            try
            {
                string spec = Path.Combine(work, layout.Name + ".model.json");
                File.WriteAllText(spec, SpecWriter.Write(layout));
                string embedDirectory = Path.Combine(work, "embed");
                if (parse.GetValue(embed))
                {
                    Step(2, "hashing the model's files to embed");
                    long bytes = Stage(directory, spec, embedDirectory, layout.Name);
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"edgejamba:       {bytes / 1048576.0:F1} MiB to embed"));
                }
                else
                {
                    Step(2, "the model stays outside the executable (pass --embed to put it inside)");
                }

                Step(3, $"compiling layout {layout.Name} (hash {LayoutHash.Compute(layout)}) for {targetRid}{(instructionSet is null ? "" : ", " + instructionSet)} with Native AOT; this takes a minute or two");
                string publishDirectory = Path.Combine(work, "out");
                var arguments = new List<string>
                {
                    "publish", Path.Combine(sourceRoot, "EdgeCli", "EdgeJamba.Cli.csproj"), "-c", "Release", "-r", targetRid,
                    "-o", publishDirectory, "--artifacts-path", Path.Combine(work, "artifacts"), "-nologo",
                    "-p:EdgeJambaSpecs=" + spec,
                    parse.GetValue(embed) ? "-p:EdgeJambaEmbedDir=" + embedDirectory : "-p:EdgeJambaEmbed=false",
                };
                if (instructionSet is not null)
                {
                    arguments.Add("-p:IlcInstructionSet=" + instructionSet);
                }
                string log = Path.Combine(work, "dotnet-publish.log");
                int exitCode = RunDotnet(arguments, log);
                string built = Path.Combine(publishDirectory, "edgejamba");
                if (exitCode != 0 || !File.Exists(built))
                {
                    keepWork = true;
                    var tail = File.ReadLines(log).TakeLast(30);
                    throw new EdgeJambaException($"dotnet publish failed (exit code {exitCode}); its last lines:\n  {string.Join("\n  ", tail)}\nfull log: {log}");
                }

                AtomicFile.Write(target, stream =>
                {
                    using var input = File.OpenRead(built);
                    input.CopyTo(stream);
                });
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(target, File.GetUnixFileMode(built));
                }
                Step(4, string.Create(CultureInfo.InvariantCulture, $"wrote {target} ({new FileInfo(target).Length / 1048576.0:F1} MiB)"));
                return Cli.Ok;
            }
            finally
            {
                if (keepWork)
                {
                    Console.Error.WriteLine($"edgejamba: build folder kept: {work}");
                }
                else
                {
                    Directory.Delete(work, recursive: true);
                }
            }
        }));
        return command;
    }

    private static void Step(int step, string text) => Console.Error.WriteLine($"edgejamba: [{step}/4] {text}");

    /// <summary>
    /// Links the model's files into <paramref name="embedDirectory"/> (no copy), with the built layout as the model's
    /// own <c>layout.model.json</c> (so the embedded model runs exactly the compiled-in layout, e.g. quantized), beside
    /// the manifest the runtime checks; returns their total size.
    /// </summary>
    private static long Stage(string modelDirectory, string spec, string embedDirectory, string name)
    {
        Directory.CreateDirectory(embedDirectory);
        var names = ModelFileNamesIn(modelDirectory).Where(f => f != RandomCheckpoint.SpecFileName).ToList();
        foreach (string file in names)
        {
            File.CreateSymbolicLink(Path.Combine(embedDirectory, file), Path.GetFullPath(Path.Combine(modelDirectory, file)));
        }
        File.Copy(spec, Path.Combine(embedDirectory, RandomCheckpoint.SpecFileName));
        names.Add(RandomCheckpoint.SpecFileName);
        EmbeddedModel.WriteManifest(embedDirectory, names, name, Path.Combine(embedDirectory, EmbeddedModel.ManifestFile));
        return names.Sum(f => new FileInfo(Path.Combine(embedDirectory, f)).Length);
    }

    /// <summary>The files of <paramref name="modelDirectory"/> the runtime reads (the ones to embed), in ordinal order.</summary>
    private static List<string> ModelFileNamesIn(string modelDirectory) =>
        [.. ModelFileNames.Concat(Directory.GetFiles(modelDirectory, "*.safetensors").Select(Path.GetFileName).OfType<string>())
            .Where(f => File.Exists(Path.Combine(modelDirectory, f)))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)];

    /// <summary>Runs dotnet with its output in <paramref name="log"/>, printing a line on stderr every 20 s so a long compile shows it is alive.</summary>
    private static int RunDotnet(List<string> arguments, string log)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        arguments.ForEach(info.ArgumentList.Add);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new EdgeJambaException($"cannot run `dotnet` ({e.Message}); `edgejamba build` needs the .NET SDK on PATH");
        }
        using (process)
        using (var writer = new StreamWriter(log))
        {
            var gate = new Lock();
            void Append(string? line)
            {
                if (line is not null)
                {
                    lock (gate)
                    {
                        writer.WriteLine(line);
                    }
                }
            }
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var clock = Stopwatch.StartNew();
            while (!process.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"edgejamba:       still compiling ({clock.Elapsed.TotalSeconds:F0} s)"));
            }
            process.WaitForExit(); // drains the output events
            return process.ExitCode;
        }
    }

    /// <summary>The EdgeJamba source tree: <paramref name="given"/>, else the first folder above the current one or above this executable that holds it.</summary>
    private static string FindSource(string? given)
    {
        const string Project = "EdgeCli/EdgeJamba.Cli.csproj";
        if (given is not null)
        {
            return File.Exists(Path.Combine(given, Project)) ? Path.GetFullPath(given)
                : throw new EdgeJambaException($"--source {given}: not an EdgeJamba source tree (no {Project})");
        }
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, Project)))
                {
                    return folder.FullName;
                }
            }
        }
        throw new EdgeJambaException($"cannot find the EdgeJamba source tree above the current folder or this executable; pass --source DIR (the folder with {Project})");
    }
}
