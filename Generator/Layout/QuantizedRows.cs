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
}
