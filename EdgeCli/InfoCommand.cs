using System.CommandLine;
using System.Globalization;
using System.Runtime.Intrinsics;
using EdgeJamba.Generated;
using EdgeJamba.Layout;
using EdgeJamba.Runtime;

namespace EdgeJamba.Cli;

/// <summary><c>edgejamba info [--model DIR]</c>: the machine, the compiled-in models, and a model's memory plan.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var model = Cli.ModelOption();
        var engine = Cli.EngineOption();
        var context = Cli.ContextOption();
        var command = new Command("info", "Show the vector ISA, the compiled-in models and a model's memory plan") { model, engine, context };
        command.SetAction(parse => Cli.Run(() =>
        {
            var o = Console.Out;
            string isa = Vector512.IsHardwareAccelerated ? "512-bit vectors, reductions at 256 bits" : Vector256.IsHardwareAccelerated ? "256-bit vectors" :
                Vector128.IsHardwareAccelerated ? "128-bit vectors" : "scalar";
            o.WriteLine($"kernels: {isa} ({System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}); int8 dot: {Kernels.Int8DotPath}");
            o.WriteLine("compiled-in layouts:");
            foreach (var layout in GeneratedModels.All)
            {
                o.WriteLine($"  {layout.Name,-20} {LayoutHash.Compute(layout)}  {layout.Layers.Count} layers, hidden {layout.HiddenSize}, context {layout.MaxContext}");
            }
            if (Cli.Files(parse.GetValue(model)) is { } files)
            {
                using var loaded = Cli.Load(files, parse.GetValue(engine), parse.GetValue(context));
                var l = loaded.Layout;
                long weights = loaded.Checkpoint.MappedBytes + loaded.Checkpoint.OwnedBytes;
                long kvPerToken = MemoryPlan.KvBytesPerToken(l);
                long recurrent = MemoryPlan.RecurrentBytes(l);
                long state = MemoryPlan.StateBytes(l);
                o.WriteLine($"model: {files.Name}");
                o.WriteLine($"  engine:               {loaded.Model.EngineName} (layout {LayoutHash.Compute(l)})");
                o.WriteLine($"  layers:               {Describe(l)}");
                o.WriteLine($"  projections:          {l.Projections}");
                o.WriteLine($"  weights:              {Bytes(weights)} (mapped {Bytes(loaded.Checkpoint.MappedBytes)}, made at load {Bytes(loaded.Checkpoint.OwnedBytes)})");
                o.WriteLine($"  recurrent state:      {Bytes(recurrent)} (fixed)");
                o.WriteLine($"  KV cache per token:   {Bytes(kvPerToken)}");
                o.WriteLine($"  state at max context: {Bytes(state)} ({l.MaxContext} tokens); allocated {Bytes(loaded.Model.StateBytes)}");
                o.WriteLine($"  scratch:              {Bytes(loaded.Model.ScratchBytes)}");
                o.WriteLine($"  total at max context: {Bytes(weights + loaded.Model.StateBytes + loaded.Model.ScratchBytes)}");
            }
            return Cli.Ok;
        }));
        return command;
    }

    private static string Describe(ModelLayout layout)
    {
        int attention = layout.AttentionLayerCount;
        int mamba = layout.Layers.Count(x => x.Mixer is MambaLayout);
        int mlstm = layout.Layers.Count(x => x.Mixer is MLstmLargeLayout or MLstmNxaiLayout);
        int slstm = layout.Layers.Count(x => x.Mixer is SLstmLayout);
        int moe = layout.Layers.Count(x => x.Ffn is MoeLayout);
        return $"{layout.Layers.Count} ({attention} attention, {mamba} Mamba, {mlstm} mLSTM, {slstm} sLSTM; {moe} MoE)";
    }

    private static string Bytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes} B ({bytes / 1048576.0:F2} MiB)");
}
