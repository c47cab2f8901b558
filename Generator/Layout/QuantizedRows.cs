namespace EdgeJamba.Layout;

/// <summary>
/// The blocking of quantized projections: int8 activation rows and packed ternary weight rows are padded to whole
/// <see cref="Alignment"/>-column blocks, q8_0 rows are blocks of <see cref="Q8Block"/> with one scale each. Shared so that
/// the generated scratch buffers and the runtime's kernels agree.
/// </summary>
static partial class QuantizedRows
{
    /// <summary>Columns per packed ternary block (32 bytes of 2-bit codes, one 256-bit load); int8 rows are padded to it.</summary>
    public const int Alignment = 128;

    /// <summary>Columns per q8_0 block (llama.cpp's QK8_0): 32 int8 values sharing one scale.</summary>
    public const int Q8Block = 32;

    /// <summary><paramref name="cols"/> rounded up to a multiple of <see cref="Alignment"/>.</summary>
    public static int PadColumns(int cols) => checked((cols + Alignment - 1) / Alignment * Alignment);

    /// <summary>Scales per quantized activation row of <paramref name="cols"/> columns: one per row (ternary), one per block (q8_0).</summary>
    public static int ScalesPerRow(ProjectionFormat format, int cols) => format == ProjectionFormat.Q8_0 ? PadColumns(cols) / Q8Block : 1;

    /// <summary>
    /// Sizes of the int8 input buffer and its scales: <paramref name="chunk"/> rows of the <paramref name="widest"/> projection
    /// input for quantized projections, and one row of the hidden size, per q8_0 block, for a q8_0 classifier; (0, 0) for a
    /// model with neither. The generated scratch and the generic engine both size theirs by it.
    /// </summary>
    public static (long Codes, long Scales) InputBuffers(ModelLayout layout, int chunk, int widest)
    {
        bool projections = layout.Projections != ProjectionFormat.Dense, head = layout.LmHead != ProjectionFormat.Dense;
        long codes = projections ? chunk * (long)PadColumns(widest) : head ? PadColumns(layout.HiddenSize) : 0;
        long scales = System.Math.Max(projections ? chunk * (long)ScalesPerRow(layout.Projections, widest) : 0,
            head ? ScalesPerRow(layout.LmHead, layout.HiddenSize) : 0);
        return (codes, scales);
    }
}
