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
}
