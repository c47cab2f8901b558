using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// One attention head over a cache of <paramref name="length"/> positions. With
    /// <c>headDim = query.Length</c>, the key of position <c>t</c> is
    /// <c>keys[t·stride .. t·stride + headDim)</c> and its value likewise in <paramref name="values"/>:
    /// <c>scores[t] = scale·(query·key_t)</c> for <c>t &lt; length</c>, then
    /// <see cref="Softmax(Span{float})"/> over <c>scores[0..length)</c>, then
    /// <c>destination[d] = Σ_t scores[t]·value_t[d]</c>. All in float32.
    /// </summary>
    /// <param name="query">The query head (after RoPE).</param>
    /// <param name="keys">The key cache, from this head's first element; at least <c>(length − 1)·stride + headDim</c> elements.</param>
    /// <param name="values">The value cache, laid out as <paramref name="keys"/>.</param>
    /// <param name="length">Number of cached positions to attend to, 1 or more (the causal mask is implicit).</param>
    /// <param name="stride">Elements from one position to the next in the caches, at least headDim
    /// (e.g. <c>kvHeads·headDim</c> for a <c>[T, kvHeads, headDim]</c> cache).</param>
    /// <param name="scale">Multiplies the dot products, usually <c>1/sqrt(headDim)</c>.</param>
    /// <param name="scores">Scratch of at least <paramref name="length"/> elements; holds the attention weights afterwards.</param>
    /// <param name="destination">The output, headDim elements; must not overlap the other spans.</param>
    /// <exception cref="ArgumentException">A span is too short or has the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is not positive or <paramref name="stride"/> is below headDim.</exception>
    public static void Attend(
        ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int length, int stride,
        float scale, Span<float> scores, Span<float> destination)
    {
        int headDim = query.Length;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, headDim);
        long cacheLength = ((long)(length - 1) * stride) + headDim;
        RequireAtLeast(keys, cacheLength);
        RequireAtLeast(values, cacheLength);
        RequireAtLeast(scores, length);
        RequireLength(destination, headDim);
        if (Vector256.IsHardwareAccelerated && headDim >= Vector256<float>.Count)
        {
            Attend<Simd256, Vector256<float>>(query, keys, values, length, stride, scale, scores, destination);
        }
        else if (Vector128.IsHardwareAccelerated && headDim >= Vector128<float>.Count)
        {
            Attend<Simd128, Vector128<float>>(query, keys, values, length, stride, scale, scores, destination);
        }
        else
        {
            Attend<SimdScalar, float>(query, keys, values, length, stride, scale, scores, destination);
        }
    }

    /// <summary>
    /// Causal grouped-query attention of a chunk of <paramref name="count"/> tokens at positions <c>position .. position + count − 1</c>,
    /// whose keys and values are already in the caches: for every token t and query head h, <see cref="Attend"/> of the query
    /// <c>q[t, h]</c> over positions <c>0 .. position + t</c> of KV head <c>h / (heads / kvHeads)</c>.
    /// </summary>
    /// <param name="q">The queries <c>[count, heads·headDim]</c> (after RoPE).</param>
    /// <param name="keys">The key cache <c>[positions, kvHeads·headDim]</c> from position 0, holding at least <c>position + count</c> positions.</param>
    /// <param name="values">The value cache, laid out as <paramref name="keys"/>.</param>
    /// <param name="heads">Query heads, a positive multiple of <paramref name="kvHeads"/>.</param>
    /// <param name="kvHeads">Key/value heads.</param>
    /// <param name="position">Position of the chunk's first token.</param>
    /// <param name="count">Tokens, 1 or more.</param>
    /// <param name="scale">Multiplies the dot products, usually <c>1/sqrt(headDim)</c>.</param>
    /// <param name="scores">Scratch of at least <c>position + count</c> elements. Twice that lets query heads of eight floats that
    /// share a KV head go two at a time (<see cref="AttendsTwoHeadsAtOnce"/>), with the same results.</param>
    /// <param name="destination">The outputs <c>[count, heads·headDim]</c>; must not overlap the other spans.</param>
    /// <exception cref="ArgumentException">A span is too short or has the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count or a position is out of range.</exception>
    public static void AttendChunk(
        ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int heads, int kvHeads, int position, int count,
        float scale, Span<float> scores, Span<float> destination)
    {
        CheckAttendChunk(q, keys, values, heads, kvHeads, position, count, destination);
        RequireAtLeast(scores, (long)position + count);
        bool twoHeads = AttendsTwoHeadsAtOnce(heads, kvHeads, q.Length / count / heads, position + count, scores.Length);
        AttendPairs(q, keys, values, heads, kvHeads, position, count, scale, scores, destination, twoHeads, 0, AttendUnits(heads, count, twoHeads));
    }

    /// <summary>
    /// Whether <see cref="AttendChunk"/> takes its query heads two at a time (<see cref="AttendTwoHeadsAvx"/>): heads of one
    /// 256-bit vector (eight floats), an even number of them per KV head, and a scratch of <c>2·attended</c> scores or more.
    /// The weighted sum of one such head is two chains of multiply-adds, each waiting on the last; two heads over the same
    /// values run four chains at once, and every element keeps its bits.
    /// </summary>
    internal static bool AttendsTwoHeadsAtOnce(int heads, int kvHeads, int headDim, int attended, long scoresLength) =>
        Vector256.IsHardwareAccelerated && headDim == Vector256<float>.Count && heads / kvHeads % 2 == 0 && scoresLength >= 2L * attended;

    /// <summary>The units of work <see cref="AttendPairs"/> splits a chunk into: (head, token) pairs, or (two heads, token).</summary>
    internal static int AttendUnits(int heads, int count, bool twoHeads) => (twoHeads ? heads / 2 : heads) * count;

    /// <summary>Checks the arguments of <see cref="AttendChunk"/> but the scores.</summary>
    internal static void CheckAttendChunk(
        ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int heads, int kvHeads, int position, int count,
        ReadOnlySpan<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvHeads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        if (heads % kvHeads != 0)
        {
            Throw(nameof(heads), $"{heads} query heads are not a multiple of the {kvHeads} KV heads.");
        }

        int queryDim = q.Length / count;
        if (queryDim == 0 || queryDim % heads != 0)
        {
            Throw(nameof(q), $"q has {q.Length} elements; expected {count} rows of a positive multiple of the {heads} heads.");
        }

        RequireLength(q, count * queryDim);
        RequireLength(destination, q.Length);
        long cacheLength = (long)(position + count) * (queryDim / heads * kvHeads);
        RequireAtLeast(keys, cacheLength);
        RequireAtLeast(values, cacheLength);
    }

    /// <summary>
    /// <see cref="AttendChunk"/> of the units <c>[start, end)</c> only (<see cref="AttendUnits"/>), unit <c>u</c> being token
    /// <c>u % count</c> of head <c>u / count</c>, or with <paramref name="twoHeads"/> of heads <c>2·(u / count)</c> and the next
    /// (every unit is independent once the chunk's keys and values are cached). Lengths checked by the caller.
    /// </summary>
    internal static void AttendPairs(
        ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int heads, int kvHeads, int position, int count,
        float scale, Span<float> scores, Span<float> destination, bool twoHeads, int start, int end)
    {
        int queryDim = q.Length / count, headDim = queryDim / heads, stride = kvHeads * headDim, group = heads / kvHeads;
        int width = twoHeads ? 2 : 1;
        for (int unit = start; unit < end; unit++)
        {
            int head = width * (unit / count), t = unit % count, kv = head / group * headDim, row = (t * queryDim) + (head * headDim);
            if (twoHeads)
            {
                AttendTwoHeadsAvx(q.Slice(row, 2 * headDim), keys[kv..], values[kv..], position + t + 1, stride, scale, scores, destination.Slice(row, 2 * headDim));
            }
            else
            {
                Attend(q.Slice(row, headDim), keys[kv..], values[kv..], position + t + 1, stride, scale, scores, destination.Slice(row, headDim));
            }
        }
    }

    /// <summary>
    /// <see cref="Attend"/> of two query heads of eight floats (<paramref name="queries"/>, one after the other) over the same
    /// keys and values, with the bits of two calls: each head's scores and softmax in its own half of
    /// <paramref name="scores"/> (<c>2·length</c> elements or more), then one pass over the values that runs both heads' even and
    /// odd chains (<see cref="WeightedSumOfOneVector{TSimd, TVector}"/>), four independent multiply-adds per two positions.
    /// </summary>
    private static void AttendTwoHeadsAvx(
        ReadOnlySpan<float> queries, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int length, int stride,
        float scale, Span<float> scores, Span<float> destination)
    {
        Span<float> first = scores[..length], second = scores.Slice(length, length);
        Score<Simd256, Vector256<float>>(queries[..8], keys, length, stride, scale, first);
        Score<Simd256, Vector256<float>>(queries.Slice(8, 8), keys, length, stride, scale, second);
        Softmax(first);
        Softmax(second);
        ref float vs = ref MemoryMarshal.GetReference(values);
        ref float w0 = ref MemoryMarshal.GetReference(first);
        ref float w1 = ref MemoryMarshal.GetReference(second);
        nuint step = (nuint)stride;
        Vector256<float> even0 = default, odd0 = default, even1 = default, odd1 = default;
        int t = 0;
        for (; t + 2 <= length; t += 2)
        {
            var value = Vector256.LoadUnsafe(ref vs);
            var next = Vector256.LoadUnsafe(ref vs, step);
            even0 = Simd256.MultiplyAdd(value, Vector256.Create(w0), even0);
            even1 = Simd256.MultiplyAdd(value, Vector256.Create(w1), even1);
            odd0 = Simd256.MultiplyAdd(next, Vector256.Create(Unsafe.Add(ref w0, 1)), odd0);
            odd1 = Simd256.MultiplyAdd(next, Vector256.Create(Unsafe.Add(ref w1, 1)), odd1);
            vs = ref Unsafe.Add(ref vs, 2 * step);
            w0 = ref Unsafe.Add(ref w0, 2);
            w1 = ref Unsafe.Add(ref w1, 2);
        }
        if (t < length)
        {
            var value = Vector256.LoadUnsafe(ref vs);
            even0 = Simd256.MultiplyAdd(value, Vector256.Create(w0), even0);
            even1 = Simd256.MultiplyAdd(value, Vector256.Create(w1), even1);
        }
        ref float d = ref MemoryMarshal.GetReference(destination);
        (even0 + odd0).StoreUnsafe(ref d);
        (even1 + odd1).StoreUnsafe(ref d, 8);
    }

    /// <summary><see cref="Attend"/> at one vector width; lengths unchecked.</summary>
    internal static void Attend<TSimd, TVector>(
        ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int length, int stride,
        float scale, Span<float> scores, Span<float> destination)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        Score<TSimd, TVector>(query, keys, length, stride, scale, scores);
        Softmax(scores[..length]);
        WeightedSum<TSimd, TVector>(values, scores[..length], stride, destination);
    }

    /// <summary><c>scores[t] = scale·Dot(query, key_t)</c> for <c>t &lt; length</c>, as <see cref="Attend"/> forms them; lengths unchecked.</summary>
    private static void Score<TSimd, TVector>(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, int length, int stride, float scale, Span<float> scores)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        int headDim = query.Length;
        int t = 0;
        if (typeof(TVector) == typeof(Vector256<float>) && Avx.IsSupported)
        {
            t = headDim switch
            {
                8 => ScoreBlocksAvx<OneVector>(query, keys, length, stride, scale, scores),
                16 => ScoreBlocksAvx<TwoVectors>(query, keys, length, stride, scale, scores),
                32 => ScoreBlocksAvx<FourVectors>(query, keys, length, stride, scale, scores),
                _ => ScoreBlocksAvx(query, keys, length, stride, scale, scores),
            };
        }

        for (; t < length; t++)
        {
            scores[t] = scale * Dot<TSimd, TVector>(query, keys.Slice(t * stride, headDim));
        }
    }

    /// <summary>
    /// The scores of positions <c>0, 1, …</c> in blocks of eight (AVX, a head of eight floats or more), each with the bits of
    /// <c>scale·Dot(query, key)</c>; returns the positions done (the rest, fewer than eight, are left to the caller).
    /// </summary>
    private static int ScoreBlocksAvx(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, int length, int stride, float scale, Span<float> scores)
    {
        int t = 0;
        for (; t + 8 <= length; t += 8)
        {
            (Vector256.Create(scale) * DotsOfEightAvx(query, keys.Slice(t * stride), stride)).CopyTo(scores.Slice(t, 8));
        }
        return t;
    }

    /// <summary>
    /// <see cref="ScoreBlocksAvx(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, float, Span{float})"/> for a head of one, two
    /// or four vectors (8, 16 or 32 floats), held in registers: a key costs its loads and multiplies, where the general path
    /// (<see cref="DotsOfEightAvx"/>) runs a loop and reloads the query for every pair of keys. The lanes are formed as <see cref="DotLanes"/> forms them for that
    /// length (products, a multiply-add, or <c>(p0 + p1) + (p2 + p3)</c>), so the bits are the same. The last positions, fewer
    /// than eight, go through the same reduction with zeros in the lanes past the end (no key is read there): every position is
    /// done.
    /// </summary>
    private static int ScoreBlocksAvx<THead>(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, int length, int stride, float scale, Span<float> scores)
        where THead : IVectorCount
    {
        ref float q = ref MemoryMarshal.GetReference(query);
        var q0 = Vector256.LoadUnsafe(ref q);
        var q1 = THead.Count > 1 ? Vector256.LoadUnsafe(ref q, 8) : default;
        var q2 = THead.Count > 2 ? Vector256.LoadUnsafe(ref q, 16) : default;
        var q3 = THead.Count > 2 ? Vector256.LoadUnsafe(ref q, 24) : default;
        var scales = Vector256.Create(scale);
        ref float s = ref MemoryMarshal.GetReference(scores);
        nuint step = (nuint)stride;
        int t = 0;
        for (; t + 8 <= length; t += 8)
        {
            ref float k = ref Unsafe.Add(ref MemoryMarshal.GetReference(keys), (nint)t * stride);
            var sums = SumsOfEightAvx(
                HeadLanes<THead>(q0, q1, q2, q3, ref k),
                HeadLanes<THead>(q0, q1, q2, q3, ref Unsafe.Add(ref k, step)),
                HeadLanes<THead>(q0, q1, q2, q3, ref Unsafe.Add(ref k, 2 * step)),
                HeadLanes<THead>(q0, q1, q2, q3, ref Unsafe.Add(ref k, 3 * step)),
                HeadLanes<THead>(q0, q1, q2, q3, ref Unsafe.Add(ref k, 4 * step)),
                HeadLanes<THead>(q0, q1, q2, q3, ref Unsafe.Add(ref k, 5 * step)),
                HeadLanes<THead>(q0, q1, q2, q3, ref Unsafe.Add(ref k, 6 * step)),
                HeadLanes<THead>(q0, q1, q2, q3, ref Unsafe.Add(ref k, 7 * step)));
            (scales * sums).StoreUnsafe(ref s, (nuint)t);
        }
        int rest = length - t;
        if (rest > 0)
        {
            ref float k = ref Unsafe.Add(ref MemoryMarshal.GetReference(keys), (nint)t * stride);
            var last = scales * SumsOfEightAvx(
                HeadLanes<THead>(q0, q1, q2, q3, ref k),
                rest > 1 ? HeadLanes<THead>(q0, q1, q2, q3, ref Unsafe.Add(ref k, step)) : default,
                rest > 2 ? HeadLanes<THead>(q0, q1, q2, q3, ref Unsafe.Add(ref k, 2 * step)) : default,
                rest > 3 ? HeadLanes<THead>(q0, q1, q2, q3, ref Unsafe.Add(ref k, 3 * step)) : default,
                rest > 4 ? HeadLanes<THead>(q0, q1, q2, q3, ref Unsafe.Add(ref k, 4 * step)) : default,
                rest > 5 ? HeadLanes<THead>(q0, q1, q2, q3, ref Unsafe.Add(ref k, 5 * step)) : default,
                rest > 6 ? HeadLanes<THead>(q0, q1, q2, q3, ref Unsafe.Add(ref k, 6 * step)) : default,
                default);
            MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<Vector256<float>, float>(ref last), rest).CopyTo(scores.Slice(t, rest));
        }
        return length;
    }

    /// <summary>The <see cref="DotLanes"/> of a query of <typeparamref name="THead"/> vectors (in registers) with the key at <paramref name="key"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> HeadLanes<THead>(Vector256<float> q0, Vector256<float> q1, Vector256<float> q2, Vector256<float> q3, ref float key)
        where THead : IVectorCount
    {
        var p0 = q0 * Vector256.LoadUnsafe(ref key);
        if (THead.Count == 1)
        {
            return p0;
        }
        if (THead.Count == 2)
        {
            return Simd256.MultiplyAdd(q1, Vector256.LoadUnsafe(ref key, 8), p0);
        }
        return (p0 + (q1 * Vector256.LoadUnsafe(ref key, 8))) + ((q2 * Vector256.LoadUnsafe(ref key, 16)) + (q3 * Vector256.LoadUnsafe(ref key, 24)));
    }

    /// <summary>A number of vectors known when the code is compiled (a type argument the compiler folds).</summary>
    private interface IVectorCount
    {
        static abstract int Count { get; }
    }

    private readonly struct OneVector : IVectorCount
    {
        public static int Count => 1;
    }

    private readonly struct TwoVectors : IVectorCount
    {
        public static int Count => 2;
    }

    private readonly struct FourVectors : IVectorCount
    {
        public static int Count => 4;
    }

    /// <summary>
    /// <c>destination[d] = Σ_t weights[t]·values[t·stride + d]</c>; lengths unchecked. Each element is two chains of
    /// multiply-adds, one over the even positions and one over the odd, each in order from 0, then even + odd: two chains
    /// in flight hide half the multiply-add latency that a single chain per element waits for (a head of up to four vectors
    /// has too few elements to hide it otherwise). The columns go four vectors at a time with the sums held in registers
    /// through all positions (then one vector, then one float), so nothing round-trips memory per position. A head of
    /// exactly one vector (eight floats at 256 bits) walks the positions by reference, four per pass.
    /// </summary>
    private static void WeightedSum<TSimd, TVector>(ReadOnlySpan<float> values, ReadOnlySpan<float> weights, int stride, Span<float> destination)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        ref float vs = ref MemoryMarshal.GetReference(values);
        ref float ws = ref MemoryMarshal.GetReference(weights);
        ref float ds = ref MemoryMarshal.GetReference(destination);
        nuint columns = (nuint)destination.Length, count = (nuint)TSimd.Count, step = (nuint)stride;
        int length = weights.Length;
        if (columns == count)
        {
            TSimd.Store(WeightedSumOfOneVector<TSimd, TVector>(ref vs, ref ws, step, length), ref ds, 0);
            return;
        }
        nuint d = 0;
        for (; d + (4 * count) <= columns; d += 4 * count)
        {
            TVector s0 = TSimd.Zero, s1 = TSimd.Zero, s2 = TSimd.Zero, s3 = TSimd.Zero;
            TVector o0 = TSimd.Zero, o1 = TSimd.Zero, o2 = TSimd.Zero, o3 = TSimd.Zero;
            nuint at = d;
            int t = 0;
            for (; t + 2 <= length; t += 2, at += 2 * step)
            {
                TVector w = TSimd.Create(Unsafe.Add(ref ws, t)), u = TSimd.Create(Unsafe.Add(ref ws, t + 1));
                s0 = TSimd.MultiplyAdd(TSimd.Load(ref vs, at), w, s0);
                o0 = TSimd.MultiplyAdd(TSimd.Load(ref vs, at + step), u, o0);
                s1 = TSimd.MultiplyAdd(TSimd.Load(ref vs, at + count), w, s1);
                o1 = TSimd.MultiplyAdd(TSimd.Load(ref vs, at + step + count), u, o1);
                s2 = TSimd.MultiplyAdd(TSimd.Load(ref vs, at + (2 * count)), w, s2);
                o2 = TSimd.MultiplyAdd(TSimd.Load(ref vs, at + step + (2 * count)), u, o2);
                s3 = TSimd.MultiplyAdd(TSimd.Load(ref vs, at + (3 * count)), w, s3);
                o3 = TSimd.MultiplyAdd(TSimd.Load(ref vs, at + step + (3 * count)), u, o3);
            }
            if (t < length)
            {
                TVector w = TSimd.Create(Unsafe.Add(ref ws, t));
                s0 = TSimd.MultiplyAdd(TSimd.Load(ref vs, at), w, s0);
                s1 = TSimd.MultiplyAdd(TSimd.Load(ref vs, at + count), w, s1);
                s2 = TSimd.MultiplyAdd(TSimd.Load(ref vs, at + (2 * count)), w, s2);
                s3 = TSimd.MultiplyAdd(TSimd.Load(ref vs, at + (3 * count)), w, s3);
            }
            TSimd.Store(TSimd.Add(s0, o0), ref ds, d);
            TSimd.Store(TSimd.Add(s1, o1), ref ds, d + count);
            TSimd.Store(TSimd.Add(s2, o2), ref ds, d + (2 * count));
            TSimd.Store(TSimd.Add(s3, o3), ref ds, d + (3 * count));
        }

        for (; d + count <= columns; d += count)
        {
            TVector s0 = TSimd.Zero, o0 = TSimd.Zero;
            nuint at = d;
            int t = 0;
            for (; t + 2 <= length; t += 2, at += 2 * step)
            {
                s0 = TSimd.MultiplyAdd(TSimd.Load(ref vs, at), TSimd.Create(Unsafe.Add(ref ws, t)), s0);
                o0 = TSimd.MultiplyAdd(TSimd.Load(ref vs, at + step), TSimd.Create(Unsafe.Add(ref ws, t + 1)), o0);
            }
            if (t < length)
            {
                s0 = TSimd.MultiplyAdd(TSimd.Load(ref vs, at), TSimd.Create(Unsafe.Add(ref ws, t)), s0);
            }
            TSimd.Store(TSimd.Add(s0, o0), ref ds, d);
        }

        if (d < columns)
        {
            WeightedSum<SimdScalar, float>(values[(int)d..], weights, stride, destination[(int)d..]);
        }
    }

    /// <summary>
    /// <see cref="WeightedSum{TSimd, TVector}"/> of a head of one vector: the same two chains (even and odd positions, each in
    /// order), with the value and weight references advanced four positions per pass instead of indexed.
    /// </summary>
    private static TVector WeightedSumOfOneVector<TSimd, TVector>(ref float values, ref float weights, nuint step, int length)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        TVector even = TSimd.Zero, odd = TSimd.Zero;
        int t = 0;
        for (; t + 4 <= length; t += 4)
        {
            even = TSimd.MultiplyAdd(TSimd.Load(ref values, 0), TSimd.Create(weights), even);
            odd = TSimd.MultiplyAdd(TSimd.Load(ref values, step), TSimd.Create(Unsafe.Add(ref weights, 1)), odd);
            even = TSimd.MultiplyAdd(TSimd.Load(ref values, 2 * step), TSimd.Create(Unsafe.Add(ref weights, 2)), even);
            odd = TSimd.MultiplyAdd(TSimd.Load(ref values, 3 * step), TSimd.Create(Unsafe.Add(ref weights, 3)), odd);
            values = ref Unsafe.Add(ref values, 4 * step);
            weights = ref Unsafe.Add(ref weights, 4);
        }
        for (; t < length; t++)
        {
            var value = TSimd.Load(ref values, 0);
            if ((t & 1) == 0)
            {
                even = TSimd.MultiplyAdd(value, TSimd.Create(weights), even);
            }
            else
            {
                odd = TSimd.MultiplyAdd(value, TSimd.Create(weights), odd);
            }
            values = ref Unsafe.Add(ref values, step);
            weights = ref Unsafe.Add(ref weights, 1);
        }
        return TSimd.Add(even, odd);
    }
}
