using System.Runtime.InteropServices;
using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class WorkerPoolTests
{
    private static readonly (int Rows, int Cols)[] s_shapes = [(300, 1000), (1, 4099), (37, 17), (64, 64), (1000, 64), (513, 1030)];

    /// <summary>Split among 2..4 threads (even the smallest products), every output has the bits of the one-thread kernel.</summary>
    [Fact]
    public void Products_OnAnyThreadCount_AreBitIdenticalToOneThread()
    {
        var random = new Random(11);
        for (int threads = 2; threads <= 4; threads++)
        {
            using var pool = new WorkerPool(threads, minMultiplyAddsPerThread: 1);
            foreach ((int rows, int cols) in s_shapes)
            {
                using var w = new NativeMatrix(rows, cols, random);
                foreach (int count in new[] { 1, 2, 5 })
                {
                    float[] x = Uniform(random, count * cols);
                    float[] expected = new float[count * rows], got = new float[count * rows];
                    Kernels.MatMul(w.Matrix, x, count, expected);
                    pool.MatMul(w.Matrix, x, count, got);
                    Assert.True(expected.AsSpan().SequenceEqual(got), $"MatMul {rows}x{cols}, {count} tokens, {threads} threads");
                }
                float[] v = Uniform(random, cols);
                float[] one = new float[rows], many = new float[rows];
                Kernels.MatVec(w.Matrix, v, one);
                pool.MatVec(w.Matrix, v, many);
                Assert.True(one.AsSpan().SequenceEqual(many), $"MatVec {rows}x{cols}, {threads} threads");
            }
        }
    }

    /// <summary>
    /// A chunk's Mamba convolution + SiLU and selective scan, split by channel among 2..4 threads, give the bits of the one-thread,
    /// token-by-token steps (<see cref="Kernels.CausalConv1dStep"/> then <see cref="Kernels.Silu"/>, <see cref="Kernels.SelectiveScanStep"/>),
    /// outputs and states, for channel counts that do and do not fill whole cache lines, any conv width, with and without bias.
    /// </summary>
    [Fact]
    public void MambaScans_OnAnyThreadCount_AreBitIdenticalToTokenByTokenSteps()
    {
        var random = new Random(13);
        for (int threads = 2; threads <= 4; threads++)
        {
            using var pool = new WorkerPool(threads, minMultiplyAddsPerThread: 1);
            foreach ((int channels, int width, int stateSize, bool bias) in new[] { (37, 4, 16, true), (64, 3, 5, false), (100, 4, 8, false), (1024, 4, 16, true) })
            {
                foreach (int count in new[] { 1, 3, 7 })
                {
                    string what = $"{channels} channels, width {width}, N {stateSize}, {count} tokens, {threads} threads";
                    // Conv: x is the first half of [x | z] rows, as in the models.
                    float[] xz = Uniform(random, count * 2 * channels), weight = Uniform(random, channels * width);
                    float[] convBias = bias ? Uniform(random, channels) : [];
                    float[] convStart = Uniform(random, channels * width);
                    float[] expectedConv = convStart.ToArray(), gotConv = convStart.ToArray();
                    float[] expectedXc = new float[count * channels], gotXc = new float[count * channels];
                    for (int t = 0; t < count; t++)
                    {
                        Span<float> row = expectedXc.AsSpan(t * channels, channels);
                        Kernels.CausalConv1dStep(xz.AsSpan(t * 2 * channels, channels), expectedConv, weight, convBias, row);
                        Kernels.Silu(row);
                    }
                    pool.CausalConv1dSilu(xz, 2 * channels, gotConv, weight, convBias, count, gotXc);
                    Assert.True(expectedXc.AsSpan().SequenceEqual(gotXc), "conv output, " + what);
                    Assert.True(expectedConv.AsSpan().SequenceEqual(gotConv), "conv state, " + what);

                    // Scan: B and C inside [dt | B | C] rows, z the second half of [x | z].
                    const int rank = 3;
                    int bcStride = rank + (2 * stateSize);
                    float[] dt = Uniform(random, count * channels, 0.5f).Select(MathF.Abs).ToArray();
                    float[] a = Uniform(random, channels * stateSize).Select(v => -MathF.Exp(v)).ToArray();
                    float[] dbc = Uniform(random, count * bcStride), d = Uniform(random, channels);
                    float[] stateStart = Uniform(random, channels * stateSize);
                    float[] expectedState = stateStart.ToArray(), gotState = stateStart.ToArray();
                    float[] expectedY = new float[count * channels], gotY = new float[count * channels];
                    for (int t = 0; t < count; t++)
                    {
                        Kernels.SelectiveScanStep(gotXc.AsSpan(t * channels, channels), dt.AsSpan(t * channels, channels), a,
                            dbc.AsSpan((t * bcStride) + rank, stateSize), dbc.AsSpan((t * bcStride) + rank + stateSize, stateSize), d,
                            xz.AsSpan((t * 2 * channels) + channels, channels), expectedState, expectedY.AsSpan(t * channels, channels));
                    }
                    pool.SelectiveScan(gotXc, dt, a, dbc.AsSpan(rank), dbc.AsSpan(rank + stateSize), bcStride, d, xz.AsSpan(channels), 2 * channels, gotState,
                        count, gotY);
                    Assert.True(expectedY.AsSpan().SequenceEqual(gotY), "scan output, " + what);
                    Assert.True(expectedState.AsSpan().SequenceEqual(gotState), "scan state, " + what);
                }
            }
        }
    }

    /// <summary>
    /// A chunk's mLSTM cells (with the per-head norm), split by head among 1..3 threads, give the bits of the one-thread, token-by-token
    /// steps (<see cref="Kernels.MLstmStep"/> then <see cref="Kernels.LayerNorm"/> per head), outputs and (C, n, m); for separate q, k, v rows
    /// (HF xLSTM) and for [q | k | v] rows (NX-AI), several head counts and sizes.
    /// </summary>
    [Fact]
    public void MLstmCells_OnAnyThreadCount_AreBitIdenticalToTokenByTokenSteps()
    {
        var random = new Random(19);
        for (int threads = 1; threads <= 3; threads++)
        {
            using var pool = new WorkerPool(threads, minMultiplyAddsPerThread: 1);
            foreach ((int heads, int keys, int values, bool packed) in new[] { (2, 32, 32, false), (4, 16, 32, false), (3, 5, 7, false), (4, 8, 8, true), (5, 16, 16, true) })
            {
                foreach (int count in new[] { 1, 3, 7 })
                {
                    string what = $"{heads} heads of {keys}x{values}, {(packed ? "[q | k | v] rows" : "separate q, k, v")}, {count} tokens, {threads} threads";
                    int qkWidth = heads * keys, vWidth = heads * values;
                    // Packed: one [q | k | v] row per token (NX-AI); otherwise q, k and v each in rows a little wider than they are.
                    int qkStride = packed ? qkWidth + qkWidth + vWidth : qkWidth + 3, vStride = packed ? qkStride : vWidth + 2;
                    float[] q = Uniform(random, count * qkStride), k = Uniform(random, count * qkStride), v = Uniform(random, count * vStride);
                    int kOffset = packed ? qkWidth : 0, vOffset = packed ? 2 * qkWidth : 0;
                    if (packed)
                    {
                        k = q;
                        v = q;
                    }
                    float[] gates = Uniform(random, 2 * count * heads, 4f), norm = Uniform(random, vWidth);
                    float[] cStart = Uniform(random, heads * keys * values), nStart = Uniform(random, heads * keys), mStart = Uniform(random, heads);
                    float[] expectedC = cStart.ToArray(), expectedN = nStart.ToArray(), expectedM = mStart.ToArray(), expectedY = new float[count * vWidth];
                    const float queryScale = 0.25f, keyScale = 0.5f, eps = 1e-6f, normEps = 1e-5f;
                    for (int t = 0; t < count; t++)
                    {
                        for (int head = 0; head < heads; head++)
                        {
                            Span<float> yh = expectedY.AsSpan((t * vWidth) + (head * values), values);
                            Kernels.MLstmStep(q.AsSpan((t * qkStride) + (head * keys), keys), k.AsSpan(kOffset + (t * qkStride) + (head * keys), keys),
                                v.AsSpan(vOffset + (t * vStride) + (head * values), values), gates[(t * heads) + head], gates[((count + t) * heads) + head],
                                queryScale, keyScale, eps, expectedC.AsSpan(head * keys * values, keys * values), expectedN.AsSpan(head * keys, keys),
                                ref expectedM[head], yh);
                            Kernels.LayerNorm(yh, norm.AsSpan(head * values, values), normEps, yh);
                        }
                    }
                    float[] gotC = cStart.ToArray(), gotN = nStart.ToArray(), gotM = mStart.ToArray(), gotY = new float[count * vWidth];
                    pool.MLstmChunk(q, k.AsSpan(kOffset), qkStride, v.AsSpan(vOffset), vStride, gates.AsSpan(0, count * heads), gates.AsSpan(count * heads),
                        queryScale, keyScale, eps, gotC, gotN, gotM, norm, normEps, count, gotY);
                    Assert.True(expectedY.AsSpan().SequenceEqual(gotY), "mLSTM output, " + what);
                    Assert.True(expectedC.AsSpan().SequenceEqual(gotC), "mLSTM C, " + what);
                    Assert.True(expectedN.AsSpan().SequenceEqual(gotN), "mLSTM n, " + what);
                    Assert.True(expectedM.AsSpan().SequenceEqual(gotM), "mLSTM m, " + what);
                }
            }
        }
    }

    /// <summary>
    /// A chunk's sLSTM convolution + SiLU (split by channel) and recurrent cells with the per-head norm (split by head), among 1..3 threads,
    /// give the bits of the one-thread, token-by-token steps (the recurrent <see cref="Kernels.BlockDiagonalMatVec"/> of every head, then
    /// <see cref="Kernels.SLstmStep"/> of every unit, then <see cref="Kernels.LayerNorm"/> per head), outputs, gates and states.
    /// </summary>
    [Fact]
    public void SLstmCells_OnAnyThreadCount_AreBitIdenticalToTokenByTokenSteps()
    {
        var random = new Random(23);
        for (int threads = 1; threads <= 3; threads++)
        {
            using var pool = new WorkerPool(threads, minMultiplyAddsPerThread: 1);
            foreach ((int heads, int headDim) in new[] { (4, 16), (3, 5), (1, 8), (6, 4) })
            {
                foreach (int count in new[] { 1, 3, 7 })
                {
                    string what = $"{heads} heads of {headDim}, {count} tokens, {threads} threads";
                    int units = heads * headDim;
                    // Conv of x rows exactly as wide as the channels (the sLSTM's input), width 4 with bias.
                    float[] x = Uniform(random, count * units), weight = Uniform(random, units * 4), convBias = Uniform(random, units);
                    float[] convStart = Uniform(random, units * 4);
                    float[] expectedConv = convStart.ToArray(), gotConv = convStart.ToArray();
                    float[] expectedXc = new float[count * units], gotXc = new float[count * units];
                    for (int t = 0; t < count; t++)
                    {
                        Span<float> row = expectedXc.AsSpan(t * units, units);
                        Kernels.CausalConv1dStep(x.AsSpan(t * units, units), expectedConv, weight, convBias, row);
                        Kernels.Silu(row);
                    }
                    pool.CausalConv1dSilu(x, units, gotConv, weight, convBias, count, gotXc);
                    Assert.True(expectedXc.AsSpan().SequenceEqual(gotXc), "sLSTM conv output, " + what);
                    Assert.True(expectedConv.AsSpan().SequenceEqual(gotConv), "sLSTM conv state, " + what);

                    float[] gatesStart = Uniform(random, count * 4 * units, 2f), kernel = Uniform(random, 4 * units * headDim, 0.5f), norm = Uniform(random, units);
                    // n of the first head zero (its first step), the others positive.
                    float[] cStart = Uniform(random, units), nStart = Uniform(random, units).Select((v, u) => u < headDim ? 0f : MathF.Abs(v) + 0.5f).ToArray();
                    float[] mStart = Uniform(random, units), yStart = Uniform(random, units);
                    float[] expectedGates = gatesStart.ToArray(), expectedC = cStart.ToArray(), expectedN = nStart.ToArray(), expectedM = mStart.ToArray();
                    float[] expectedY = yStart.ToArray(), expectedOut = new float[count * units], recurrent = new float[4 * units];
                    const float normEps = 1e-5f;
                    for (int t = 0; t < count; t++)
                    {
                        Span<float> g = expectedGates.AsSpan(t * 4 * units, 4 * units);
                        for (int gate = 0; gate < 4; gate++)
                        {
                            Kernels.BlockDiagonalMatVec(kernel.AsSpan(gate * units * headDim, units * headDim), heads, expectedY, recurrent.AsSpan(gate * units, units));
                        }
                        Kernels.Add(recurrent, g);
                        Kernels.SLstmStep(g[..units], g.Slice(units, units), g.Slice(2 * units, units), g.Slice(3 * units, units), expectedC, expectedN, expectedM,
                            expectedY);
                        for (int head = 0; head < heads; head++)
                        {
                            Kernels.LayerNorm(expectedY.AsSpan(head * headDim, headDim), norm.AsSpan(head * headDim, headDim), normEps,
                                expectedOut.AsSpan((t * units) + (head * headDim), headDim));
                        }
                    }
                    float[] gotGates = gatesStart.ToArray(), gotC = cStart.ToArray(), gotN = nStart.ToArray(), gotM = mStart.ToArray(), gotY = yStart.ToArray();
                    float[] gotOut = new float[count * units];
                    pool.SLstmChunk(gotGates, kernel, heads, new float[4 * units], gotC, gotN, gotM, gotY, norm, normEps, count, gotOut);
                    Assert.True(expectedOut.AsSpan().SequenceEqual(gotOut), "sLSTM output, " + what);
                    Assert.True(expectedGates.AsSpan().SequenceEqual(gotGates), "sLSTM gates, " + what);
                    Assert.True(expectedY.AsSpan().SequenceEqual(gotY), "sLSTM y, " + what);
                    Assert.True(expectedC.AsSpan().SequenceEqual(gotC), "sLSTM c, " + what);
                    Assert.True(expectedN.AsSpan().SequenceEqual(gotN), "sLSTM n, " + what);
                    Assert.True(expectedM.AsSpan().SequenceEqual(gotM), "sLSTM m, " + what);
                }
            }
        }
    }

    /// <summary>
    /// A chunk's attention, split by (head, token) pair among 2..4 threads (each with its own scores), gives the bits of one
    /// <see cref="Kernels.Attend"/> per token and head on one thread; so does a pool whose workers keep no scores (it runs alone),
    /// and so do heads of eight floats taken two at a time (scratch for twice the context, on the pool and in
    /// <see cref="Kernels.AttendChunk"/>), from one position to odd and even lengths.
    /// </summary>
    [Fact]
    public void Attention_OnAnyThreadCount_IsBitIdenticalToOneHeadAtATime()
    {
        var random = new Random(17);
        const int context = 40;
        for (int threads = 2; threads <= 4; threads++)
        {
            using var pool = new WorkerPool(threads, minMultiplyAddsPerThread: 1, scoresLength: context);
            using var twoHeads = new WorkerPool(threads, minMultiplyAddsPerThread: 1, scoresLength: 2 * context);
            using var noScores = new WorkerPool(threads, minMultiplyAddsPerThread: 1);
            foreach ((int heads, int kvHeads, int headDim) in new[] { (4, 2, 8), (6, 6, 5), (3, 1, 16), (8, 2, 64), (8, 2, 8), (6, 3, 8), (4, 4, 8) })
            {
                foreach ((int position, int count) in new[] { (0, 1), (0, 7), (9, 5), (30, 1), (1, 1), (2, 1), (33, 6) })
                {
                    string what = $"{heads}/{kvHeads} heads of {headDim}, {count} tokens at {position}, {threads} threads";
                    int queryDim = heads * headDim, kvDim = kvHeads * headDim;
                    float[] q = Uniform(random, count * queryDim), keys = Uniform(random, context * kvDim), values = Uniform(random, context * kvDim);
                    float[] expected = new float[count * queryDim], scores = new float[context];
                    float scale = 1f / MathF.Sqrt(headDim);
                    for (int t = 0; t < count; t++)
                    {
                        for (int head = 0; head < heads; head++)
                        {
                            int kv = head / (heads / kvHeads) * headDim, row = (t * queryDim) + (head * headDim);
                            Kernels.Attend(q.AsSpan(row, headDim), keys.AsSpan(kv), values.AsSpan(kv), position + t + 1, kvDim, scale, scores,
                                expected.AsSpan(row, headDim));
                        }
                    }
                    foreach ((var p, string workers, int scratch) in new[]
                        { (pool, "context", context), (noScores, "none", context), (twoHeads, "2·context", 2 * context), (pool, "context", 2 * context) })
                    {
                        float[] got = new float[count * queryDim];
                        p.AttendChunk(q, keys, values, heads, kvHeads, position, count, scale, new float[scratch], got);
                        Assert.True(expected.AsSpan().SequenceEqual(got), $"{what}, caller's scratch {scratch}, workers' scores {workers}");
                    }
                    float[] alone = new float[count * queryDim];
                    Kernels.AttendChunk(q, keys, values, heads, kvHeads, position, count, scale, new float[2 * context], alone);
                    Assert.True(expected.AsSpan().SequenceEqual(alone), $"{what}, one thread, scratch {2 * context}");
                }
            }
        }
    }

    [Fact]
    public void WrongLengths_Throw_AsTheKernelsDo()
    {
        using var pool = new WorkerPool(2, minMultiplyAddsPerThread: 1);
        using var w = new NativeMatrix(64, 64, new Random(1));
        Assert.Throws<ArgumentException>(() => pool.MatVec(w.Matrix, new float[63], new float[64]));
        Assert.Throws<ArgumentException>(() => pool.MatMul(w.Matrix, new float[64 * 2], 3, new float[64 * 3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerPool(0));
        Assert.Throws<ArgumentException>(() => pool.CausalConv1dSilu(new float[64], 64, new float[4 * 63], new float[4 * 64], default, 1, new float[64]));
        Assert.Throws<ArgumentException>(() => pool.SelectiveScan(new float[64], new float[64], new float[64 * 16], new float[16], new float[15], 16,
            new float[64], new float[64], 64, new float[64 * 16], 1, new float[64]));
        Assert.Throws<ArgumentException>(() => pool.MLstmChunk(new float[2 * 8], new float[2 * 8], 8, new float[2 * 8], 8, new float[2 * 2], new float[2 * 2], 1f,
            1f, 0f, new float[(2 * 4 * 4) - 1], new float[2 * 4], new float[2], new float[8], 1e-5f, 2, new float[2 * 8])); // C one short of 2 heads of 4x4
        Assert.Throws<ArgumentException>(() => pool.SLstmChunk(new float[2 * 4 * 12], new float[4 * 12 * 4], 5, new float[4 * 12], new float[12], new float[12],
            new float[12], new float[12], new float[12], 1e-5f, 2, new float[2 * 12])); // 5 heads do not split 12 units
        Assert.Throws<ArgumentException>(() => pool.AttendChunk(new float[64], new float[16 * 2], new float[16 * 2], 4, 1, 1, 2, 1f, new float[2], new float[64]));
    }

    /// <summary>
    /// BF16 and F16 weights, widened on the fly, against a float64 oracle of the same values widened by plain scalar code;
    /// every seventh weight is a special value (zeros of both signs, subnormals, the smallest normal, F16's largest finite).
    /// </summary>
    [Theory]
    [InlineData(TensorDType.BF16)]
    [InlineData(TensorDType.F16)]
    public unsafe void SixteenBitProducts_MatchTheOracle(TensorDType dtype)
    {
        var random = new Random(5);
        ushort[] specials = dtype == TensorDType.F16
            ? [0x0000, 0x8000, 0x0001, 0x8001, 0x0200, 0x03FF, 0x83FF, 0x0400, 0x8400, 0x7BFF, 0xFBFF]
            : [0x0000, 0x8000, 0x0001, 0x8001, 0x007F, 0x0080, 0x8080];
        using var pool = new WorkerPool(3, minMultiplyAddsPerThread: 1);
        foreach ((int rows, int cols) in s_shapes.Concat(Lengths.Select(c => (3, c))))
        {
            ushort* data = (ushort*)NativeMemory.AlignedAlloc((nuint)((long)rows * cols * sizeof(ushort)), 64);
            try
            {
                var wide = new float[rows * cols];
                for (int i = 0; i < wide.Length; i++)
                {
                    float value = (float)((random.NextDouble() * 2) - 1);
                    data[i] = i % 7 == 3 ? specials[random.Next(specials.Length)]
                        : dtype == TensorDType.F16 ? BitConverter.HalfToUInt16Bits((Half)value) : (ushort)(BitConverter.SingleToUInt32Bits(value) >> 16);
                    wide[i] = dtype == TensorDType.F16 ? (float)BitConverter.UInt16BitsToHalf(data[i]) : BitConverter.UInt32BitsToSingle((uint)data[i] << 16);
                }
                var w = new Matrix(data, dtype, rows, cols);
                const int count = 3;
                float[] x = Uniform(random, count * cols);
                float[] single = new float[rows], batch = new float[count * rows], threaded = new float[count * rows];
                Kernels.MatVec(w, x.AsSpan(0, cols), single);
                Kernels.MatMul(w, x, count, batch);
                pool.MatMul(w, x, count, threaded);
                Assert.True(batch.AsSpan().SequenceEqual(threaded), $"{dtype} {rows}x{cols}: threads changed bits");
                fixed (float* widened = wide)
                {
                    var asFloat = new float[count * rows];
                    Kernels.MatMul(new Matrix(widened, rows, cols), x, count, asFloat);
                    Assert.True(batch.AsSpan().SequenceEqual(asFloat), $"{dtype} {rows}x{cols}: not the bits of the float32 product of the widened weight");
                }
                for (int r = 0; r < rows; r++)
                {
                    for (int t = 0; t < count; t++)
                    {
                        (double expected, double magnitude) = Oracle.Dot(wide.AsSpan(r * cols, cols), x.AsSpan(t * cols, cols));
                        Near(expected, batch[(t * rows) + r], SumBound(cols, magnitude), $"{dtype} MatMul {rows}x{cols}, row {r}, token {t}");
                        if (t == 0)
                        {
                            Near(expected, single[r], SumBound(cols, magnitude), $"{dtype} MatVec {rows}x{cols}, row {r}");
                        }
                    }
                }
                var row = new float[cols];
                w.CopyRowTo(rows - 1, row);
                Assert.True(row.AsSpan().SequenceEqual(wide.AsSpan((rows - 1) * cols, cols)), $"{dtype} CopyRowTo");
                Assert.Throws<InvalidOperationException>(() => w.Row(0));
            }
            finally
            {
                NativeMemory.AlignedFree(data);
            }
        }
    }
}
