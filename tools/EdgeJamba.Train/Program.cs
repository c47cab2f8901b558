using System.Diagnostics;
using System.Globalization;

namespace EdgeJamba.Train;

internal static class Program
{
    private static int Main(string[] args)
    {
        TrainOptions options;
        try
        {
            options = TrainOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine(TrainOptions.Usage);
            return 1;
        }
        // Before any TorchSharp type is touched: the native library must be loadable on Debian 12.
        ElfVersionPatch.PatchTorchSharp();
        Trainer.Run(options);
        return 0;
    }
}

/// <summary>Command-line options of the trainer.</summary>
internal sealed record TrainOptions
{
    public const string Usage =
        "usage: edgejamba-train --corpus FILE --out DIR [--steps N] [--batch B] [--ctx T] [--lr X] [--min-lr X] [--warmup N]\n" +
        "                       [--weight-decay X] [--eval-every N] [--eval-bytes N] [--threads N] [--seed N]\n" +
        "                       [--time-limit-minutes M] [--write-heldout FILE] [--ternary]";

    public string Corpus { get; init; } = "";
    public string Out { get; init; } = "";
    public int Steps { get; init; } = 1500;
    public int Batch { get; init; } = 16;
    public int Context { get; init; } = 256;
    public double LearningRate { get; init; } = 3e-3;
    public double MinLearningRate { get; init; } = 3e-4;
    public int Warmup { get; init; } = 100;
    public double WeightDecay { get; init; } = 0.1;
    public int EvalEvery { get; init; } = 100;
    public int EvalBytes { get; init; } = 16384;
    public int Threads { get; init; } = 1;
    public int Seed { get; init; } = 1234;
    public double TimeLimitMinutes { get; init; } = 50;
    public string? WriteHeldout { get; init; }

    /// <summary>BitNet b1.58 quantization-aware training of the projections a ternary build converts (<see cref="Projection"/>).</summary>
    public bool Ternary { get; init; }

    public static TrainOptions Parse(string[] args)
    {
        var o = new TrainOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            int Int() => int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new ArgumentException($"{name} needs a positive integer");
            double Real() => double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= 0 ? v : throw new ArgumentException($"{name} needs a non-negative number");
            o = name switch
            {
                "--corpus" => o with { Corpus = Value() },
                "--out" => o with { Out = Value() },
                "--steps" => o with { Steps = Int() },
                "--batch" => o with { Batch = Int() },
                "--ctx" => o with { Context = Int() },
                "--lr" => o with { LearningRate = Real() },
                "--min-lr" => o with { MinLearningRate = Real() },
                "--warmup" => o with { Warmup = Int() },
                "--weight-decay" => o with { WeightDecay = Real() },
                "--eval-every" => o with { EvalEvery = Int() },
                "--eval-bytes" => o with { EvalBytes = Int() },
                "--threads" => o with { Threads = Int() },
                "--seed" => o with { Seed = Int() },
                "--time-limit-minutes" => o with { TimeLimitMinutes = Real() },
                "--write-heldout" => o with { WriteHeldout = Value() },
                "--ternary" => o with { Ternary = true },
                _ => throw new ArgumentException($"unknown option {name}"),
            };
        }
        if (o.Corpus.Length == 0 || o.Out.Length == 0)
        {
            throw new ArgumentException("--corpus and --out are required");
        }
        return o;
    }
}

/// <summary>Wall-clock helper for progress lines.</summary>
internal sealed class Clock
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();

    public double Seconds => _watch.Elapsed.TotalSeconds;
}
