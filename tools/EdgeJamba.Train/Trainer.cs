using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace EdgeJamba.Train;

/// <summary>Byte-level training of <see cref="JambaForCausalLM"/> on a text corpus, then the export.</summary>
internal static class Trainer
{
    /// <summary>The fixed byte sequence whose logits the export records as the cross-implementation witness.</summary>
    public const string WitnessText = "ROMEO:\nBut soft, what light through yonder window breaks?\n";

    public static void Run(TrainOptions o)
    {
        var clock = new Clock();
        torch.set_num_threads(o.Threads);
        SelectiveScan.Threads = o.Threads;
        torch.manual_seed(o.Seed);
        byte[] corpus = File.ReadAllBytes(o.Corpus);
        // First 90% trains, the last 10% is held out (cut at a byte; the corpus is ASCII).
        int cut = (int)(corpus.LongLength * 9 / 10);
        byte[] train = corpus[..cut];
        byte[] heldout = corpus[cut..];
        if (o.WriteHeldout is { } heldoutPath)
        {
            File.WriteAllBytes(heldoutPath, heldout);
        }
        Log(clock, $"corpus {corpus.Length} bytes: train {train.Length}, held-out {heldout.Length}; threads {o.Threads}, seed {o.Seed}");

        var config = new JambaConfig { TernaryProjections = o.Ternary };
        var model = new JambaForCausalLM(config);
        long parameters = model.parameters().Sum(p => p.numel());
        Log(clock, $"model: {parameters} parameters; {o.Steps} steps of {o.Batch}×{o.Context} bytes; lr {o.LearningRate} → {o.MinLearningRate}, warmup {o.Warmup}" +
            (o.Ternary ? "; ternary projections (BitNet b1.58 QAT)" : ""));

        // Weight decay on matrices only (projections, experts, embedding); none on norms, biases, A_log, D, conv.
        var named = model.named_parameters().ToList();
        bool Decays((string Name, Parameter P) n) => n.P.dim() == 2 && !n.Name.EndsWith("A_log", StringComparison.Ordinal);
        var optimizer = torch.optim.AdamW(
            [
                new AdamW.ParamGroup(named.Where(Decays).Select(n => n.Item2), new AdamW.Options { weight_decay = o.WeightDecay }),
                new AdamW.ParamGroup(named.Where(n => !Decays(n)).Select(n => n.Item2), new AdamW.Options { weight_decay = 0.0 }),
            ],
            lr: o.LearningRate, beta1: 0.9, beta2: 0.95);

        Tensor trainTokens = TensorData.FromBytes(train);
        var random = new Random(o.Seed);
        Tensor offsets = arange(o.Context + 1, dtype: ScalarType.Int64);
        double runningLoss = 0;
        int runningCount = 0;
        int step = 0;
        for (; step < o.Steps; step++)
        {
            if (clock.Seconds > o.TimeLimitMinutes * 60)
            {
                Log(clock, $"time limit of {o.TimeLimitMinutes} min reached at step {step}; stopping early");
                break;
            }
            double lr = LearningRate(step, o);
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = lr;
            }
            using (NewDisposeScope())
            {
                model.train();
                long[] starts = Enumerable.Range(0, o.Batch).Select(_ => (long)random.NextInt64(train.Length - o.Context - 1)).ToArray();
                Tensor windows = trainTokens.take(TensorData.FromLongs(starts).unsqueeze(1) + offsets);
                Tensor input = windows.narrow(1, 0, o.Context);
                Tensor target = windows.narrow(1, 1, o.Context);
                Tensor logits = model.forward(input);
                Tensor loss = F.cross_entropy(logits.reshape(-1, config.VocabSize), target.reshape(-1));
                Tensor total = loss + (config.RouterAuxLossCoef * model.AuxLoss());
                optimizer.zero_grad();
                total.backward();
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                optimizer.step();
                runningLoss += loss.item<float>();
                runningCount++;
            }
            if ((step + 1) % 25 == 0 || step < 3)
            {
                Log(clock, $"step {step + 1}/{o.Steps} lr {lr:0.00000} train {runningLoss / runningCount:0.0000} nats/byte");
                runningLoss = 0;
                runningCount = 0;
            }
            if ((step + 1) % o.EvalEvery == 0 && step + 1 < o.Steps)
            {
                int bytes = Math.Min(o.EvalBytes, heldout.Length);
                double partial = Evaluate(model, heldout.AsSpan(0, bytes).ToArray(), o.Context, o.Batch);
                Log(clock, $"step {step + 1} held-out (first {bytes} bytes) {partial:0.0000} nats/byte");
                // A checkpoint export at every evaluation: a run cut short still leaves a model behind.
                Exporter.Export(model, config, o, new TrainingSummary(step + 1, partial, bytes - 1, parameters, clock.Seconds));
            }
        }
        double full = Evaluate(model, heldout, o.Context, o.Batch);
        Log(clock, $"final after {step} steps: held-out {full:0.0000} nats/byte ({full / Math.Log(2):0.0000} bits/byte) over {heldout.Length - 1} predicted bytes, ctx {o.Context}");
        Exporter.Export(model, config, o, new TrainingSummary(step, full, heldout.Length - 1, parameters, clock.Seconds));
        Log(clock, $"exported to {o.Out}");
    }

    /// <summary>Linear warmup to the peak, then cosine decay to the minimum at the last step.</summary>
    private static double LearningRate(int step, TrainOptions o)
    {
        if (step < o.Warmup)
        {
            return o.LearningRate * (step + 1) / o.Warmup;
        }
        double progress = (double)(step - o.Warmup) / Math.Max(1, o.Steps - o.Warmup);
        return o.MinLearningRate + (0.5 * (o.LearningRate - o.MinLearningRate) * (1 + Math.Cos(Math.PI * progress)));
    }

    /// <summary>
    /// Teacher-forced mean negative log-likelihood in nats per byte. The text is cut into consecutive chunks of
    /// <paramref name="context"/> inputs, each starting from an empty state: chunk k feeds bytes
    /// <c>[k·ctx, (k+1)·ctx)</c> and predicts <c>[k·ctx+1, (k+1)·ctx+1)</c>, so every byte but the first is
    /// predicted exactly once. <c>edgejamba perplexity</c> does the same.
    /// </summary>
    public static double Evaluate(JambaForCausalLM model, byte[] text, int context, int batch)
    {
        model.eval();
        using var noGrad = no_grad();
        Tensor tokens = TensorData.FromBytes(text);
        int predicted = text.Length - 1;
        int fullChunks = predicted / context;
        double sum = 0;
        for (int first = 0; first < fullChunks; first += batch)
        {
            using var scope = NewDisposeScope();
            int count = Math.Min(batch, fullChunks - first);
            Tensor starts = arange(first, first + count, dtype: ScalarType.Int64).unsqueeze(1) * context;
            Tensor windows = tokens.take(starts + arange(context + 1, dtype: ScalarType.Int64));
            Tensor logits = model.forward(windows.narrow(1, 0, context));
            sum += F.cross_entropy(logits.reshape(-1, logits.shape[2]), windows.narrow(1, 1, context).reshape(-1), reduction: nn.Reduction.Sum).item<float>();
        }
        int rest = predicted - (fullChunks * context);
        if (rest > 0)
        {
            using var scope = NewDisposeScope();
            Tensor window = tokens.narrow(0, fullChunks * context, rest + 1).unsqueeze(0);
            Tensor logits = model.forward(window.narrow(1, 0, rest));
            sum += F.cross_entropy(logits.reshape(-1, logits.shape[2]), window.narrow(1, 1, rest).reshape(-1), reduction: nn.Reduction.Sum).item<float>();
        }
        return sum / predicted;
    }

    private static void Log(Clock clock, string message) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Seconds,7:0.0}s] {message}"));
}

/// <summary>What the export records about the run (training.json).</summary>
internal sealed record TrainingSummary(int Steps, double HeldoutNatsPerByte, int HeldoutPredictedBytes, long Parameters, double Seconds);
