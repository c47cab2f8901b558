using System.CommandLine;
using System.Globalization;
using EdgeJamba.Generated;
using EdgeJamba.Layout;
using EdgeJamba.Runtime;

namespace EdgeJamba.Cli;

/// <summary>Pieces every command shares: the model options, error handling, atomic file output.</summary>
internal static class Cli
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int SomeRequestsFailed = 3;
    public const int Interrupted = 130;

    public static Option<string?> ModelOption() => new("--model", "-m")
    {
        Description = "Hugging Face model folder (config.json, *.safetensors, tokenizer); default: the model embedded in this binary",
    };

    /// <summary>The model embedded in this executable (checked against its hashes), or null.</summary>
    public static EmbeddedModel? Embedded() => EmbeddedModel.TryOpen(typeof(Cli).Assembly);

    public static Option<int?> ContextOption() => new Option<int?>("--ctx")
    {
        Description = "Maximum context in tokens (sizes the KV cache); default min(max_position_embeddings, 4096)",
    }.Range(1, EdgeJamba.Spec.SpecReader.MaxDimension);

    public static Option<EngineChoice> EngineOption() => new("--engine")
    {
        Description = "auto: specialized code when compiled in, else generic; generic; specialized",
        DefaultValueFactory = _ => EngineChoice.Auto,
    };

    /// <summary>The <c>--threads</c> option: threads sharing each matrix product (results do not depend on it).</summary>
    public static Option<int> ThreadsOption() => new Option<int>("--threads")
    {
        Description = "Threads sharing each matrix product (default: the processor count); the output is the same for any count",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    }.Range(1, 1024);

    /// <summary>
    /// Runs a command body, turning a user's mistake into one line on stderr and exit code 1. A closed stdout
    /// (<c>| head</c>) ends the run quietly with exit code 0. Nothing reaches the user as a stack trace: an
    /// unexpected exception is reported as an internal error in one line.
    /// </summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (UsageException e)
        {
            Error(e.Message);
            return Usage;
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
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Error(e.Message);
            return Failed;
        }
        catch (OutOfMemoryException)
        {
            Error("not enough memory for this model and context; lower --ctx or use a machine with more memory");
            return Failed;
        }
#pragma warning disable CA1031 // the last line of defence: an edge binary must not print a stack trace
        catch (Exception e)
#pragma warning restore CA1031
        {
            Error($"internal error ({e.GetType().Name}): {e.Message}");
            return Failed;
        }
    }

    public static void Error(string message) => Console.Error.WriteLine("edgejamba: error: " + message);

    /// <summary>The files of the --model folder, else of the model embedded in this binary; null when there is neither.</summary>
    public static ModelFiles? Files(string? directory) => directory is not null ? ModelFiles.FromDirectory(directory) : Embedded();

    /// <param name="directory">The --model folder; null for the model embedded in this binary.</param>
    /// <param name="engine">Engine preference.</param>
    /// <param name="maxContext">--ctx.</param>
    /// <param name="threads">Threads the model's matrix products run on.</param>
    /// <param name="checkWeights">Scan the weights for NaN/Inf.</param>
    public static LoadedModel Load(string? directory, EngineChoice engine, int? maxContext, int threads = 1, bool checkWeights = false) =>
        Load(Files(directory) ?? throw new EdgeJambaException("no model given: pass --model DIR (a Hugging Face folder with config.json and safetensors weights); this binary embeds no model"),
            engine, maxContext, threads, checkWeights);

    /// <summary>
    /// Opens a model, saying on stderr which engine runs it and which checkpoint tensors the layout does
    /// not use (they are ignored); with <paramref name="checkWeights"/>, also the first NaN or infinite weight.
    /// The model's matrix products run on <paramref name="threads"/> threads.
    /// </summary>
    public static LoadedModel Load(ModelFiles files, EngineChoice engine, int? maxContext, int threads = 1, bool checkWeights = false)
    {
        var loaded = ModelLoader.Load(files, engine, maxContext, GeneratedModels.TryCreate, message => Console.Error.WriteLine("edgejamba: " + message));
        loaded.Model.SetThreads(threads);
        string directory = files.Name;
        var expected = LayoutTensors.All(loaded.Layout).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        if (loaded.Layout.Projections == ProjectionFormat.Ternary)
        {
            expected.UnionWith(expected.Select(TensorNames.WeightScale).ToList()); // the scales beside packed ternary weights
        }
        var unused = loaded.Checkpoint.TensorNames.Where(name => !expected.Contains(name)).Order(StringComparer.Ordinal).ToList();
        if (unused.Count > 0)
        {
            string list = string.Join(", ", unused.Take(5)) + (unused.Count > 5 ? $" and {unused.Count - 5} more" : "");
            Console.Error.WriteLine($"edgejamba: warning: {directory}: {unused.Count} checkpoint tensor(s) are not part of the layout and are ignored: {list}");
        }
        if (checkWeights && loaded.Checkpoint.FindNonFinite() is { } bad)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"edgejamba: warning: tensor '{bad.Tensor.Name}' in '{bad.Tensor.FilePath}' has a non-finite weight ({bad.Value}) at element {bad.Element} of {bad.Tensor.ShapeText}; the output will be meaningless"));
        }
        return loaded;
    }

    public static Option<bool> CheckWeightsOption() => new("--check-weights")
    {
        Description = "Scan every weight for NaN or infinity before running and warn about the first one",
    };

    /// <summary>Refuses values of <paramref name="option"/> outside [<paramref name="min"/>, <paramref name="max"/>] with a message naming it (values that do not parse get the parser's own message).</summary>
    public static T Range<T>(this T option, long min, long max)
        where T : Option
    {
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && long.TryParse(r.Tokens[^1].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) && (value < min || value > max))
            {
                r.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be between {min} and {max}, not {value}"));
            }
        });
        return option;
    }

    private static bool IsBrokenPipe(IOException e) => e.HResult == 32 || e.Message.Contains("Broken pipe", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A command line that cannot work (flags that exclude each other): exit code <see cref="Cli.Usage"/>.</summary>
internal sealed class UsageException(string message) : EdgeJambaException(message);
