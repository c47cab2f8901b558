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

    /// <summary>Whether the projections are quantized (ternary or q8_0) and multiplied with int8-quantized inputs.</summary>
    protected bool Quantized => Model.Projections != ProjectionFormat.Dense;

    /// <summary>The C# type of a weight held in <paramref name="format"/>.</summary>
    public static string WeightType(ProjectionFormat format) => format switch
    {
        ProjectionFormat.Ternary => "TernaryMatrix",
        ProjectionFormat.Q8_0 => "Q8Matrix",
        _ => "Matrix",
    };

    /// <summary>
    /// The checkpoint call binding <paramref name="tensor"/> (a C# expression) of shape <paramref name="rows"/> x
    /// <paramref name="cols"/> in <paramref name="format"/> (ternary scales read as <paramref name="scale"/> says); a float
    /// weight read only by matrix products (<paramref name="product"/>) keeps its stored 16-bit form.
    /// </summary>
    public static string BindWeight(ProjectionFormat format, TernaryScale scale, string tensor, string rows, string cols, bool product = true) => format switch
    {
        ProjectionFormat.Ternary => "checkpoint.Ternary(" + tensor + ", " + rows + ", " + cols + ", TernaryScale." + scale + ")",
        ProjectionFormat.Q8_0 => "checkpoint.Q8(" + tensor + ", " + rows + ", " + cols + ")",
        _ => "checkpoint." + (product ? "Weight(" : "Matrix(") + tensor + ", " + rows + ", " + cols + ")",
    };

    /// <summary>The C# type of a projection weight in the model's format.</summary>
    protected string ProjectionType => WeightType(Model.Projections);

    /// <summary>The checkpoint call binding projection <paramref name="tensor"/> (a C# expression) in the model's format.</summary>
    protected string BindProjection(string tensor, string rows, string cols) => BindWeight(Model.Projections, Model.TernaryScale, tensor, rows, cols);

    /// <summary>A projection weight, in the model's projection format.</summary>
    protected WeightField Projection(string field, string tensor, string rows, string cols) => new WeightField(field, tensor, rows, cols, format: Model.Projections, product: true);

    /// <summary>
    /// Writes <paramref name="destination"/> = <paramref name="weight"/>·<paramref name="input"/> for <c>count</c> rows of
    /// <paramref name="width"/>: a float product, or the input quantized to int8 (per token for ternary, per block for q8_0)
    /// unless <paramref name="quantized"/> says the scratch already holds it, then the integer product; <paramref name="count"/> is
    /// the expression for the number of rows.
    /// </summary>
    protected void Project(SourceWriter w, string weight, string input, string width, string destination, bool quantized = false, string count = "count")
    {
        switch (Model.Projections)
        {
            case ProjectionFormat.Ternary:
                if (!quantized)
                {
                    w.Line("Kernels.QuantizeInt8Rows(" + input + ", " + count + ", " + width + ", s.Xq, s.XqScales);");
                }
                w.Line("pool.TernaryMatMul(" + weight + ", s.Xq, s.XqScales, " + count + ", " + destination + ");");
                break;
            case ProjectionFormat.Q8_0:
                if (!quantized)
                {
                    w.Line("Kernels.QuantizeQ8Rows(" + input + ", " + count + ", " + width + ", s.Xq, s.XqScales);");
                }
                w.Line("pool.Q8MatMul(" + weight + ", s.Xq, s.XqScales, " + count + ", " + destination + ");");
                break;
            default:
                FloatProduct(w, weight, input, width, destination, count);
                break;
        }
    }

    /// <summary>
    /// Writes the float product <paramref name="destination"/> = <paramref name="weight"/>·<paramref name="input"/> for
    /// <paramref name="count"/> rows of <paramref name="width"/> (a constant's name) columns, built for that width.
    /// </summary>
    protected void FloatProduct(SourceWriter w, string weight, string input, string width, string destination, string count = "count")
    {
        w.Line("pool.MatMul<" + WidthType(width) + ">(" + weight + ", " + input + ", " + count + ", " + destination + ");");
    }

    /// <summary>The struct carrying the value of the constant <paramref name="width"/> as a type argument (see <see cref="ColumnsType"/>).</summary>
    protected string WidthType(string width)
    {
        if (!_constants.TryGetValue(width, out long columns))
        {
            columns = width == "HiddenSize" ? Model.HiddenSize
                : throw new System.InvalidOperationException("The width " + width + " is not one of this part's constants (Constants() is written before Forward).");
        }
        if (!_widths.Contains(columns))
        {
            _widths.Add(columns);
        }
        return ColumnsType(columns);
    }

    /// <summary>The widths carried as type arguments so far (<see cref="WidthType"/>), in order of first use.</summary>
    public IReadOnlyList<long> Widths => _widths;

    private readonly List<long> _widths = new List<long>();

    private readonly Dictionary<string, long> _constants = new Dictionary<string, long>();

    /// <summary>The struct that carries a width of <paramref name="columns"/> to a product (or a Mamba state size to a scan) as a type argument.</summary>
    public static string ColumnsType(long columns) => "Columns" + SourceWriter.Int(columns);

    /// <summary>
    /// Writes the struct carrying a width of <paramref name="columns"/> (<c>IColumnCount</c>): a product whose weight has that
    /// many columns, or a selective scan whose state rows have, then runs code built for exactly that width.
    /// </summary>
    public static void WriteColumnsType(SourceWriter w, long columns)
    {
        w.Line("/// <summary>The width " + SourceWriter.Int(columns) + " as a type argument: products over " + SourceWriter.Int(columns) +
            " columns (and scans over state rows of " + SourceWriter.Int(columns) + ") run code built for it.</summary>");
        w.Line("[GeneratedCode(" + SourceWriter.Quote(ModelEmitter.GeneratorName) + ", " + SourceWriter.Quote(ModelEmitter.GeneratorVersion) + ")]");
        using (w.Block("internal readonly struct " + ColumnsType(columns) + " : IColumnCount"))
        {
            w.Line("public static int Count => " + SourceWriter.Int(columns) + ";");
        }
    }

    /// <summary>BitNet's sub-norm: <paramref name="rows"/> RMS-normalized in place, row by row, by the weight <paramref name="field"/>.</summary>
    protected static void SubNorm(SourceWriter w, string rows, string width, string field)
    {
        using (w.Block("for (int t = 0; t < count; t++)"))
        {
            w.Line("Kernels.RmsNorm(" + rows + ".Slice(t * " + width + ", " + width + "), w." + field + ".Row(0), Eps, " + rows + ".Slice(t * " + width + ", " + width + "));");
        }
    }

    /// <summary>One line describing the part, for the layer's summary comment.</summary>
    public abstract string Describe();

    /// <summary>Constant declarations, each a whole line such as <c>public const int Heads = 8; // num_attention_heads</c>.</summary>
    public abstract IEnumerable<string> Constants();

    /// <summary>A constant's declaration, its value remembered for the products over a width of that name (<see cref="FloatProduct"/>).</summary>
    protected string Const(string name, long value, string comment)
    {
        _constants[name] = value;
        return "public const int " + name + " = " + SourceWriter.Int(value) + "; // " + comment;
    }

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
    public WeightField(string field, string tensor, string rows, string cols, string? blocks = null, ProjectionFormat format = ProjectionFormat.Dense, bool product = false)
    {
        Field = field;
        Tensor = tensor;
        Rows = rows;
        Cols = cols;
        Blocks = blocks;
        Format = format;
        Product = product;
    }

    public string Field { get; }

    public string Tensor { get; }

    public string Rows { get; }

    public string Cols { get; }

    /// <summary>How the weight is held: a float <c>Matrix</c>, a <c>TernaryMatrix</c> (bound with the model's <c>TernaryScale</c>) or a <c>Q8Matrix</c>.</summary>
    public ProjectionFormat Format { get; }

    /// <summary>
    /// Read only by the matrix products: a float weight bound with <c>Checkpoint.Weight</c>, so a 16-bit tensor stays
    /// 16-bit (widened on the fly) instead of being widened to float32 at load.
    /// </summary>
    public bool Product { get; }

    /// <summary>For a tensor stored as <c>[Blocks, Rows, Cols]</c> (bound as the <c>[Blocks·Rows, Cols]</c> matrix), the block count; else null.</summary>
    public string? Blocks { get; }
}
