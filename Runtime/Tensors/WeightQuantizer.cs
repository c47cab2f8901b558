using System.Runtime.Intrinsics;

namespace EdgeJamba.Runtime;

/// <summary>Post-training quantization of float weights into the formats the kernels multiply.</summary>
public static class WeightQuantizer
{
    /// <summary>Floor of a matrix's mean |W| before it divides the weights (BitNet's 1e-5).</summary>
    public const float TernaryEpsilon = 1e-5f;

    /// <summary>
    /// BitNet b1.58 absmean ternarization of one matrix (HF's online BitLinear): <c>γ = max(mean|W|, 1e-5)</c>,
    /// <c>values = clamp(round_half_to_even(W / γ), −1, 1)</c>; returns γ, so that <c>W ≈ γ · values</c>. The mean is taken in float64.
    /// </summary>
    public static float Ternarize(ReadOnlySpan<float> weights, Span<sbyte> values)
    {
        if (values.Length != weights.Length)
        {
            throw new ArgumentException($"{weights.Length} weights need as many values, not {values.Length}.", nameof(values));
        }
        double total = 0;
        foreach (float w in weights)
        {
            total += Math.Abs(w);
        }
        float gamma = MathF.Max(weights.IsEmpty ? 0f : (float)(total / weights.Length), TernaryEpsilon);
        float inverse = 1f / gamma;
        for (int i = 0; i < weights.Length; i++)
        {
            values[i] = (sbyte)Math.Clamp(MathF.Round(weights[i] * inverse, MidpointRounding.ToEven), -1f, 1f);
        }
        return gamma;
    }

    /// <summary>
    /// llama.cpp's Q8_0 of one row of <paramref name="weights"/>: per block of 32, <c>d = max|w| / 127</c>,
    /// <c>q = round(w / d)</c> (ties away from zero, as C's roundf); <paramref name="quants"/> holds the row padded to whole
    /// 128-column blocks (zero past the weights) and <paramref name="scales"/> one <c>d</c> per 32 of them.
    /// </summary>
    public static void QuantizeQ8Row(ReadOnlySpan<float> weights, Span<sbyte> quants, Span<float> scales)
    {
        int padded = Layout.QuantizedRows.PadColumns(weights.Length), block = Layout.QuantizedRows.Q8Block;
        if (quants.Length != padded || scales.Length != padded / block)
        {
            throw new ArgumentException($"a row of {weights.Length} weights needs {padded} quants and {padded / block} scales, not {quants.Length} and {scales.Length}.",
                nameof(quants));
        }
        quants.Clear();
        scales.Clear();
        for (int b = 0; b * block < weights.Length; b++)
        {
            ReadOnlySpan<float> values = weights.Slice(b * block, Math.Min(block, weights.Length - (b * block)));
            Span<sbyte> codes = quants.Slice(b * block, values.Length);
            scales[b] = Vector256.IsHardwareAccelerated && values.Length == block ? QuantizeQ8Block256(values, codes) : QuantizeQ8Block(values, codes);
        }
    }

    private static float QuantizeQ8Block(ReadOnlySpan<float> values, Span<sbyte> codes)
    {
        float absMax = 0f;
        foreach (float v in values)
        {
            absMax = MathF.Max(absMax, MathF.Abs(v));
        }
        float d = absMax / 127f, inverse = d != 0 ? 1f / d : 0f;
        for (int i = 0; i < values.Length; i++)
        {
            codes[i] = (sbyte)MathF.Round(values[i] * inverse, MidpointRounding.AwayFromZero);
        }
        return d;
    }

    /// <summary>
    /// <see cref="QuantizeQ8Block"/> of a whole block of 32 in four vectors, the same codes and scale: the maximum propagates NaN
    /// as <see cref="MathF.Max(float, float)"/> does, and <c>t + trunc(2 · (q − t))</c> with <c>t = trunc(q)</c> rounds half away
    /// from zero exactly (both steps are exact in float32).
    /// </summary>
    private static float QuantizeQ8Block256(ReadOnlySpan<float> values, Span<sbyte> codes)
    {
        var v0 = Vector256.Create(values);
        var v1 = Vector256.Create(values[8..]);
        var v2 = Vector256.Create(values[16..]);
        var v3 = Vector256.Create(values[24..]);
        var max = Vector256.Max(Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
        float absMax = 0f;
        for (int i = 0; i < Vector256<float>.Count; i++)
        {
            absMax = MathF.Max(absMax, max[i]);
        }
        float d = absMax / 127f, inverse = d != 0 ? 1f / d : 0f;
        var scale = Vector256.Create(inverse);
        var low = Vector256.Narrow(Codes(v0 * scale), Codes(v1 * scale));
        var high = Vector256.Narrow(Codes(v2 * scale), Codes(v3 * scale));
        Vector256.Narrow(low, high).CopyTo(codes);
        return d;

        // Codes lie in [−127, 127]; a NaN converts to int.MinValue, which narrows to 0 as the scalar cast gives.
        static Vector256<int> Codes(Vector256<float> q)
        {
            var whole = Vector256.Truncate(q);
            var fraction = q - whole;
            return Vector256.ConvertToInt32Native(whole + Vector256.Truncate(fraction + fraction));
        }
    }
}
