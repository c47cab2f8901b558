using System.Runtime.InteropServices;

namespace EdgeJamba.Runtime.Tests.KernelTests;

/// <summary>Inputs, tolerances and assertions shared by the kernel tests.</summary>
internal static class KernelTestData
{
    /// <summary>The four-row kernels of the integer products, by name, and "dispatch" (the default choice).</summary>
    public static TheoryData<string> RowGroups => new(["none", "avx2", "avxvnni", "dispatch"]);

    /// <summary>
    /// The <see cref="Kernels.RowGroupKernel"/> a <see cref="RowGroups"/> name stands for (null for "dispatch"), skipping the
    /// test where this CPU cannot run it.
    /// </summary>
    public static Kernels.RowGroupKernel? RowGroupKernel(string name)
    {
        Skip.If(name == "avx2" && !System.Runtime.Intrinsics.X86.Avx2.IsSupported, "this CPU has no AVX2");
        Skip.If(name == "avxvnni" && !System.Runtime.Intrinsics.X86.AvxVnni.IsSupported, "this CPU has no AVX-VNNI");
        return name switch
        {
            "none" => Kernels.RowGroupKernel.None,
            "avx2" => Kernels.RowGroupKernel.Avx2,
            "avxvnni" => Kernels.RowGroupKernel.AvxVnni,
            _ => null,
        };
    }

    /// <summary>Unit roundoff of float32, 2^-24: one rounding changes a value by at most this relative amount.</summary>
    public const double U = 1.0 / (1 << 24);

    /// <summary>Every length from 1 to 256, so every vector tail of every width is exercised (TensorPrimitives' TensorLengths).</summary>
    public static IEnumerable<int> Lengths => Enumerable.Range(1, 256);

    /// <summary><paramref name="length"/> values uniform in [−<paramref name="scale"/>, <paramref name="scale"/>).</summary>
    public static float[] Uniform(Random random, int length, float scale = 1f)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)(((random.NextDouble() * 2) - 1) * scale);
        }

        return values;
    }

    /// <summary>
    /// Bound on the float32 error of a sum of <paramref name="terms"/> products whose absolute values add up to
    /// <paramref name="magnitude"/>: Higham's γ_n·Σ|x_i·y_i| (Accuracy and Stability of Numerical Algorithms,
    /// §3.1), which holds for any summation order and with or without fused multiply-add. Two extra
    /// roundings cover a final scale. A kernel that drops or repeats a term misses it by far.
    /// </summary>
    public static double SumBound(int terms, double magnitude)
    {
        double gamma = (terms + 2) * U;
        return (gamma / (1 - gamma) * magnitude) + 1e-30;
    }

    /// <summary>Asserts |actual − expected| ≤ bound (false for NaN), naming the case.</summary>
    public static void Near(double expected, float actual, double bound, string what)
    {
        double error = Math.Abs(actual - expected);
        if (!(error <= bound))
        {
            Assert.Fail($"{what}: expected {expected:R}, got {actual:R}; error {error:E3} exceeds bound {bound:E3}.");
        }
    }
}

/// <summary>A float32 matrix in aligned native memory, as the runtime's weights are; freed on dispose.</summary>
internal sealed unsafe class NativeMatrix : IDisposable
{
    private readonly float* _data;

    public NativeMatrix(int rows, int cols, Random random)
    {
        _data = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(1L, (long)rows * cols * sizeof(float)), 64);
        Matrix = new Matrix(_data, rows, cols);
        for (long i = 0; i < (long)rows * cols; i++)
        {
            _data[i] = (float)((random.NextDouble() * 2) - 1);
        }
    }

    public Matrix Matrix { get; }

    public void Dispose() => NativeMemory.AlignedFree(_data);
}
