using System.CommandLine;
using System.Globalization;
using System.Text;
using EdgeJamba.Runtime;
using EdgeJamba.Runtime.Generation;
using EdgeJamba.Runtime.Tokenization;

namespace EdgeJamba.Cli;

/// <summary>
/// <c>edgejamba perplexity FILE --model DIR [--engine] [--ctx N]</c>: teacher-forced evaluation of a text file,
/// chunked to the context (state reset per chunk, as the trainer evaluates); prints tokens, nats per token,
/// bits per byte and perplexity.
/// </summary>
internal static class PerplexityCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "UTF-8 text file to evaluate" };
        var model = Cli.ModelOption();
        var threads = Cli.ThreadsOption();
        var engine = Cli.EngineOption();
        var context = Cli.ContextOption();
        context.Description = "Chunk length in tokens: the state is reset every N tokens (default: the model's context)";
        var command = new Command("perplexity", "Teacher-forced loss of a text file: tokens, nats per token, bits per byte") { file, model, engine, context, threads };
        command.SetAction(parse => Cli.Run(() =>
        {
            string path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new EdgeJambaException($"{path}: file not found");
            }
            string text;
            try
            {
                text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(path));
            }
            catch (DecoderFallbackException)
            {
                throw new EdgeJambaException($"{path}: not valid UTF-8 text");
            }
            var files = Cli.Files(parse.GetValue(model)) ?? throw new EdgeJambaException("no model given: pass --model DIR; this binary embeds no model");
            // The chunk length is not the KV-cache size: a chunk within the default context keeps the default layout
            // (and so its specialized code); a longer one sizes the cache for itself.
            int? chunk = parse.GetValue(context);
            int defaultContext = ModelLoader.ReadLayout(files, null).MaxContext;
            using var loaded = Cli.Load(files, parse.GetValue(engine), chunk > defaultContext ? chunk : null, parse.GetValue(threads));
            int chunkLength = chunk ?? loaded.Layout.MaxContext;
            var tokenizer = TokenizerLoader.Load(files, loaded.Layout.VocabSize, message => Console.Error.WriteLine("edgejamba: " + message));
            var tokens = new List<int>();
            if (tokenizer.AddBos && tokenizer.BosId is int bos)
            {
                tokens.Add(bos);
            }
            tokens.AddRange(tokenizer.Encode(text));
            var result = Perplexity.Evaluate(loaded.Model, tokens, chunkLength, Perplexity.TokenByteCounts(tokenizer));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"tokens {tokens.Count} (predicted {result.PredictedTokens}, {result.PredictedBytes} bytes), ctx {chunkLength}, engine {loaded.Model.EngineName}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"nats/token {result.NatsPerToken:0.00000}  bits/byte {result.BitsPerByte:0.00000}  perplexity {result.Perplexity:0.0000}"));
            return Cli.Ok;
        }));
        return command;
    }
}
