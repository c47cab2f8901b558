using System.Numerics.Tensors;
using EdgeJamba.Layout;

namespace EdgeJamba.Runtime.Import;

/// <summary>
/// Writes a seeded random-weight model folder for a layout: <c>model.safetensors</c> plus the spec as
/// <c>layout.model.json</c>. Weights are drawn so activations stay O(1) (linear N(0, 1/fan_in), embeddings
/// N(0, 1), norms about 1 (the w of a 1 + w norm about 0), Mamba A_log = log(1..d_state), D = 1, dt in [1e-3, 1e-1] through softplus⁻¹), the
/// initialization the reference sets use. For tests, benchmarks and the placeholder default model.
/// </summary>
public static class RandomCheckpoint
{
    public const string SpecFileName = "layout.model.json";

    /// <param name="layout">The layout.</param>
    /// <param name="directory">The folder to write (created if needed).</param>
    /// <param name="seed">Seed of the weights.</param>
    /// <param name="dtype">Storage of every tensor: F32, or the same values rounded to F16 or BF16.</param>
    public static void Write(ModelLayout layout, string directory, int seed, TensorDType dtype = TensorDType.F32)
    {
        ArgumentNullException.ThrowIfNull(layout);
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EdgeJambaException($"{directory}: cannot create the folder: {e.Message}", e);
        }
        var random = new Random(seed);
        var tensors = new List<(string, long[], float[])>();
        foreach (var t in LayoutTensors.All(layout))
        {
            var data = new float[(long)t.Rows * t.Cols];
            Fill(t, data, random);
            long[] shape = t.Blocks > 0 ? [t.Blocks, t.Rows / t.Blocks, t.Cols]
                : t.Role == TensorRole.ConvWeight ? [t.Rows, 1, t.Cols] : t.Rows == 1 ? [t.Cols] : [t.Rows, t.Cols];
            tensors.Add((t.Name, shape, data));
        }
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), tensors, dtype);
        // The spec last, each file atomically: a folder that has its spec has its weights.
        AtomicFile.Write(Path.Combine(directory, SpecFileName), stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(SpecWriter.Write(layout))));
    }

    private static void Fill(LayoutTensor t, float[] data, Random random)
    {
        switch (t.Role)
        {
            case TensorRole.Embedding:
                Normal(data, 1.0, random);
                break;
            case TensorRole.Linear:
                Normal(data, 1.0 / Math.Sqrt(t.Cols), random);
                break;
            case TensorRole.Norm:
                for (int i = 0; i < data.Length; i++)
                {
                    data[i] = (float)(1 + (0.1 * Gaussian(random)));
                }
                break;
            case TensorRole.Bias:
            case TensorRole.NormOffset:
                Normal(data, 0.1, random);
                break;
            case TensorRole.ConvWeight:
                double bound = 1.0 / Math.Sqrt(t.Cols);
                for (int i = 0; i < data.Length; i++)
                {
                    data[i] = (float)(((2 * random.NextDouble()) - 1) * bound);
                }
                break;
            case TensorRole.ALog:
                for (int i = 0; i < data.Length; i++)
                {
                    data[i] = (float)Math.Log((i % t.Cols) + 1);
                }
                break;
            case TensorRole.SkipD:
                Array.Fill(data, 1f);
                break;
            case TensorRole.DtBias:
                for (int i = 0; i < data.Length; i++)
                {
                    double dt = Math.Exp(Math.Log(1e-3) + (random.NextDouble() * (Math.Log(1e-1) - Math.Log(1e-3))));
                    data[i] = (float)(dt + Math.Log(1 - Math.Exp(-dt))); // softplus⁻¹(dt)
                }
                break;
        }
    }

    /// <summary>
    /// <paramref name="data"/> drawn from N(0, std²) by Box–Muller, as <see cref="Gaussian"/> draws one value (the same two
    /// uniforms per value, in the same order), with the logarithms, roots and cosines taken a block at a time by
    /// <see cref="TensorPrimitives"/>: the scalar functions were most of the time it took to write a 100M-parameter model.
    /// </summary>
    private static void Normal(float[] data, double std, Random random)
    {
        const int Block = 2048;
        Span<double> radius = stackalloc double[Block], angle = stackalloc double[Block];
        for (int start = 0; start < data.Length; start += Block)
        {
            int n = Math.Min(Block, data.Length - start);
            Span<double> r = radius[..n], a = angle[..n];
            for (int i = 0; i < n; i++)
            {
                r[i] = 1 - random.NextDouble();
                a[i] = 2 * Math.PI * random.NextDouble();
            }
            TensorPrimitives.Log(r, r);
            TensorPrimitives.Multiply(r, -2.0, r);
            TensorPrimitives.Sqrt(r, r);
            TensorPrimitives.Cos(a, a);
            for (int i = 0; i < n; i++)
            {
                data[start + i] = (float)(std * (r[i] * a[i]));
            }
        }
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
