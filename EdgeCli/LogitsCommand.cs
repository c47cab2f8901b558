using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using EdgeJamba.Runtime;

namespace EdgeJamba.Cli;

/// <summary>
/// <c>edgejamba logits --model DIR --tokens 1,403,407 --out FILE [--engine generic|specialized] [--threads N]</c>: the
/// teacher-forced logits of a token sequence as float32 little-endian <c>[n_tokens, vocab]</c>.
/// This interface is used by parity checks; keep it stable.
/// </summary>
internal static class LogitsCommand
{
    public static Command Create()
    {
        var model = Cli.ModelOption();
        var tokens = new Option<string>("--tokens") { Description = "Comma-separated token ids", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output file: float32 little-endian [n_tokens, vocab]", Required = true };
        var engine = Cli.EngineOption();
        var context = Cli.ContextOption();
        var checkWeights = Cli.CheckWeightsOption();
        var threads = Cli.ThreadsOption();
        var command = new Command("logits", "Write the logits of every position of a token sequence (teacher forcing)") { model, tokens, output, engine, context, checkWeights, threads };
        command.SetAction(parse => Cli.Run(() =>
        {
            int[] ids = ParseTokens(parse.GetValue(tokens)!);
            using var loaded = Cli.Load(parse.GetValue(model), parse.GetValue(engine), parse.GetValue(context), parse.GetValue(threads), parse.GetValue(checkWeights));
            int vocab = loaded.Layout.VocabSize;
            if (ids.Length > loaded.Layout.MaxContext)
            {
                throw new EdgeJambaException($"--tokens: {ids.Length} tokens exceed the context of {loaded.Layout.MaxContext}; raise --ctx");
            }
            for (int i = 0; i < ids.Length; i++)
            {
                if ((uint)ids[i] >= (uint)vocab)
                {
                    throw new EdgeJambaException($"--tokens: id {ids[i]} at position {i} is outside the vocabulary (0..{vocab - 1})");
                }
            }
            var all = new float[(long)ids.Length * vocab];
            for (int t = 0; t < ids.Length; t++)
            {
                loaded.Model.Forward(ids[t], t).CopyTo(all.AsSpan(t * vocab, vocab));
            }
            AtomicFile.Write(parse.GetValue(output)!, stream => stream.Write(MemoryMarshal.AsBytes(all.AsSpan())));
            return Cli.Ok;
        }));
        return command;
    }

    private static int[] ParseTokens(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]))
            {
                throw new EdgeJambaException($"--tokens: '{parts[i]}' at position {i} is not a token id (expected comma-separated non-negative integers)");
            }
        }
        return ids;
    }
}
