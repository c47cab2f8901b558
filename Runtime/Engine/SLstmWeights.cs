using EdgeJamba.Layout;

namespace EdgeJamba.Runtime;

/// <summary>
/// The sLSTM cell's stored parameters (NX-AI <c>slstm_cell._recurrent_kernel_</c> and <c>_bias_</c>, in the layout of
/// the backend that saved them) rearranged once at load into the one layout both engines run: gate-major, so that
/// each gate's recurrent term is a block-diagonal product (<see cref="Kernels.BlockDiagonalMatVec"/>) landing next to
/// that gate's input term. Gates in the cell's order i, f, z, o; D = hidden size, DH = D / heads.
/// </summary>
public static class SLstmWeights
{
    /// <summary>
    /// The recurrent kernel as <c>[4, D, DH]</c>: element <c>[g, h·DH + u, v]</c> is <c>R[h, v, g, u]</c>, the weight of
    /// unit v of the previous output y on unit u of gate g in head h. <paramref name="stored"/> is the tensor as bound:
    /// cuda <c>[NH·DH, 4·DH]</c> (element <c>[h, v, g·DH + u]</c>), vanilla <c>[NH·4·DH, DH]</c> (element <c>[h, g·DH + u, v]</c>).
    /// </summary>
    public static float[] Recurrent(ReadOnlySpan<float> stored, int heads, int headDim, SLstmBackend backend)
    {
        int d = heads * headDim;
        var result = new float[4 * d * headDim];
        for (int g = 0; g < 4; g++)
        {
            for (int h = 0; h < heads; h++)
            {
                for (int u = 0; u < headDim; u++)
                {
                    for (int v = 0; v < headDim; v++)
                    {
                        int source = backend == SLstmBackend.Cuda
                            ? ((((h * headDim) + v) * 4 * headDim) + (g * headDim) + u)
                            : ((((h * 4 * headDim) + (g * headDim) + u) * headDim) + v);
                        result[(((g * d) + (h * headDim) + u) * headDim) + v] = stored[source];
                    }
                }
            }
        }
        return result;
    }

    /// <summary>The bias as <c>[4, D]</c>: element <c>[g, h·DH + u]</c>. Stored: cuda <c>[h·4·DH + g·DH + u]</c>, vanilla already gate-major.</summary>
    public static float[] Bias(ReadOnlySpan<float> stored, int heads, int headDim, SLstmBackend backend)
    {
        int d = heads * headDim;
        var result = new float[4 * d];
        for (int g = 0; g < 4; g++)
        {
            for (int h = 0; h < heads; h++)
            {
                for (int u = 0; u < headDim; u++)
                {
                    result[(g * d) + (h * headDim) + u] = backend == SLstmBackend.Cuda ? stored[(h * 4 * headDim) + (g * headDim) + u] : stored[(g * d) + (h * headDim) + u];
                }
            }
        }
        return result;
    }
}
