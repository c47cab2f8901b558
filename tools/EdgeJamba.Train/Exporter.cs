using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace EdgeJamba.Train;

/// <summary>
/// Writes the Hugging Face style folder: <c>config.json</c>, <c>model.safetensors</c> (F32, HF tensor names),
/// <c>tokenizer.json</c> (byte-level BPE with the 256 bytes as its vocabulary and no merges: id = byte value),
/// the witness <c>libtorch_logits.f32</c> + <c>libtorch_logits.json</c>, and <c>training.json</c>.
/// </summary>
internal static class Exporter
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    public static void Export(JambaForCausalLM model, JambaConfig config, TrainOptions options, TrainingSummary summary)
    {
        Directory.CreateDirectory(options.Out);
        File.WriteAllText(Path.Combine(options.Out, "config.json"), config.ToHfJson().ToJsonString(s_indented) + "\n");
        WriteSafetensors(Path.Combine(options.Out, "model.safetensors"), model);
        File.WriteAllText(Path.Combine(options.Out, "tokenizer.json"), ByteTokenizerJson().ToJsonString(s_indented) + "\n");
        WriteWitness(options.Out, model, config);
        var training = new JsonObject
        {
            ["corpus_bytes_train_fraction"] = 0.9,
            ["steps"] = summary.Steps,
            ["batch"] = options.Batch,
            ["ctx"] = options.Context,
            ["lr"] = options.LearningRate,
            ["min_lr"] = options.MinLearningRate,
            ["warmup"] = options.Warmup,
            ["weight_decay"] = options.WeightDecay,
            ["seed"] = options.Seed,
            ["ternary_projections"] = options.Ternary,
            ["threads"] = options.Threads,
            ["parameters"] = summary.Parameters,
            ["seconds"] = Math.Round(summary.Seconds),
            ["heldout_nats_per_byte"] = summary.HeldoutNatsPerByte,
            ["heldout_predicted_bytes"] = summary.HeldoutPredictedBytes,
        };
        File.WriteAllText(Path.Combine(options.Out, "training.json"), training.ToJsonString(s_indented) + "\n");
    }

    private static void WriteSafetensors(string path, JambaForCausalLM model)
    {
        var tensors = model.named_parameters().OrderBy(p => p.name, StringComparer.Ordinal).ToList();
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        foreach ((string name, var p) in tensors)
        {
            long bytes = p.numel() * sizeof(float);
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(p.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        file.Write(length);
        file.Write(json);
        file.Write(Enumerable.Repeat((byte)' ', padded - json.Length).ToArray());
        foreach ((_, var p) in tensors)
        {
            WriteFloats(file, TensorData.ToFloats(p));
        }
    }

    private static void WriteFloats(Stream stream, float[] values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        }
        stream.Write(bytes);
    }

    /// <summary>The logits libtorch computes for <see cref="Trainer.WitnessText"/> (one forward, empty state).</summary>
    private static void WriteWitness(string directory, JambaForCausalLM model, JambaConfig config)
    {
        model.eval();
        using var noGrad = no_grad();
        long[] tokens = Encoding.UTF8.GetBytes(Trainer.WitnessText).Select(b => (long)b).ToArray();
        float[] logits = TensorData.ToFloats(model.forward(TensorData.FromLongs(tokens).unsqueeze(0)));
        using (var file = File.Create(Path.Combine(directory, "libtorch_logits.f32")))
        {
            WriteFloats(file, logits);
        }
        var manifest = new JsonObject
        {
            ["source"] = "TorchSharp 0.107.0 / libtorch 2.10.0 CPU, float32, one teacher-forced forward from an empty state (tools/EdgeJamba.Train)" +
                (config.TernaryProjections ? "; projections in BitNet b1.58 ternary weights × per-token int8 inputs (the QAT forward)" : ""),
            ["file"] = "libtorch_logits.f32",
            ["dtype"] = "float32 little-endian",
            ["shape"] = new JsonArray(tokens.Length, config.VocabSize),
            ["text"] = Trainer.WitnessText,
            ["tokens"] = new JsonArray(tokens.Select(t => (JsonNode)t).ToArray()),
        };
        File.WriteAllText(Path.Combine(directory, "libtorch_logits.json"), manifest.ToJsonString(s_indented) + "\n");
    }

    /// <summary>GPT-2's byte ↔ printable-character table: id b is the character standing for byte b.</summary>
    private static JsonObject ByteTokenizerJson()
    {
        var vocabulary = new JsonObject();
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            char c = printable ? (char)b : (char)(256 + extra++);
            vocabulary[c.ToString()] = b;
        }
        JsonObject ByteLevel() => new() { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = true };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(),
            ["normalizer"] = null,
            ["pre_tokenizer"] = ByteLevel(),
            ["post_processor"] = null,
            ["decoder"] = ByteLevel(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocabulary,
                ["merges"] = new JsonArray(),
            },
        };
    }
}
