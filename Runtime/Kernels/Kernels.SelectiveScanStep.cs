using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// One step of the Mamba-1 selective scan (HF <c>selective_state_update</c>), for <c>E = x.Length</c>
    /// channels and state size <c>N = b.Length</c>. For every channel <c>ch</c> and <c>n &lt; N</c>:
    /// <c>state[ch,n] = exp(dt[ch]·a[ch,n])·state[ch,n] + dt[ch]·b[n]·x[ch]</c>; then
    /// <c>destination[ch] = (Σ_n state[ch,n]·c[n] + d[ch]·x[ch])·silu(z[ch])</c>. All in float32.
    /// </summary>
    /// <param name="x">The convolved, activated input <c>xc</c>, E values.</param>
    /// <param name="dt">The step sizes after softplus, E values.</param>
    /// <param name="a">The state matrix <c>A = −exp(A_log)</c>, <c>[E, N]</c> row-major.</param>
    /// <param name="b">The input projection <c>B</c> of this token, N values.</param>
    /// <param name="c">The output projection <c>C</c> of this token, N values.</param>
    /// <param name="d">The skip weights <c>D</c>, E values.</param>
    /// <param name="z">The gate (second half of in_proj), E values.</param>
    /// <param name="state">The SSM state, <c>[E, N]</c> row-major; updated.</param>
    /// <param name="destination">The gated output <c>y</c>, E values; may be <paramref name="x"/> or <paramref name="z"/> itself.</param>
    /// <exception cref="ArgumentException"><paramref name="b"/> is empty or a length does not match.</exception>
    public static void SelectiveScanStep(
        ReadOnlySpan<float> x, ReadOnlySpan<float> dt, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c,
        ReadOnlySpan<float> d, ReadOnlySpan<float> z, Span<float> state, Span<float> destination)
    {
        int channels = x.Length, stateSize = b.Length;
        if (stateSize == 0)
        {
            Throw(nameof(b), "b is empty; the state size must be positive.");
        }

        RequireLength(dt, channels);
        RequireLength(a, channels * stateSize);
        RequireLength(c, stateSize);
        RequireLength(d, channels);
        RequireLength(z, channels);
        RequireLength(state, channels * stateSize);
        RequireLength(destination, channels);
        if (Vector256.IsHardwareAccelerated && stateSize >= Vector256<float>.Count)
        {
            SelectiveScanStep<Simd256, Vector256<float>>(x, dt, a, b, c, d, z, state, destination);
        }
        else if (Vector128.IsHardwareAccelerated && stateSize >= Vector128<float>.Count)
        {
            SelectiveScanStep<Simd128, Vector128<float>>(x, dt, a, b, c, d, z, state, destination);
        }
        else
        {
            SelectiveScanStep<SimdScalar, float>(x, dt, a, b, c, d, z, state, destination);
        }
    }

    /// <summary>
    /// The selective scan over a chunk of <paramref name="count"/> tokens: <see cref="SelectiveScanStep"/> of each token in order through
    /// <paramref name="state"/>, with <c>E = d.Length</c> channels and state size <c>N = state.Length / E</c>.
    /// </summary>
    /// <param name="x">The convolved, activated inputs <c>[count, E]</c>.</param>
    /// <param name="dt">The step sizes after softplus, <c>[count, E]</c>.</param>
    /// <param name="a">The state matrix <c>A = −exp(A_log)</c>, <c>[E, N]</c> row-major.</param>
    /// <param name="b">Token t's input projection <c>B</c>: N values from <c>t·bcStride</c>.</param>
    /// <param name="c">Token t's output projection <c>C</c>: N values from <c>t·bcStride</c>.</param>
    /// <param name="bcStride">Elements from one token's B (and C) to the next, at least N (e.g. the width of x_proj's <c>[dt | B | C]</c> rows).</param>
    /// <param name="d">The skip weights <c>D</c>, E values.</param>
    /// <param name="z">Token t's gate: E values from <c>t·zStride</c>.</param>
    /// <param name="zStride">Elements from one token's gate to the next, at least E.</param>
    /// <param name="state">The SSM state, <c>[E, N]</c> row-major; updated through all the tokens.</param>
    /// <param name="count">Tokens, 1 or more.</param>
    /// <param name="destination">The gated outputs <c>y</c>, <c>[count, E]</c>; must not overlap the inputs.</param>
    /// <exception cref="ArgumentException">A length does not match.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not positive or a stride is too small.</exception>
    public static void SelectiveScan(
        ReadOnlySpan<float> x, ReadOnlySpan<float> dt, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, int bcStride,
        ReadOnlySpan<float> d, ReadOnlySpan<float> z, int zStride, Span<float> state, int count, Span<float> destination)
    {
        CheckSelectiveScan(x, dt, a, b, c, bcStride, d, z, zStride, state, count, destination);
        SelectiveScanChannels(x, dt, a, b, c, bcStride, d, z, zStride, state, count, destination, 0, d.Length);
    }

    /// <summary>Checks the arguments of <see cref="SelectiveScan"/>.</summary>
    internal static void CheckSelectiveScan(
        ReadOnlySpan<float> x, ReadOnlySpan<float> dt, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, int bcStride,
        ReadOnlySpan<float> d, ReadOnlySpan<float> z, int zStride, ReadOnlySpan<float> state, int count, ReadOnlySpan<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        int channels = d.Length;
        int stateSize = channels == 0 ? 0 : state.Length / channels;
        if (stateSize == 0 || state.Length != channels * stateSize)
        {
            Throw(nameof(state), $"state has {state.Length} elements; expected a positive multiple of the {channels} channels.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(bcStride, stateSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(zStride, channels);
        RequireLength(a, state.Length);
        RequireAtLeast(x, (long)count * channels);
        RequireAtLeast(dt, (long)count * channels);
        RequireAtLeast(destination, (long)count * channels);
        RequireAtLeast(b, ((long)(count - 1) * bcStride) + stateSize);
        RequireAtLeast(c, ((long)(count - 1) * bcStride) + stateSize);
        RequireAtLeast(z, ((long)(count - 1) * zStride) + channels);
    }

    /// <summary><see cref="SelectiveScan"/> of channels <c>[start, end)</c> only (channels are independent). Lengths checked by the caller.</summary>
    internal static void SelectiveScanChannels(
        ReadOnlySpan<float> x, ReadOnlySpan<float> dt, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, int bcStride,
        ReadOnlySpan<float> d, ReadOnlySpan<float> z, int zStride, Span<float> state, int count, Span<float> destination, int start, int end)
    {
        int channels = d.Length, stateSize = state.Length / channels, n = end - start;
        ReadOnlySpan<float> aRows = a.Slice(start * stateSize, n * stateSize);
        Span<float> stateRows = state.Slice(start * stateSize, n * stateSize);
        for (int t = 0; t < count; t++)
        {
            int row = (t * channels) + start;
            SelectiveScanStep(x.Slice(row, n), dt.Slice(row, n), aRows, b.Slice(t * bcStride, stateSize), c.Slice(t * bcStride, stateSize),
                d.Slice(start, n), z.Slice((t * zStride) + start, n), stateRows, destination.Slice(row, n));
        }
    }

    /// <summary>
    /// <see cref="SelectiveScanChannels"/> for a state size of exactly <typeparamref name="TState"/> where
    /// <see cref="UsesFixedStateSize{TState}"/>: each token through <see cref="SelectiveScanStepAvx{TState}"/>, the same bits (every
    /// channel's result is its own, whatever the range). Lengths checked by the caller.
    /// </summary>
    internal static void SelectiveScanChannels<TState>(
        ReadOnlySpan<float> x, ReadOnlySpan<float> dt, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, int bcStride,
        ReadOnlySpan<float> d, ReadOnlySpan<float> z, int zStride, Span<float> state, int count, Span<float> destination, int start, int end)
        where TState : IColumnCount
    {
        int channels = d.Length, n = end - start;
        ReadOnlySpan<float> aRows = a.Slice(start * TState.Count, n * TState.Count);
        Span<float> stateRows = state.Slice(start * TState.Count, n * TState.Count);
        for (int t = 0; t < count; t++)
        {
            int row = (t * channels) + start;
            SelectiveScanStepAvx<TState>(x.Slice(row, n), dt.Slice(row, n), aRows, b.Slice(t * bcStride, TState.Count), c.Slice(t * bcStride, TState.Count),
                d.Slice(start, n), z.Slice((t * zStride) + start, n), stateRows, destination.Slice(row, n));
        }
    }

    /// <summary><see cref="SelectiveScanStep"/> at one vector width (over the state dimension); lengths unchecked.</summary>
    internal static void SelectiveScanStep<TSimd, TVector>(
        ReadOnlySpan<float> x, ReadOnlySpan<float> dt, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c,
        ReadOnlySpan<float> d, ReadOnlySpan<float> z, Span<float> state, Span<float> destination)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        int stateSize = b.Length;
        for (int ch = 0; ch < x.Length; ch++)
        {
            float xc = x[ch];
            int row = ch * stateSize;
            float y = ScanRow<TSimd, TVector>(xc, dt[ch], a.Slice(row, stateSize), b, c, state.Slice(row, stateSize));
            destination[ch] = (y + (d[ch] * xc)) * SiluOperator.Invoke<SimdScalar, float>(z[ch]);
        }
    }

    /// <summary>Updates one channel's state row (<c>s = exp(dt·a)·s + (dt·b)·x</c>) and returns <c>Σ_n s[n]·c[n]</c>.</summary>
    private static float ScanRow<TSimd, TVector>(float x, float dt, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> state)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        ref float aRow = ref MemoryMarshal.GetReference(a);
        ref float bs = ref MemoryMarshal.GetReference(b);
        ref float cs = ref MemoryMarshal.GetReference(c);
        ref float sRow = ref MemoryMarshal.GetReference(state);
        TVector dtv = TSimd.Create(dt), xv = TSimd.Create(x);
        TVector y = TSimd.Zero;
        nuint length = (nuint)state.Length;
        nuint count = (nuint)TSimd.Count;
        nuint i = 0;
        for (; i + count <= length; i += count)
        {
            TVector decay = TSimd.ExpNonPositive(TSimd.Multiply(dtv, TSimd.Load(ref aRow, i)));
            TVector input = TSimd.Multiply(TSimd.Multiply(dtv, TSimd.Load(ref bs, i)), xv);
            TVector s = TSimd.MultiplyAdd(decay, TSimd.Load(ref sRow, i), input);
            TSimd.Store(s, ref sRow, i);
            y = TSimd.MultiplyAdd(s, TSimd.Load(ref cs, i), y);
        }

        float sum = TSimd.Sum(y);
        if (i < length)
        {
            int tail = (int)i;
            sum += ScanRow<SimdScalar, float>(x, dt, a[tail..], b[tail..], c[tail..], state[tail..]);
        }

        return sum;
    }

    /// <summary>
    /// <see cref="SelectiveScanStep"/> for a state size of exactly <typeparamref name="TState"/>, with the same bits. Where the
    /// size-specific code applies (<see cref="UsesFixedStateSize{TState}"/>) a channel's state row is a fixed number of
    /// vectors handled without a loop, and eight channels share one reduction (<see cref="SumsOfEightAvx"/>); elsewhere this
    /// is <c>SelectiveScanStep</c>.
    /// </summary>
    /// <typeparam name="TState">The state size N.</typeparam>
    /// <exception cref="ArgumentException"><paramref name="b"/> does not hold <typeparamref name="TState"/> values, or a length does not match.</exception>
    public static void SelectiveScanStep<TState>(
        ReadOnlySpan<float> x, ReadOnlySpan<float> dt, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c,
        ReadOnlySpan<float> d, ReadOnlySpan<float> z, Span<float> state, Span<float> destination)
        where TState : IColumnCount
    {
        RequireLength(b, TState.Count);
        if (!UsesFixedStateSize<TState>())
        {
            SelectiveScanStep(x, dt, a, b, c, d, z, state, destination);
            return;
        }
        int channels = x.Length;
        RequireLength(dt, channels);
        RequireLength(a, channels * TState.Count);
        RequireLength(c, TState.Count);
        RequireLength(d, channels);
        RequireLength(z, channels);
        RequireLength(state, channels * TState.Count);
        RequireLength(destination, channels);
        SelectiveScanStepAvx<TState>(x, dt, a, b, c, d, z, state, destination);
    }

    /// <summary>
    /// Whether <see cref="SelectiveScanStep{TState}"/> runs size-specific code: a state of whole 256-bit vectors, on AVX2 with
    /// FMA.
    /// </summary>
    internal static bool UsesFixedStateSize<TState>()
        where TState : IColumnCount =>
        TState.Count % Vector256<float>.Count == 0 && Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// <see cref="SelectiveScanStep{TState}"/> with AVX where <see cref="UsesFixedStateSize{TState}"/>; lengths unchecked. Eight
    /// channels at a time, in two passes: first their decays <c>exp(dt·a)</c>, one loop over their <c>8·N</c> contiguous elements
    /// of <c>a</c> that keeps the exponential's constants in registers; then their state rows, each a fixed number of vectors, with
    /// one reduction for the eight (<see cref="SumsOfEightAvx"/>). Every element goes
    /// through the operations of <see cref="ScanRow{TSimd, TVector}"/> in its order.
    /// </summary>
    [SkipLocalsInit] // the decays are written before they are read
    internal static unsafe void SelectiveScanStepAvx<TState>(
        ReadOnlySpan<float> x, ReadOnlySpan<float> dt, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c,
        ReadOnlySpan<float> d, ReadOnlySpan<float> z, Span<float> state, Span<float> destination)
        where TState : IColumnCount
    {
        int channels = x.Length;
        float* decays = stackalloc float[8 * TState.Count];
        fixed (float* xs = x, dts = dt, aRows = a, bs = b, cs = c, ds = d, zs = z, sRows = state, ys = destination)
        {
            int ch = 0;
            for (; ch + 8 <= channels; ch += 8)
            {
                float* aRow = aRows + (ch * TState.Count), sRow = sRows + (ch * TState.Count);
                for (int j = 0; j < 8; j++)
                {
                    Decays<TState>(dts[ch + j], aRow + (j * TState.Count), decays + (j * TState.Count));
                }
                var sums = SumsOfEightAvx(
                    UpdateLanes<TState>(xs[ch], dts[ch], decays, bs, cs, sRow),
                    UpdateLanes<TState>(xs[ch + 1], dts[ch + 1], decays + TState.Count, bs, cs, sRow + TState.Count),
                    UpdateLanes<TState>(xs[ch + 2], dts[ch + 2], decays + (2 * TState.Count), bs, cs, sRow + (2 * TState.Count)),
                    UpdateLanes<TState>(xs[ch + 3], dts[ch + 3], decays + (3 * TState.Count), bs, cs, sRow + (3 * TState.Count)),
                    UpdateLanes<TState>(xs[ch + 4], dts[ch + 4], decays + (4 * TState.Count), bs, cs, sRow + (4 * TState.Count)),
                    UpdateLanes<TState>(xs[ch + 5], dts[ch + 5], decays + (5 * TState.Count), bs, cs, sRow + (5 * TState.Count)),
                    UpdateLanes<TState>(xs[ch + 6], dts[ch + 6], decays + (6 * TState.Count), bs, cs, sRow + (6 * TState.Count)),
                    UpdateLanes<TState>(xs[ch + 7], dts[ch + 7], decays + (7 * TState.Count), bs, cs, sRow + (7 * TState.Count)));
                // The eight channels' skip and gate at once: each lane the bits of the single-channel line below.
                var y = sums + (Vector256.Load(ds + ch) * Vector256.Load(xs + ch));
                (y * SiluOperator.Invoke<Simd256, Vector256<float>>(Vector256.Load(zs + ch))).Store(ys + ch);
            }
            for (; ch < channels; ch++)
            {
                Decays<TState>(dts[ch], aRows + (ch * TState.Count), decays);
                float y = Vector256.Sum(UpdateLanes<TState>(xs[ch], dts[ch], decays, bs, cs, sRows + (ch * TState.Count)));
                ys[ch] = (y + (ds[ch] * xs[ch])) * SiluOperator.Invoke<SimdScalar, float>(zs[ch]);
            }
        }
    }

    /// <summary>
    /// The first pass of <see cref="SelectiveScanStepAvx{TState}"/> for one channel: <c>decay[n] = exp(dt·a[n])</c> over its
    /// <typeparamref name="TState"/> elements, the first two vectors without a loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Decays<TState>(float dt, float* a, float* decay)
        where TState : IColumnCount
    {
        var dtv = Vector256.Create(dt);
        Simd256.ExpNonPositive(Simd256.Multiply(dtv, Vector256.Load(a))).Store(decay);
        if (TState.Count >= 16)
        {
            Simd256.ExpNonPositive(Simd256.Multiply(dtv, Vector256.Load(a + 8))).Store(decay + 8);
        }
        for (nuint i = 16; i < (nuint)TState.Count; i += 8)
        {
            Simd256.ExpNonPositive(Simd256.Multiply(dtv, Vector256.Load(a + i))).Store(decay + i);
        }
    }

    /// <summary>
    /// The second pass of <see cref="SelectiveScanStepAvx{TState}"/> for one channel's state row of <typeparamref name="TState"/>
    /// (whole vectors), given its <paramref name="decay"/> row: <c>s = decay·s + (dt·b)·x</c>, and the lanes of <c>Σ_n s[n]·c[n]</c>
    /// before their sum, as <see cref="ScanRow{TSimd, TVector}"/> forms them; the first two vectors without a loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> UpdateLanes<TState>(float x, float dt, float* decay, float* b, float* c, float* s)
        where TState : IColumnCount
    {
        Vector256<float> dtv = Vector256.Create(dt), xv = Vector256.Create(x);
        var y = UpdateVector(dtv, xv, decay, b, c, s, Vector256<float>.Zero);
        if (TState.Count >= 16)
        {
            y = UpdateVector(dtv, xv, decay + 8, b + 8, c + 8, s + 8, y);
        }
        for (nuint i = 16; i < (nuint)TState.Count; i += 8)
        {
            y = UpdateVector(dtv, xv, decay + i, b + i, c + i, s + i, y);
        }
        return y;
    }

    /// <summary>Eight state elements of <see cref="UpdateLanes{TState}"/>: updated in place; returns <paramref name="y"/> plus their products with C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> UpdateVector(Vector256<float> dtv, Vector256<float> xv, float* decay, float* b, float* c, float* s, Vector256<float> y)
    {
        var input = Simd256.Multiply(Simd256.Multiply(dtv, Vector256.Load(b)), xv);
        var next = Simd256.MultiplyAdd(Vector256.Load(decay), Vector256.Load(s), input);
        next.Store(s);
        return Simd256.MultiplyAdd(next, Vector256.Load(c), y);
    }
}
