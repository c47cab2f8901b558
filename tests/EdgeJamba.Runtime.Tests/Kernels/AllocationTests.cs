using EdgeJamba.Layout;
using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class AllocationTests
{
    private static readonly Activation[] s_activations = Enum.GetValues<Activation>();

    /// <summary>Every public kernel, once its code is warmed up, allocates no managed memory (they run once per token).</summary>
    [Fact]
    public void Kernels_AfterWarmUp_AllocateNothing()
    {
        var random = new Random(100);
        using var w = new NativeMatrix(40, 70, random);
        Matrix m = w.Matrix;
        float[] x = Uniform(random, 70), y = Uniform(random, 70), z = Uniform(random, 70), tokens = Uniform(random, 4 * 70);
        float[] outputs = new float[4 * 40], keys = Uniform(random, 10 * 64), values = Uniform(random, 10 * 64);
        float[] scores = new float[10], head = new float[32], cos = Uniform(random, 8), sin = Uniform(random, 8);
        float[] convState = new float[70 * 4], convWeight = Uniform(random, 70 * 4);
        float[] a = Uniform(random, 70 * 16), ssmState = new float[70 * 16], b = Uniform(random, 16), c = Uniform(random, 16);
        var indices = new int[2];
        float[] memory = new float[16 * 70], normalizer = new float[16], gates = new float[4 * 70], cell = new float[4 * 70];
        float stabilizer = 0f;

        void RunAll()
        {
            Kernels.Dot(x, y);
            Kernels.MatVec(m, x, outputs.AsSpan(0, 40));
            Kernels.MatMul(m, tokens, 4, outputs);
            Kernels.RmsNorm(x, y, 1e-5f, z);
            Kernels.Add(x, z);
            Kernels.AddScaled(x, 0.5f, z);
            Kernels.Softmax(z);
            Kernels.Silu(z);
            Kernels.Softplus(z);
            foreach (Activation activation in s_activations)
            {
                Kernels.GatedActivation(activation, x, y, z);
            }

            Kernels.RotateHalf(z, 4, 16, cos, sin);
            Kernels.Attend(x.AsSpan(0, 32), keys, values, 10, 64, 0.2f, scores, head);
            Kernels.CausalConv1dStep(x, convState, convWeight, y, z);
            Kernels.SelectiveScanStep(x, z, a, b, c, y, x, ssmState, z);
            Kernels.LayerNorm(x, y, 1e-5f, z);
            Kernels.SoftCap(z, 15f);
            Kernels.SigmoidGate(x, y, z);
            Kernels.AddProduct(x, y, z);
            Kernels.BlockDiagonalMatVec(a.AsSpan(0, 70 * 10), 7, x, z);
            Kernels.MLstmStep(b, c, x, 0.5f, 1.5f, 0.25f, 1f, 1e-6f, memory, normalizer, ref stabilizer, z);
            Kernels.SLstmStep(x, y, x, y, cell.AsSpan(0, 70), cell.AsSpan(70, 70), cell.AsSpan(140, 70), z);
            Kernels.TopK(x, indices);
            Kernels.ArgMax(x);
        }

        RunAll();
        RunAll();
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunAll();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
