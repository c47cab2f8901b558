using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace EdgeJamba.Train;

/// <summary>
/// The Mamba selective scan as one autograd function (the sequential recurrence of HF's slow path, fused):
/// <c>h_t = exp(dt_t·A) ⊙ h_{t−1} + dt_t·x_t·B_t</c>, <c>y_t = h_t · C_t</c>, from <c>h_{−1} = 0</c>.
/// Inputs <c>dt, x [B, T, E]</c>, <c>B, C [B, T, N]</c>, <c>A [E, N]</c>; output <c>y [B, T, E]</c> (D skip and gate are
/// applied outside). Written as scalar loops over float arrays: as plain torch ops the recurrence costs T small
/// kernels per layer and direction, which dominated training time on a 2-core machine.
/// </summary>
internal sealed class SelectiveScan : autograd.SingleTensorFunction<SelectiveScan>
{
    public override string Name => nameof(SelectiveScan);

    /// <summary>Threads used for the loops (over the batch).</summary>
    public static int Threads { get; set; } = 1;

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (dt, x, b, c, a) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], (Tensor)vars[4]);
        (Tensor y, float[] history) = Scan(dt, x, b, c, a);
        ctx.save_for_backward([dt, x, b, c, a]);
        ctx.save_data("history", history);
        return y;
    }

    /// <summary>The forward without autograd (no-grad evaluation: going through the function there corrupted TorchSharp's state).</summary>
    public static Tensor Evaluate(Tensor dt, Tensor x, Tensor b, Tensor c, Tensor a) => Scan(dt, x, b, c, a).Y;

    private static (Tensor Y, float[] History) Scan(Tensor dt, Tensor x, Tensor b, Tensor c, Tensor a)
    {
        int batch = (int)dt.shape[0], steps = (int)dt.shape[1], inner = (int)dt.shape[2], state = (int)b.shape[2];
        if (state % Width != 0)
        {
            throw new ArgumentException($"the SSM state size ({state}) must be a multiple of {Width}");
        }
        float[] dtv = TensorData.ToFloats(dt), xv = TensorData.ToFloats(x), bv = TensorData.ToFloats(b), cv = TensorData.ToFloats(c), av = TensorData.ToFloats(a);
        var y = new float[batch * steps * inner];
        var history = new float[(long)batch * steps * inner * state];
        Parallel.For(0, batch, new ParallelOptions { MaxDegreeOfParallelism = Threads }, bi =>
        {
            var h = new float[state];
            for (int e = 0; e < inner; e++)
            {
                Array.Clear(h);
                for (int t = 0; t < steps; t++)
                {
                    int row = (bi * steps) + t;
                    float d = dtv[(row * inner) + e], dx = d * xv[(row * inner) + e];
                    long at = (((long)row * inner) + e) * state;
                    var total = Vector256<float>.Zero;
                    for (int n = 0; n < state; n += Width)
                    {
                        var hn = (Vector256.Exp(Vector256.Create(d) * Load(av, (e * state) + n)) * Load(h, n)) + (Vector256.Create(dx) * Load(bv, (row * state) + n));
                        hn.CopyTo(h.AsSpan(n));
                        hn.CopyTo(history.AsSpan((int)(at + n)));
                        total += hn * Load(cv, (row * state) + n);
                    }
                    float sum = Vector256.Sum(total);
                    y[(row * inner) + e] = sum;
                }
            }
        });
        return (TensorData.FromFloats(y, dt.shape), history);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var history = (float[])ctx.get_data("history");
        var (dt, x, b, c, a) = (saved[0], saved[1], saved[2], saved[3], saved[4]);
        int batch = (int)dt.shape[0], steps = (int)dt.shape[1], inner = (int)dt.shape[2], state = (int)b.shape[2];
        float[] dtv = TensorData.ToFloats(dt), xv = TensorData.ToFloats(x), bv = TensorData.ToFloats(b), cv = TensorData.ToFloats(c), av = TensorData.ToFloats(a), gy = TensorData.ToFloats(gradOutput);
        var gdt = new float[dtv.Length];
        var gx = new float[xv.Length];
        var gb = new float[bv.Length];
        var gc = new float[cv.Length];
        var gaPerBatch = new float[batch][];
        Parallel.For(0, batch, new ParallelOptions { MaxDegreeOfParallelism = Threads }, bi =>
        {
            var ga = new float[av.Length];
            var gh = new float[state];
            for (int e = 0; e < inner; e++)
            {
                Array.Clear(gh);
                for (int t = steps - 1; t >= 0; t--)
                {
                    int row = (bi * steps) + t;
                    int at = (row * inner) + e;
                    float d = dtv[at], xin = xv[at], g = gy[at];
                    long here = (long)at * state, before = here - ((long)inner * state);
                    Vector256<float> vd = Vector256.Create(d), vx = Vector256.Create(xin), vg = Vector256.Create(g);
                    Vector256<float> gd = Vector256<float>.Zero, gxin = Vector256<float>.Zero;
                    for (int n = 0; n < state; n += Width)
                    {
                        int bc = (row * state) + n;
                        Vector256<float> an = Load(av, (e * state) + n), bn = Load(bv, bc);
                        Vector256<float> ghn = Load(gh, n) + (vg * Load(cv, bc));
                        (Load(gc, bc) + (vg * Load(history, here + n))).CopyTo(gc.AsSpan(bc));
                        Vector256<float> previous = t > 0 ? Load(history, before + n) : Vector256<float>.Zero;
                        Vector256<float> decay = Vector256.Exp(vd * an);
                        Vector256<float> gDecay = ghn * previous * decay;
                        gd += (gDecay * an) + (ghn * bn * vx);
                        (Load(ga, (e * state) + n) + (gDecay * vd)).CopyTo(ga.AsSpan((e * state) + n));
                        (Load(gb, bc) + (ghn * vd * vx)).CopyTo(gb.AsSpan(bc));
                        gxin += ghn * vd * bn;
                        (ghn * decay).CopyTo(gh.AsSpan(n));
                    }
                    gdt[at] = Vector256.Sum(gd);
                    gx[at] = Vector256.Sum(gxin);
                }
            }
            gaPerBatch[bi] = ga;
        });
        var gaTotal = new float[av.Length];
        foreach (float[] part in gaPerBatch)
        {
            for (int i = 0; i < part.Length; i++)
            {
                gaTotal[i] += part[i];
            }
        }
        return [TensorData.FromFloats(gdt, dt.shape), TensorData.FromFloats(gx, x.shape), TensorData.FromFloats(gb, b.shape), TensorData.FromFloats(gc, c.shape), TensorData.FromFloats(gaTotal, a.shape)];
    }

    /// <summary>Vector width the state loops use; the state size must be a multiple of it.</summary>
    private const int Width = 8;

    private static Vector256<float> Load(float[] array, long start) => Vector256.Create(array.AsSpan((int)start, Width));
}
