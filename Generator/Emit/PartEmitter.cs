using System.Collections.Generic;
using EdgeJamba.Layout;

namespace EdgeJamba.Generator.Emit;

/// <summary>
/// Emits one half of a layer (its mixer or its feed-forward): shape constants, weight fields and
/// their binding, and the numbered steps of <c>Forward</c>. A layer class is one mixer part plus one
/// feed-forward part; adding a layer kind means adding one of these.
/// </summary>
internal abstract class PartEmitter
{
    protected PartEmitter(ModelLayout model, LayerLayout layer)
    {
        Model = model;
        Layer = layer;
        Names = TensorNames.For(model.Family);
    }

    protected ModelLayout Model { get; }

    protected LayerLayout Layer { get; }

    protected TensorNames Names { get; }

    /// <summary>One line describing the part, for the layer's summary comment.</summary>
    public abstract string Describe();

    /// <summary>Constant declarations, each a whole line such as <c>public const int Heads = 8; // num_attention_heads</c>.</summary>
    public abstract IEnumerable<string> Constants();

    protected static string Const(string name, long value, string comment) =>
        "public const int " + name + " = " + SourceWriter.Int(value) + "; // " + comment;

    /// <summary>Weight fields (<c>Matrix</c>) with the checkpoint tensor each one binds and its shape expression.</summary>
    public abstract IEnumerable<WeightField> Weights();

    /// <summary>Extra lines for the weights constructor after binding (precomputations).</summary>
    public virtual IEnumerable<string> Precompute() => System.Array.Empty<string>();

    /// <summary>Extra fields of the weights class (precomputed tables).</summary>
    public virtual IEnumerable<string> ExtraFields() => System.Array.Empty<string>();

    /// <summary>Writes the part's steps of <c>Forward</c>, numbering them from <paramref name="step"/>.</summary>
    public abstract void Forward(SourceWriter w, ref int step);

    protected static string Step(ref int step, string text) => "// " + (step++).ToString(System.Globalization.CultureInfo.InvariantCulture) + ". " + text;
}

/// <summary>A <c>Matrix</c> field of a layer's weights and the tensor it is bound to.</summary>
internal sealed class WeightField
{
    public WeightField(string field, string tensor, string rows, string cols, string? blocks = null, bool product = false)
    {
        Product = product;
        Field = field;
        Tensor = tensor;
        Rows = rows;
        Cols = cols;
        Blocks = blocks;
    }

    public string Field { get; }

    public string Tensor { get; }

    public string Rows { get; }

    public string Cols { get; }

    /// <summary>
    /// Read only by the matrix products: bound with <c>Checkpoint.Weight</c>, so a 16-bit tensor stays 16-bit (widened on
    /// the fly) instead of being widened to float32 at load.
    /// </summary>
    public bool Product { get; }

    /// <summary>For a tensor stored as <c>[Blocks, Rows, Cols]</c> (bound as the <c>[Blocks·Rows, Cols]</c> matrix), the block count; else null.</summary>
    public string? Blocks { get; }
}
