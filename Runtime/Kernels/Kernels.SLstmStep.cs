namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// One step of the sLSTM cell (NX-AI <c>slstm</c> pointwise part, sigmoid forget gate), for every unit u of the
    /// gate pre-activations (input, recurrent and bias terms already summed):
    /// <code>
    /// lfm = m[u] + logsigmoid(forgetGate[u])
    /// m'  = inputGate[u] when n[u] == 0 (the first step), else max(inputGate[u], lfm)
    /// ig  = min(exp(inputGate[u] − m'), 1);  fg = min(exp(lfm − m'), 1)
    /// c[u] = fg·c[u] + ig·tanh(cellInput[u]);  n[u] = fg·n[u] + ig;  m[u] = m'
    /// destination[u] = sigmoid(outputGate[u])·c[u] / n[u]      (no epsilon)
    /// </code>
    /// all in float32, from a zero state. The first-step test is per unit (the package's CUDA kernel); for one sequence
    /// every unit's n is zero exactly at the first step, as in its whole-state test.
    /// </summary>
    /// <param name="inputGate">The input-gate pre-activations, D values.</param>
    /// <param name="forgetGate">The forget-gate pre-activations, D values.</param>
    /// <param name="cellInput">The cell-input (z) pre-activations, D values.</param>
    /// <param name="outputGate">The output-gate pre-activations, D values.</param>
    /// <param name="c">The cell state, D values; updated.</param>
    /// <param name="n">The normalizer state, D values; updated.</param>
    /// <param name="m">The stabilizer state, D values; updated.</param>
    /// <param name="destination">The cell output y, D values (the recurrent state y); must not overlap the gates.</param>
    /// <exception cref="ArgumentException">A length does not match.</exception>
    public static void SLstmStep(
        ReadOnlySpan<float> inputGate, ReadOnlySpan<float> forgetGate, ReadOnlySpan<float> cellInput, ReadOnlySpan<float> outputGate,
        Span<float> c, Span<float> n, Span<float> m, Span<float> destination)
    {
        int units = inputGate.Length;
        RequireLength(forgetGate, units);
        RequireLength(cellInput, units);
        RequireLength(outputGate, units);
        RequireLength(c, units);
        RequireLength(n, units);
        RequireLength(m, units);
        RequireLength(destination, units);
        for (int u = 0; u < units; u++)
        {
            float f = forgetGate[u], i = inputGate[u];
            float lfm = m[u] + (MathF.Min(f, 0f) - float.LogP1(MathF.Exp(-MathF.Abs(f))));
            float mNew = n[u] == 0f ? i : MathF.Max(i, lfm);
            float ig = MathF.Min(MathF.Exp(i - mNew), 1f);
            float fg = MathF.Min(MathF.Exp(lfm - mNew), 1f);
            c[u] = (fg * c[u]) + (ig * MathF.Tanh(cellInput[u]));
            n[u] = (fg * n[u]) + ig;
            m[u] = mNew;
            destination[u] = c[u] / (1f + MathF.Exp(-outputGate[u])) / n[u];
        }
    }

    /// <summary>
    /// The sLSTM over a chunk of <paramref name="count"/> tokens, with <c>D = y.Length</c> units in H = <paramref name="heads"/> heads of
    /// <c>DH = D / H</c>: for each token t in order, row t of <paramref name="gates"/> <c>[i | f | z | o]</c> gets the recurrent term of the
    /// previous output added (for each gate g, <see cref="BlockDiagonalMatVec"/> of slab g of <paramref name="recurrentKernel"/> and y, through
    /// <paramref name="recurrent"/>), then <see cref="SLstmStep"/> updates (c, n, m, y), then <see cref="LayerNorm"/> of each head of y by its
    /// slice of <paramref name="normWeight"/> is row t of <paramref name="destination"/>.
    /// </summary>
    /// <param name="gates">The input, bias included, and recurrent pre-activations <c>[count, 4·D]</c>, gate-major in each row; updated.</param>
    /// <param name="recurrentKernel">The recurrent kernel <c>[4, D, DH]</c>: per gate, H blocks of <c>[DH, DH]</c>.</param>
    /// <param name="heads">The number of heads H; positive, divides D.</param>
    /// <param name="recurrent">Scratch for the recurrent term, 4·D values.</param>
    /// <param name="c">The cell state, D values; updated.</param>
    /// <param name="n">The normalizer state, D values; updated.</param>
    /// <param name="m">The stabilizer state, D values; updated.</param>
    /// <param name="y">The previous cell output (the recurrent state), D values; updated.</param>
    /// <param name="normWeight">The per-head norm's weight, D values.</param>
    /// <param name="normEps">The per-head norm's epsilon.</param>
    /// <param name="count">Tokens, 1 or more.</param>
    /// <param name="destination">The normalized outputs <c>[count, D]</c>; must not overlap the other spans.</param>
    /// <exception cref="ArgumentException">A length does not match.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not positive.</exception>
    public static void SLstmChunk(
        Span<float> gates, ReadOnlySpan<float> recurrentKernel, int heads, Span<float> recurrent, Span<float> c, Span<float> n, Span<float> m, Span<float> y,
        ReadOnlySpan<float> normWeight, float normEps, int count, Span<float> destination)
    {
        CheckSLstmChunk(gates, recurrentKernel, heads, recurrent, c, n, m, y, normWeight, count, destination);
        SLstmHeads(gates, recurrentKernel, heads, recurrent, c, n, m, y, normWeight, normEps, count, destination, 0, heads);
    }

    /// <summary>Checks the arguments of <see cref="SLstmChunk"/>.</summary>
    internal static void CheckSLstmChunk(
        ReadOnlySpan<float> gates, ReadOnlySpan<float> recurrentKernel, int heads, ReadOnlySpan<float> recurrent, ReadOnlySpan<float> c,
        ReadOnlySpan<float> n, ReadOnlySpan<float> m, ReadOnlySpan<float> y, ReadOnlySpan<float> normWeight, int count, ReadOnlySpan<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        int units = y.Length;
        if (heads <= 0 || units == 0 || units % heads != 0)
        {
            Throw(nameof(heads), $"{heads} heads do not split the {units} units evenly.");
        }

        RequireLength(recurrentKernel, 4 * units * (units / heads));
        RequireLength(recurrent, 4 * units);
        RequireLength(c, units);
        RequireLength(n, units);
        RequireLength(m, units);
        RequireLength(normWeight, units);
        RequireAtLeast(gates, (long)count * 4 * units);
        RequireAtLeast(destination, (long)count * units);
    }

    /// <summary>
    /// <see cref="SLstmChunk"/> of heads <c>[start, end)</c> only (the recurrent kernel is block-diagonal: a head's units depend on
    /// its own previous outputs alone). Lengths checked by the caller.
    /// </summary>
    internal static void SLstmHeads(
        Span<float> gates, ReadOnlySpan<float> recurrentKernel, int heads, Span<float> recurrent, Span<float> c, Span<float> n, Span<float> m, Span<float> y,
        ReadOnlySpan<float> normWeight, float normEps, int count, Span<float> destination, int start, int end)
    {
        int units = y.Length, headDim = units / heads, first = start * headDim, length = (end - start) * headDim;
        Span<float> yHeads = y.Slice(first, length);
        for (int t = 0; t < count; t++)
        {
            Span<float> g = gates.Slice(t * 4 * units, 4 * units);
            for (int gate = 0; gate < 4; gate++)
            {
                Span<float> term = recurrent.Slice((gate * units) + first, length);
                BlockDiagonalMatVec(recurrentKernel.Slice((gate * units * headDim) + (first * headDim), length * headDim), end - start, yHeads, term);
                Add(term, g.Slice((gate * units) + first, length));
            }
            SLstmStep(g.Slice(first, length), g.Slice(units + first, length), g.Slice((2 * units) + first, length), g.Slice((3 * units) + first, length),
                c.Slice(first, length), n.Slice(first, length), m.Slice(first, length), yHeads);
            for (int head = start; head < end; head++)
            {
                LayerNorm(y.Slice(head * headDim, headDim), normWeight.Slice(head * headDim, headDim), normEps, destination.Slice((t * units) + (head * headDim), headDim));
            }
        }
    }
}
