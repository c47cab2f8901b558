namespace EdgeJamba.Runtime.Tests.KernelTests;

/// <summary>
/// Naive double-precision reference implementations, written from the definitions (ARCHITECTURES.md
/// and the kernels' documented semantics) and independent of the kernels' code.
/// </summary>
internal static class Oracle
{
    /// <summary>Σ x·y and Σ|x·y| (the magnitude that scales the float32 error).</summary>
    public static (double Sum, double Magnitude) Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        double sum = 0, magnitude = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double product = (double)x[i] * y[i];
            sum += product;
            magnitude += Math.Abs(product);
        }

        return (sum, magnitude);
    }

    public static double Silu(double x) => x / (1 + Math.Exp(-x));

    /// <summary>PyTorch softplus: x &gt; 20 ? x : log1p(exp(x)).</summary>
    public static double Softplus(double x) => x > 20 ? x : Log1p(Math.Exp(x));

    /// <summary>log(1 + e) to full double precision (Math.Log(1 + e) loses it when e is tiny).</summary>
    public static double Log1p(double e) =>
        Math.Abs(e) < 1e-4 ? e * (1 - (e * ((1.0 / 2) - (e * ((1.0 / 3) - (e / 4)))))) : Math.Log(1 + e);

    /// <summary>Exact GELU, x·Φ(x) = ½·x·erfc(−x/√2).</summary>
    public static double Gelu(double x)
    {
        double z = Math.Abs(x) / Math.Sqrt(2);
        return x < 0 ? 0.5 * x * Erfc(z) : 0.5 * x * (2 - Erfc(z));
    }

    public static double Relu2(double x) => x > 0 ? x * x : 0;

    /// <summary>
    /// erfc(z) for z ≥ 0. Below 3: 1 − erf(z), with erf from its series of positive terms
    /// erf(z) = 2/√π·e^(−z²)·Σ_n 2^n·z^(2n+1)/(1·3·…·(2n+1)) (no cancellation). From 3 up: the
    /// continued fraction erfc(z) = e^(−z²)/√π · 1/(z + (1/2)/(z + (2/2)/(z + (3/2)/(z + …)))),
    /// evaluated backwards from 200 terms.
    /// </summary>
    public static double Erfc(double z)
    {
        if (z < 3)
        {
            double term = z, sum = z;
            for (int n = 1; term > 1e-18 * sum; n++)
            {
                term *= 2 * z * z / ((2 * n) + 1);
                sum += term;
            }

            return 1 - (2 / Math.Sqrt(Math.PI) * Math.Exp(-z * z) * sum);
        }

        double fraction = z;
        for (int k = 200; k >= 1; k--)
        {
            fraction = z + (k / 2.0 / fraction);
        }

        return Math.Exp(-z * z) / Math.Sqrt(Math.PI) / fraction;
    }

    public static double[] Softmax(ReadOnlySpan<float> x)
    {
        double max = double.NegativeInfinity;
        foreach (float v in x)
        {
            max = Math.Max(max, v);
        }

        var result = new double[x.Length];
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            result[i] = Math.Exp(x[i] - max);
            sum += result[i];
        }

        for (int i = 0; i < x.Length; i++)
        {
            result[i] /= sum;
        }

        return result;
    }

    /// <summary>
    /// Mamba-1 selective scan over the steps of <paramref name="x"/> (one array per step), starting from
    /// <paramref name="state"/> <c>[E, N]</c>, which it updates. Returns the outputs per step and channel and the
    /// magnitude of their terms (the same recurrence on absolute values), which scales the float32 error,
    /// and that magnitude for the final state.
    /// </summary>
    public static (double[][] Outputs, double[][] Magnitudes, double[] StateMagnitudes) SelectiveScan(
        float[][] x, float[][] dt, float[] a, float[][] b, float[][] c, float[] d, float[][] z, double[] state)
    {
        int steps = x.Length, channels = x[0].Length, stateSize = b[0].Length;
        var outputs = new double[steps][];
        var magnitudes = new double[steps][];
        double[] absState = state.Select(Math.Abs).ToArray();
        for (int t = 0; t < steps; t++)
        {
            outputs[t] = new double[channels];
            magnitudes[t] = new double[channels];
            float[] xt = x[t], dtt = dt[t], bt = b[t], ct = c[t], zt = z[t];
            for (int ch = 0; ch < channels; ch++)
            {
                double y = 0, magnitude = 0;
                for (int n = 0; n < stateSize; n++)
                {
                    int i = (ch * stateSize) + n;
                    double decay = Math.Exp((double)dtt[ch] * a[i]);
                    double input = (double)dtt[ch] * bt[n] * xt[ch];
                    state[i] = (decay * state[i]) + input;
                    absState[i] = (decay * absState[i]) + Math.Abs(input);
                    y += state[i] * ct[n];
                    magnitude += absState[i] * Math.Abs(ct[n]);
                }

                double gate = Silu(zt[ch]);
                outputs[t][ch] = (y + ((double)d[ch] * xt[ch])) * gate;
                magnitudes[t][ch] = (magnitude + Math.Abs((double)d[ch] * xt[ch])) * Math.Abs(gate);
            }
        }

        return (outputs, magnitudes, absState);
    }
}
