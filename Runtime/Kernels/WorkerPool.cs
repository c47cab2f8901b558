using System.Diagnostics;
using System.Runtime.InteropServices;
using unsafe ScanChannelKernel = delegate*<System.ReadOnlySpan<float>, System.ReadOnlySpan<float>, System.ReadOnlySpan<float>,
    System.ReadOnlySpan<float>, System.ReadOnlySpan<float>, int, System.ReadOnlySpan<float>, System.ReadOnlySpan<float>, int, System.Span<float>,
    int, System.Span<float>, int, int, void>;

namespace EdgeJamba.Runtime;

/// <summary>
/// Persistent threads that share the matrix products of a model: each product's output rows are split into
/// one contiguous range per thread, the calling thread taking the first. Every row is computed by exactly the
/// instructions <see cref="Kernels.MatVec"/> / <see cref="Kernels.MatMul"/> (or the q8_0 and ternary products) use on one thread, so results are
/// bit-identical for any thread count. A chunk's Mamba (and xLSTM) convolution and selective scan are split the same way by channel
/// (each thread runs every token of the chunk through its channels' states), its mLSTM and sLSTM cells by head, its attention by
/// (head, token) pair.
/// Created once per model; a job allocates nothing.
/// </summary>
/// <remarks>
/// Hand-off: the caller publishes the job and bumps a generation counter; a worker spins on the counter for
/// <see cref="SpinMicroseconds"/> after its last job (the gaps between the products of one token are shorter),
/// then parks on its own event, which the caller sets only when the worker said it was parking. The caller
/// waits for the workers by spinning on a countdown. A product too small to pay for the hand-off
/// (<see cref="DefaultMinMultiplyAddsPerThread"/>) runs on the calling thread alone.
/// Not thread-safe: one caller at a time, as for a model.
/// </remarks>
public sealed unsafe class WorkerPool : IDisposable
{
    /// <summary>Multiply-adds below which a thread is not worth waking: a product runs on at most work / this threads.</summary>
    public const int DefaultMinMultiplyAddsPerThread = 32 * 1024;

    /// <summary>How long an idle worker spins before it parks.</summary>
    public const int SpinMicroseconds = 200;

    /// <summary>Output rows of a thread's range are a multiple of this (16 floats = one 64-byte cache line).</summary>
    private const int RowAlignment = 16;

    private readonly Thread[] _threads;
    private readonly ManualResetEventSlim[] _wake;
    private readonly int[] _parked;
    private readonly long[] _allocated;
    private readonly long _spinTicks = Math.Max(1, Stopwatch.Frequency * SpinMicroseconds / 1_000_000);
    private readonly int _minMultiplyAdds;
    private readonly float[][] _scores;

    /// <summary>
    /// Estimated cost, in multiply-adds of a product, of one channel of one token of a Mamba convolution (scalar taps, a SiLU) and
    /// of a selective-scan step (an exponential per state element, then a reduction and a scalar gate).
    /// </summary>
    private const int ConvChannelCost = 64, ScanChannelCost = 64, ScanStateCost = 4;

    /// <summary>
    /// Estimated cost, in multiply-adds of a product, of one token of an mLSTM head: per memory element an update and a query term, per
    /// head the gates' exponentials and the norm; of one token of an sLSTM unit: its scalar cell (exponentials, tanh, divisions) and norm,
    /// beside the recurrent products.
    /// </summary>
    private const int MLstmMemoryCost = 2, MLstmHeadCost = 64, SLstmUnitCost = 64;

    /// <summary>The kinds of job the pool splits.</summary>
    private enum Job
    {
        Float,
        Ternary,
        Q8,
        Conv,
        Scan,
        MLstm,
        SLstm,
        Attention,
    }

    // The job being run, written by the caller before it bumps _generation: its kind; for a product its weight (one of
    // three; a float weight's rows go through the width-specific kernel when one is set), its input (floats, or int8 codes
    // with their scales) and output and tokens; or the arguments of a conv, scan, mLSTM, sLSTM or attention job; its rows,
    // their alignment and the parts.
    private Job _job;
    private Matrix _w;
    private delegate*<in Matrix, ReadOnlySpan<float>, Span<float>, int, int, void> _fixedWidthRows;
    private TernaryMatrix _ternary;
    private Q8Matrix _q8;
    private float* _x;
    private sbyte* _codes;
    private float* _scales;
    private float* _destination;
    private ConvJob _conv;
    private ScanJob _scan;
    private MLstmJob _mlstm;
    private SLstmJob _slstm;
    private AttentionJob _attention;
    private int _rows;
    private int _alignment;
    private int _count;
    private int _parts;
    private long _generation;
    private int _pending;
    private volatile bool _disposed;

    /// <param name="threads">Threads taking part in each product, the caller's included (1 = no worker thread).</param>
    /// <param name="minMultiplyAddsPerThread">Work below which a thread is not woken (tests lower it to split tiny models).</param>
    /// <param name="scoresLength">Attention scores each worker thread keeps (the longest context attended to, twice that for heads to go
    /// two at a time as in <see cref="Kernels.AttendChunk"/>; 0 runs attention on the calling thread).</param>
    public WorkerPool(int threads, int minMultiplyAddsPerThread = DefaultMinMultiplyAddsPerThread, int scoresLength = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(minMultiplyAddsPerThread, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(scoresLength);
        Threads = threads;
        _minMultiplyAdds = minMultiplyAddsPerThread;
        _scores = new float[threads - 1][];
        _threads = new Thread[threads - 1];
        _wake = new ManualResetEventSlim[threads - 1];
        _parked = new int[threads - 1];
        _allocated = new long[threads - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            int part = i + 1;
            _wake[i] = new ManualResetEventSlim(false);
            _scores[i] = new float[scoresLength];
            _threads[i] = new Thread(() => Work(part)) { IsBackground = true, Name = "edgejamba worker " + part };
            _threads[i].Start();
        }
    }

    /// <summary>Threads taking part in each product, the caller's included.</summary>
    public int Threads { get; }

    /// <summary>Bytes the worker threads have allocated since they started, as of their last job (for allocation tests).</summary>
    public long WorkerAllocatedBytes
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < _allocated.Length; i++)
            {
                sum += Volatile.Read(ref _allocated[i]);
            }
            return sum;
        }
    }

    /// <summary><see cref="Kernels.MatVec"/> on the pool's threads: same checks, same bits.</summary>
    public void MatVec(in Matrix w, ReadOnlySpan<float> x, Span<float> destination)
    {
        if (x.Length != w.Cols || destination.Length != w.Rows || Threads == 1)
        {
            Kernels.MatVec(w, x, destination); // checks (and throws on) the lengths
            return;
        }
        Run(w, x, 1, destination);
    }

    /// <summary><see cref="Kernels.MatMul"/> on the pool's threads: same checks, same bits.</summary>
    public void MatMul(in Matrix w, ReadOnlySpan<float> x, int count, Span<float> destination)
    {
        if (count < 0 || x.Length < (long)count * w.Cols || destination.Length < (long)count * w.Rows || Threads == 1)
        {
            Kernels.MatMul(w, x, count, destination);
            return;
        }
        Run(w, x, count, destination);
    }

    /// <summary>
    /// <see cref="MatMul(in Matrix, ReadOnlySpan{float}, int, Span{float})"/> of a weight of exactly <typeparamref name="TColumns"/>
    /// columns (generated code passes its width): one token goes through <see cref="Kernels.MatVec{TColumns}"/>, built for that
    /// width; same checks, same bits.
    /// </summary>
    public void MatMul<TColumns>(in Matrix w, ReadOnlySpan<float> x, int count, Span<float> destination)
        where TColumns : IColumnCount
    {
        Kernels.RequireWidth<TColumns>(w);
        if (count != 1 || x.Length < w.Cols || destination.Length < w.Rows || !Kernels.UsesFixedWidth<TColumns>(w))
        {
            MatMul(w, x, count, destination);
            return;
        }
        if (Threads == 1)
        {
            Kernels.MatVecRows<TColumns>(w, x, destination, 0, w.Rows);
            return;
        }
        _fixedWidthRows = &Kernels.MatVecRows<TColumns>;
        try
        {
            Run(w, x, 1, destination);
        }
        finally
        {
            _fixedWidthRows = null;
        }
    }

    /// <summary><see cref="Kernels.TernaryMatMul"/> on the pool's threads: same checks, same bits (exact integer sums).</summary>
    public void TernaryMatMul(in TernaryMatrix w, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> scales, int count, Span<float> destination)
    {
        if (count < 0 || x.Length < (long)count * w.PaddedCols || scales.Length < count || destination.Length < (long)count * w.Rows || Threads == 1)
        {
            Kernels.TernaryMatMul(w, x, scales, count, destination);
            return;
        }
        fixed (sbyte* px = x)
        fixed (float* ps = scales, pd = destination)
        {
            _job = Job.Ternary;
            _ternary = w;
            _count = count;
            _codes = px;
            _scales = ps;
            _destination = pd;
            if (!TryRun(w.Rows, (long)w.Rows * w.PaddedCols * count, RowAlignment))
            {
                Kernels.TernaryMatMul(w, x, scales, count, destination);
            }
        }
    }

    /// <summary><see cref="Kernels.Q8MatMul"/> on the pool's threads: same checks, same bits.</summary>
    public void Q8MatMul(in Q8Matrix w, ReadOnlySpan<sbyte> x, ReadOnlySpan<float> scales, int count, Span<float> destination)
    {
        if (count < 0 || x.Length < (long)count * w.PaddedCols || scales.Length < (long)count * w.Blocks || destination.Length < (long)count * w.Rows ||
            Threads == 1)
        {
            Kernels.Q8MatMul(w, x, scales, count, destination);
            return;
        }
        fixed (sbyte* px = x)
        fixed (float* ps = scales, pd = destination)
        {
            _job = Job.Q8;
            _q8 = w;
            _count = count;
            _codes = px;
            _scales = ps;
            _destination = pd;
            if (!TryRun(w.Rows, (long)w.Rows * w.PaddedCols * count, RowAlignment))
            {
                Kernels.Q8MatMul(w, x, scales, count, destination);
            }
        }
    }

    /// <summary>
    /// <see cref="Kernels.CausalConv1dSilu"/> on the pool's threads, split by channel (ranges of whole cache lines): same checks, same bits.
    /// </summary>
    /// <remarks>
    /// Like <see cref="SelectiveScan"/>, <see cref="MLstmChunk"/>, <see cref="SLstmChunk"/> and <see cref="AttendChunk"/>, a single token (decode) runs on the calling thread: splitting it
    /// adds hand-offs to every layer of a token and was not measured faster.
    /// </remarks>
    public void CausalConv1dSilu(ReadOnlySpan<float> x, int xStride, Span<float> convState, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        int count, Span<float> destination)
    {
        if (Threads == 1 || count == 1)
        {
            Kernels.CausalConv1dSilu(x, xStride, convState, weight, bias, count, destination);
            return;
        }
        int channels = Kernels.CheckCausalConv1dSilu(x, xStride, convState, weight, bias, count, destination);
        fixed (float* px = x, ps = convState, pw = weight, pb = bias, pd = destination)
        {
            _job = Job.Conv;
            _conv = new ConvJob(new(px, x.Length), xStride, new(ps, convState.Length), new(pw, weight.Length), new(pb, bias.Length), count,
                new(pd, destination.Length));
            if (!TryRun(channels, (long)count * channels * ConvChannelCost, RowAlignment))
            {
                Kernels.CausalConv1dSiluChannels(x, xStride, convState, weight, bias, count, destination, 0, channels);
            }
        }
    }

    /// <summary><see cref="Kernels.SelectiveScan"/> on the pool's threads, split by channel: same checks, same bits.</summary>
    public void SelectiveScan(
        ReadOnlySpan<float> x, ReadOnlySpan<float> dt, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, int bcStride,
        ReadOnlySpan<float> d, ReadOnlySpan<float> z, int zStride, Span<float> state, int count, Span<float> destination)
    {
        Kernels.CheckSelectiveScan(x, dt, a, b, c, bcStride, d, z, zStride, state, count, destination);
        RunScan(&Kernels.SelectiveScanChannels, x, dt, a, b, c, bcStride, d, z, zStride, state, count, destination);
    }

    /// <summary>
    /// <see cref="SelectiveScan"/> with a state size of exactly <typeparamref name="TState"/> (generated code passes its d_state):
    /// every token goes through <see cref="Kernels.SelectiveScanStep{TState}"/>, built for that size (a batch split by channel
    /// among the threads, as <see cref="SelectiveScan"/> splits it); same checks, same bits.
    /// </summary>
    public void SelectiveScan<TState>(
        ReadOnlySpan<float> x, ReadOnlySpan<float> dt, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, int bcStride,
        ReadOnlySpan<float> d, ReadOnlySpan<float> z, int zStride, Span<float> state, int count, Span<float> destination)
        where TState : IColumnCount
    {
        if (!Kernels.UsesFixedStateSize<TState>() || state.Length != (long)d.Length * TState.Count)
        {
            SelectiveScan(x, dt, a, b, c, bcStride, d, z, zStride, state, count, destination); // checks, and throws on bad lengths
            return;
        }
        Kernels.CheckSelectiveScan(x, dt, a, b, c, bcStride, d, z, zStride, state, count, destination);
        RunScan(&Kernels.SelectiveScanChannels<TState>, x, dt, a, b, c, bcStride, d, z, zStride, state, count, destination);
    }

    /// <summary>
    /// A checked scan by <paramref name="channelKernel"/>: on the calling thread for a single token (decode; splitting it adds
    /// hand-offs to every layer of a token) or a single thread, else split by channel.
    /// </summary>
    private void RunScan(ScanChannelKernel channelKernel,
        ReadOnlySpan<float> x, ReadOnlySpan<float> dt, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, int bcStride,
        ReadOnlySpan<float> d, ReadOnlySpan<float> z, int zStride, Span<float> state, int count, Span<float> destination)
    {
        int channels = d.Length, stateSize = state.Length / channels;
        if (Threads == 1 || count == 1)
        {
            channelKernel(x, dt, a, b, c, bcStride, d, z, zStride, state, count, destination, 0, channels);
            return;
        }
        fixed (float* px = x, pdt = dt, pa = a, pb = b, pc = c, pd = d, pz = z, ps = state, py = destination)
        {
            _job = Job.Scan;
            _scan = new ScanJob(new(px, x.Length), new(pdt, dt.Length), new(pa, a.Length), new(pb, b.Length), new(pc, c.Length), bcStride,
                new(pd, d.Length), new(pz, z.Length), zStride, new(ps, state.Length), count, new(py, destination.Length), channelKernel);
            if (!TryRun(channels, (long)count * channels * ((stateSize * ScanStateCost) + ScanChannelCost), RowAlignment))
            {
                channelKernel(x, dt, a, b, c, bcStride, d, z, zStride, state, count, destination, 0, channels);
            }
        }
    }

    /// <summary><see cref="Kernels.MLstmChunk"/> on the pool's threads, split by head: same checks, same bits.</summary>
    public void MLstmChunk(
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, int qkStride, ReadOnlySpan<float> v, int vStride, ReadOnlySpan<float> inputGates,
        ReadOnlySpan<float> forgetGates, float queryScale, float keyScale, float eps, Span<float> c, Span<float> n, Span<float> m,
        ReadOnlySpan<float> normWeight, float normEps, int count, Span<float> destination)
    {
        if (Threads == 1 || count == 1)
        {
            Kernels.MLstmChunk(q, k, qkStride, v, vStride, inputGates, forgetGates, queryScale, keyScale, eps, c, n, m, normWeight, normEps, count, destination);
            return;
        }
        int heads = Kernels.CheckMLstmChunk(q, k, qkStride, v, vStride, inputGates, forgetGates, c, n, m, normWeight, count, destination);
        fixed (float* pq = q, pk = k, pv = v, pi = inputGates, pf = forgetGates, pc = c, pn = n, pm = m, pw = normWeight, pd = destination)
        {
            _job = Job.MLstm;
            _mlstm = new MLstmJob(new(pq, q.Length), new(pk, k.Length), qkStride, new(pv, v.Length), vStride, new(pi, inputGates.Length),
                new(pf, forgetGates.Length), queryScale, keyScale, eps, new(pc, c.Length), new(pn, n.Length), new(pm, m.Length),
                new(pw, normWeight.Length), normEps, count, new(pd, destination.Length));
            if (!TryRun(heads, (long)count * (((long)c.Length * MLstmMemoryCost) + ((long)heads * MLstmHeadCost)), 1))
            {
                Kernels.MLstmHeads(q, k, qkStride, v, vStride, inputGates, forgetGates, queryScale, keyScale, eps, c, n, m, normWeight, normEps, count,
                    destination, 0, heads);
            }
        }
    }

    /// <summary><see cref="Kernels.SLstmChunk"/> on the pool's threads, split by head: same checks, same bits.</summary>
    public void SLstmChunk(
        Span<float> gates, ReadOnlySpan<float> recurrentKernel, int heads, Span<float> recurrent, Span<float> c, Span<float> n, Span<float> m, Span<float> y,
        ReadOnlySpan<float> normWeight, float normEps, int count, Span<float> destination)
    {
        if (Threads == 1 || count == 1)
        {
            Kernels.SLstmChunk(gates, recurrentKernel, heads, recurrent, c, n, m, y, normWeight, normEps, count, destination);
            return;
        }
        Kernels.CheckSLstmChunk(gates, recurrentKernel, heads, recurrent, c, n, m, y, normWeight, count, destination);
        fixed (float* pg = gates, pk = recurrentKernel, pr = recurrent, pc = c, pn = n, pm = m, py = y, pw = normWeight, pd = destination)
        {
            _job = Job.SLstm;
            _slstm = new SLstmJob(new(pg, gates.Length), new(pk, recurrentKernel.Length), heads, new(pr, recurrent.Length), new(pc, c.Length),
                new(pn, n.Length), new(pm, m.Length), new(py, y.Length), new(pw, normWeight.Length), normEps, count, new(pd, destination.Length));
            if (!TryRun(heads, (long)count * (recurrentKernel.Length + ((long)y.Length * SLstmUnitCost)), 1))
            {
                Kernels.SLstmHeads(gates, recurrentKernel, heads, recurrent, c, n, m, y, normWeight, normEps, count, destination, 0, heads);
            }
        }
    }

    /// <summary>
    /// <see cref="Kernels.AttendChunk"/> on the pool's threads, split by (head, token) pair, or (two heads, token) where heads go two at
    /// a time (<see cref="Kernels.AttendUnits"/>): same checks, same bits. The calling thread
    /// uses <paramref name="scores"/>, the workers their own (see the constructor); a chunk longer than those runs on the calling thread.
    /// </summary>
    public void AttendChunk(
        ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int heads, int kvHeads, int position, int count,
        float scale, Span<float> scores, Span<float> destination)
    {
        if (Threads == 1 || count == 1 || position + count > _scores[0].Length || scores.Length < position + count)
        {
            Kernels.AttendChunk(q, keys, values, heads, kvHeads, position, count, scale, scores, destination); // checks (and throws on) the lengths
            return;
        }
        Kernels.CheckAttendChunk(q, keys, values, heads, kvHeads, position, count, destination);
        int pairs = heads * count, attended = position + count;
        long work = (long)pairs * 2 * (q.Length / pairs) * (position + ((count + 1) / 2)); // a dot product and a scaled add per attended position
        bool twoHeads = Kernels.AttendsTwoHeadsAtOnce(heads, kvHeads, q.Length / pairs, attended, Math.Min(scores.Length, _scores[0].Length));
        int units = Kernels.AttendUnits(heads, count, twoHeads);
        fixed (float* pq = q, pk = keys, pv = values, ps = scores, pd = destination)
        {
            _job = Job.Attention;
            _attention = new AttentionJob(new(pq, q.Length), new(pk, keys.Length), new(pv, values.Length), heads, kvHeads, position, count, scale,
                new(ps, scores.Length), new(pd, destination.Length), twoHeads);
            if (!TryRun(units, work, 1))
            {
                Kernels.AttendPairs(q, keys, values, heads, kvHeads, position, count, scale, scores, destination, twoHeads, 0, units);
            }
        }
    }

    /// <summary>
    /// Streaming-read bandwidth in GB/s on this pool's threads, for a working set of <paramref name="bytes"/> bytes: the
    /// best of five timings of matrix-vector products over a matrix of that size (the decode's own read path, with little
    /// arithmetic per byte) in rows of 768 floats, a typical projection's (rows of 4096 read 20% slower where streamed rows
    /// are prefetched, the hints running 4 KiB ahead of each row's start), each timing running enough products to read at least 64 MiB, after one warm-up timing. A
    /// matrix far larger than the caches measures the memory; one that fits a cache measures that cache, read again
    /// and again as a decode reads its weights. Allocates and frees the matrix.
    /// </summary>
    public double MeasureReadBandwidth(int bytes)
    {
        const int cols = 768;
        int rows = Math.Max(1, bytes / sizeof(float) / cols);
        long elements = (long)rows * cols;
        int products = (int)Math.Max(1, (64L << 20) / (elements * sizeof(float)));
        float* data = (float*)NativeMemory.AlignedAlloc((nuint)(elements * sizeof(float)), 64);
        try
        {
            new Span<float>(data, checked((int)elements)).Fill(1f / cols);
            var w = new Matrix(data, rows, cols);
            var x = new float[cols];
            var y = new float[rows];
            Array.Fill(x, 1f);
            double best = 0;
            for (int timing = 0; timing < 6; timing++)
            {
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < products; i++)
                {
                    MatVec(w, x, y);
                }
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                if (timing > 0)
                {
                    best = Math.Max(best, products * elements * sizeof(float) / seconds / 1e9);
                }
            }
            return best;
        }
        finally
        {
            NativeMemory.AlignedFree(data);
        }
    }

    private void Run(in Matrix w, ReadOnlySpan<float> x, int count, Span<float> destination)
    {
        fixed (float* px = x, pd = destination)
        {
            _job = Job.Float;
            _w = w;
            _count = count;
            _x = px;
            _destination = pd;
            if (TryRun(w.Rows, (long)w.Rows * w.Cols * count, RowAlignment))
            {
                return;
            }
            if (_fixedWidthRows != null)
            {
                _fixedWidthRows(w, x, destination, 0, w.Rows);
            }
            else
            {
                Kernels.MatMul(w, x, count, destination);
            }
        }
    }

    /// <summary>
    /// Runs the job the fields describe on as many threads as its size pays for, the caller's first, and waits for all;
    /// false (nothing run) when one thread is enough.
    /// </summary>
    /// <param name="rows">The job's rows (output rows, channels or pairs), split into ranges of a multiple of <paramref name="alignment"/> rows.</param>
    /// <param name="work">The job's cost in multiply-adds of a product.</param>
    /// <param name="alignment">Rows of a range but the last are a multiple of this.</param>
    private bool TryRun(int rows, long work, int alignment)
    {
        int parts = (int)Math.Min(Math.Min(Threads, work / _minMultiplyAdds), (rows + alignment - 1) / alignment);
        if (parts <= 1)
        {
            return false;
        }
        ObjectDisposedException.ThrowIf(_disposed, this);
        _rows = rows;
        _alignment = alignment;
        _parts = parts;
        // Every worker acknowledges every job, those without rows too, so none can lag into the next job.
        Volatile.Write(ref _pending, _threads.Length);
        Interlocked.Increment(ref _generation); // full fence: the job is visible before the new generation
        for (int i = 0; i < _threads.Length; i++)
        {
            if (Volatile.Read(ref _parked[i]) != 0)
            {
                _wake[i].Set();
            }
        }
        RunPart(0);
        var spin = default(SpinWait);
        while (Volatile.Read(ref _pending) != 0)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
        return true;
    }

    /// <summary>Rows of part <paramref name="part"/> of the current job, a multiple of the job's alignment but for the last.</summary>
    private void RunPart(int part)
    {
        int rows = _rows;
        int perPart = (rows + _parts - 1) / _parts;
        perPart = (perPart + _alignment - 1) / _alignment * _alignment;
        int start = Math.Min(rows, part * perPart), end = Math.Min(rows, start + perPart);
        if (start >= end)
        {
            return;
        }
        switch (_job)
        {
            case Job.Float when _fixedWidthRows != null:
                _fixedWidthRows(_w, new ReadOnlySpan<float>(_x, _w.Cols), ProductDestination, start, end);
                break;
            case Job.Float:
                Kernels.MatMulRows(_w, new ReadOnlySpan<float>(_x, checked(_count * _w.Cols)), _count, ProductDestination, start, end);
                break;
            case Job.Ternary:
                Kernels.TernaryMatMulRows(_ternary, new ReadOnlySpan<sbyte>(_codes, checked(_count * _ternary.PaddedCols)), new ReadOnlySpan<float>(_scales, _count),
                    _count, ProductDestination, start, end);
                break;
            case Job.Q8:
                Kernels.Q8MatMulRows(_q8, new ReadOnlySpan<sbyte>(_codes, checked(_count * _q8.PaddedCols)),
                    new ReadOnlySpan<float>(_scales, checked(_count * _q8.Blocks)), _count, ProductDestination, start, end);
                break;
            case Job.Conv:
                _conv.Run(start, end);
                break;
            case Job.Scan:
                _scan.Run(start, end);
                break;
            case Job.MLstm:
                _mlstm.Run(start, end);
                break;
            case Job.SLstm:
                _slstm.Run(start, end);
                break;
            default:
                _attention.Run(part == 0 ? _attention.Scores.Span : _scores[part - 1], start, end);
                break;
        }
    }

    /// <summary>The output of the current product, <c>[count, rows]</c>.</summary>
    private Span<float> ProductDestination => new(_destination, checked(_count * _rows));

    private void Work(int part)
    {
        int slot = part - 1;
        long seen = 0;
        // ManualResetEventSlim allocates its lock object on its first blocking wait: make that happen now, at start-up
        // (1 ms, never set at this point), not on the first park in the middle of a decode (zero allocation per token).
        _wake[slot].Wait(1);
        while (true)
        {
            long generation = Volatile.Read(ref _generation);
            if (generation == seen)
            {
                long spinUntil = Stopwatch.GetTimestamp() + _spinTicks;
                while ((generation = Volatile.Read(ref _generation)) == seen && Stopwatch.GetTimestamp() < spinUntil)
                {
                    Thread.SpinWait(8);
                }
            }
            if (generation == seen)
            {
                // Park: say so (full fence), then look once more, so a caller either sees the flag and wakes us or
                // bumped the generation before our second look.
                _wake[slot].Reset();
                Interlocked.Exchange(ref _parked[slot], 1);
                if (Volatile.Read(ref _generation) == seen && !_disposed)
                {
                    _wake[slot].Wait();
                }
                Volatile.Write(ref _parked[slot], 0);
                continue;
            }
            seen = generation;
            if (_disposed)
            {
                return;
            }
            if (part < _parts)
            {
                RunPart(part);
            }
            Volatile.Write(ref _allocated[slot], GC.GetAllocatedBytesForCurrentThread());
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>A span of floats the caller pinned for the length of a job.</summary>
    private readonly struct Pinned(float* pointer, int length)
    {
        public Span<float> Span => new(pointer, length);
    }

    /// <summary>The arguments of <see cref="CausalConv1dSilu"/>.</summary>
    private readonly struct ConvJob(Pinned x, int xStride, Pinned convState, Pinned weight, Pinned bias, int count, Pinned destination)
    {
        public void Run(int start, int end) =>
            Kernels.CausalConv1dSiluChannels(x.Span, xStride, convState.Span, weight.Span, bias.Span, count, destination.Span, start, end);
    }

    /// <summary>The arguments of <see cref="SelectiveScan"/>, and the channel kernel (any state size, or one built for the model's).</summary>
    private readonly struct ScanJob(
        Pinned x, Pinned dt, Pinned a, Pinned b, Pinned c, int bcStride, Pinned d, Pinned z, int zStride, Pinned state, int count, Pinned destination,
        ScanChannelKernel channels)
    {
        public void Run(int start, int end) =>
            channels(x.Span, dt.Span, a.Span, b.Span, c.Span, bcStride, d.Span, z.Span, zStride, state.Span, count, destination.Span, start, end);
    }

    /// <summary>The arguments of <see cref="MLstmChunk"/>.</summary>
    private readonly struct MLstmJob(
        Pinned q, Pinned k, int qkStride, Pinned v, int vStride, Pinned inputGates, Pinned forgetGates, float queryScale, float keyScale, float eps,
        Pinned c, Pinned n, Pinned m, Pinned normWeight, float normEps, int count, Pinned destination)
    {
        public void Run(int start, int end) =>
            Kernels.MLstmHeads(q.Span, k.Span, qkStride, v.Span, vStride, inputGates.Span, forgetGates.Span, queryScale, keyScale, eps, c.Span, n.Span,
                m.Span, normWeight.Span, normEps, count, destination.Span, start, end);
    }

    /// <summary>The arguments of <see cref="SLstmChunk"/>.</summary>
    private readonly struct SLstmJob(
        Pinned gates, Pinned recurrentKernel, int heads, Pinned recurrent, Pinned c, Pinned n, Pinned m, Pinned y, Pinned normWeight, float normEps,
        int count, Pinned destination)
    {
        public void Run(int start, int end) =>
            Kernels.SLstmHeads(gates.Span, recurrentKernel.Span, heads, recurrent.Span, c.Span, n.Span, m.Span, y.Span, normWeight.Span, normEps, count,
                destination.Span, start, end);
    }

    /// <summary>The arguments of <see cref="AttendChunk"/>, the calling thread's <see cref="Scores"/> included.</summary>
    private readonly struct AttentionJob(
        Pinned q, Pinned keys, Pinned values, int heads, int kvHeads, int position, int count, float scale, Pinned scores, Pinned destination,
        bool twoHeads)
    {
        public Pinned Scores => scores;

        public void Run(Span<float> threadScores, int start, int end) =>
            Kernels.AttendPairs(q.Span, keys.Span, values.Span, heads, kvHeads, position, count, scale, threadScores, destination.Span, twoHeads, start, end);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Interlocked.Increment(ref _generation);
        foreach (var wake in _wake)
        {
            wake.Set();
        }
        foreach (var thread in _threads)
        {
            thread.Join();
        }
        foreach (var wake in _wake)
        {
            wake.Dispose();
        }
    }
}
