using System.CommandLine;
using System.Text;
using EdgeJamba.Generated;
using EdgeJamba.Layout;
using EdgeJamba.Runtime;

namespace EdgeJamba.Cli;

/// <summary>Pieces every command shares: the model options, error handling, atomic file output.</summary>
internal static class Cli
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Interrupted = 130;

    public static Option<string> ModelOption(bool required) => new("--model", "-m")
    {
        Description = "Hugging Face model folder (config.json, *.safetensors, tokenizer)",
        Required = required,
    };

    public static Option<int?> ContextOption() => new("--ctx")
    {
        Description = "Maximum context in tokens (sizes the KV cache); default min(max_position_embeddings, 4096)",
        Validators = { r => { if (r.GetValueOrDefault<int?>() is < 1 or > SpecReaderLimits.MaxContext) { r.AddError($"--ctx must be between 1 and {SpecReaderLimits.MaxContext}"); } } },
    };

    public static Option<EngineChoice> EngineOption() => new("--engine")
    {
        Description = "auto: specialized code when compiled in, else generic; generic; specialized",
        DefaultValueFactory = _ => EngineChoice.Auto,
    };

    /// <summary>Runs a command body, turning a user's mistake into one line on stderr and exit code 1.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (EdgeJambaException e)
        {
            Error(e.Message);
            return Failed;
        }
        catch (IOException e) when (IsBrokenPipe(e))
        {
            return Ok; // the reader went away (e.g. `| head`): stop quietly
        }
        catch (UnauthorizedAccessException e)
        {
            Error(e.Message);
            return Failed;
        }
    }

    public static void Error(string message) => Console.Error.WriteLine("edgejamba: error: " + message);

    public static LoadedModel Load(string directory, EngineChoice engine, int? maxContext) =>
        ModelLoader.Load(directory, engine, maxContext, GeneratedModels.TryCreate, message => Console.Error.WriteLine(message));

    /// <summary>Writes a file completely or not at all: a temporary file in the same folder, then a rename.</summary>
    public static void WriteAtomically(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (folder is null || !Directory.Exists(folder))
        {
            throw new EdgeJambaException($"{path}: the folder does not exist");
        }
        string temp = Path.Combine(folder, "." + Path.GetFileName(full) + "." + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                write(stream);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (IOException e)
        {
            throw new EdgeJambaException($"{path}: cannot be written: {e.Message}");
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    public static void WriteTextAtomically(string path, string text) => WriteAtomically(path, s => s.Write(Encoding.UTF8.GetBytes(text)));

    private static bool IsBrokenPipe(IOException e) => e.HResult == 32 || e.Message.Contains("Broken pipe", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Limits shared with the spec validator.</summary>
internal static class SpecReaderLimits
{
    public const int MaxContext = EdgeJamba.Spec.SpecReader.MaxDimension;
}
