using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// One time step of a depthwise causal 1-D convolution (Mamba's <c>conv1d</c>), without activation.
    /// With <c>C = x.Length</c> channels and kernel width <c>K = weight.Length / C</c>, each row of
    /// <paramref name="convState"/> is shifted left by one, <c>x[c]</c> is written into column <c>K − 1</c>,
    /// then <c>destination[c] = Σ_k weight[c·K + k]·convState[c·K + k] + bias[c]</c> (bias 0 when empty).
    /// </summary>
    /// <param name="x">This step's input, one value per channel (the pre-convolution <c>x</c> of in_proj).</param>
    /// <param name="convState">The last K inputs per channel, <c>[C, K]</c> row-major, newest in column K − 1; updated.</param>
    /// <param name="weight">The filters, <c>[C, K]</c> row-major (HF <c>conv1d.weight</c> <c>[C, 1, K]</c>);
    /// <c>weight[c·K + K − 1]</c> multiplies the newest input.</param>
    /// <param name="bias">One value per channel, or empty for no bias.</param>
    /// <param name="destination">The output, C values; may be <paramref name="x"/> itself.</param>
    /// <exception cref="ArgumentException"><paramref name="x"/> is empty, <c>weight.Length</c> is not a positive
    /// multiple of C, or another length does not match.</exception>
    /// <remarks>K = 4, the usual width, runs as straight-line code.</remarks>
    public static void CausalConv1dStep(ReadOnlySpan<float> x, Span<float> convState, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> destination)
    {
        int channels = x.Length;
        if (channels == 0 || weight.Length == 0 || weight.Length % channels != 0)
        {
            Throw(nameof(weight), $"weight has {weight.Length} elements; expected a positive multiple of the {channels} channels.");
        }

        RequireLength(convState, weight.Length);
        RequireLength(destination, channels);
        if (!bias.IsEmpty)
        {
            RequireLength(bias, channels);
        }

        int width = weight.Length / channels;
        if (width == 4)
        {
            CausalConv1dStep4(x, convState, weight, bias, destination);
        }
        else
        {
            CausalConv1dStepAnyWidth(x, convState, weight, bias, destination, width);
        }
    }

    /// <summary>
    /// Mamba's convolution over a chunk of <paramref name="count"/> tokens: for each token in order,
    /// <see cref="CausalConv1dStep"/> of its input row through <paramref name="convState"/>, then <see cref="Silu(Span{float})"/>
    /// of the output row, with <c>C = destination.Length / count</c> channels.
    /// </summary>
    /// <param name="x">The inputs, token t's C values from <c>t·xStride</c> (e.g. the x half of in_proj's <c>[x | z]</c> rows).</param>
    /// <param name="xStride">Elements from one token's input to the next, at least C.</param>
    /// <param name="convState">As for <see cref="CausalConv1dStep"/>; updated through all the tokens.</param>
    /// <param name="weight">As for <see cref="CausalConv1dStep"/>.</param>
    /// <param name="bias">As for <see cref="CausalConv1dStep"/>.</param>
    /// <param name="count">Tokens, 1 or more.</param>
    /// <param name="destination">The activated outputs <c>[count, C]</c>; must not overlap <paramref name="x"/>.</param>
    /// <exception cref="ArgumentException">A length does not match.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not positive or <paramref name="xStride"/> is below C.</exception>
    public static void CausalConv1dSilu(ReadOnlySpan<float> x, int xStride, Span<float> convState, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        int count, Span<float> destination)
    {
        int channels = CheckCausalConv1dSilu(x, xStride, convState, weight, bias, count, destination);
        CausalConv1dSiluChannels(x, xStride, convState, weight, bias, count, destination, 0, channels);
    }

    /// <summary>Checks the arguments of <see cref="CausalConv1dSilu"/> and returns the number of channels.</summary>
    internal static int CheckCausalConv1dSilu(ReadOnlySpan<float> x, int xStride, ReadOnlySpan<float> convState, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, int count, ReadOnlySpan<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        int channels = destination.Length / count;
        RequireLength(destination, count * channels);
        ArgumentOutOfRangeException.ThrowIfLessThan(xStride, channels);
        RequireAtLeast(x, ((long)(count - 1) * xStride) + channels);
        if (channels == 0 || weight.Length == 0 || weight.Length % channels != 0)
        {
            Throw(nameof(weight), $"weight has {weight.Length} elements; expected a positive multiple of the {channels} channels.");
        }

        RequireLength(convState, weight.Length);
        if (!bias.IsEmpty)
        {
            RequireLength(bias, channels);
        }

        return channels;
    }

    /// <summary>
    /// <see cref="CausalConv1dSilu"/> of channels <c>[start, end)</c> only (each channel's bits do not depend on the others, given
    /// <paramref name="start"/> a multiple of 16; see <see cref="Map{TOperator}(ReadOnlySpan{float}, Span{float}, int, int)"/>). Lengths checked by the caller.
    /// </summary>
    internal static void CausalConv1dSiluChannels(ReadOnlySpan<float> x, int xStride, Span<float> convState, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, int count, Span<float> destination, int start, int end)
    {
        int channels = destination.Length / count, width = weight.Length / channels, n = end - start;
        Span<float> state = convState.Slice(start * width, n * width);
        ReadOnlySpan<float> filters = weight.Slice(start * width, n * width);
        ReadOnlySpan<float> biases = bias.IsEmpty ? bias : bias.Slice(start, n);
        for (int t = 0; t < count; t++)
        {
            Span<float> row = destination.Slice(t * channels, channels);
            CausalConv1dStep(x.Slice((t * xStride) + start, n), state, filters, biases, row[start..end]);
            Map<SiluOperator>(row, row, start, end);
        }
    }

    /// <summary>
    /// <see cref="CausalConv1dStep"/> for K = 4: a channel's state row is one 128-bit vector, shifted by a shuffle with the new
    /// input put in its last lane, and its four products are summed in order, <c>((k0·s0 + k1·s1) + k2·s2) + k3·s3</c>, then the bias.
    /// </summary>
    private static void CausalConv1dStep4(ReadOnlySpan<float> x, Span<float> convState, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> destination)
    {
        ref float state = ref MemoryMarshal.GetReference(convState);
        ref float w = ref MemoryMarshal.GetReference(weight);
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float bs = ref MemoryMarshal.GetReference(bias);
        ref float ds = ref MemoryMarshal.GetReference(destination);
        bool hasBias = !bias.IsEmpty;
        for (nuint c = 0; c < (nuint)x.Length; c++)
        {
            ref float s = ref Unsafe.Add(ref state, 4 * c);
            var window = Vector128.Shuffle(Vector128.LoadUnsafe(ref s), Vector128.Create(1, 2, 3, 3)).WithElement(3, Unsafe.Add(ref xs, c));
            window.StoreUnsafe(ref s);
            var p = Vector128.LoadUnsafe(ref w, 4 * c) * window;
            float sum = ((p.GetElement(0) + p.GetElement(1)) + p.GetElement(2)) + p.GetElement(3);
            Unsafe.Add(ref ds, c) = hasBias ? sum + Unsafe.Add(ref bs, c) : sum;
        }
    }

    private static void CausalConv1dStepAnyWidth(ReadOnlySpan<float> x, Span<float> convState, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> destination, int width)
    {
        for (int c = 0; c < x.Length; c++)
        {
            Span<float> s = convState.Slice(c * width, width);
            ReadOnlySpan<float> k = weight.Slice(c * width, width);
            s[1..].CopyTo(s);
            s[^1] = x[c];
            float sum = 0f;
            for (int j = 0; j < width; j++)
            {
                sum += k[j] * s[j];
            }

            destination[c] = bias.IsEmpty ? sum : sum + bias[c];
        }
    }
}
