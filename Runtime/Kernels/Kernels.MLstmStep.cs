using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// One step of one mLSTM head, stabilized (HF <c>mlstm_recurrent_step_native</c>, NX-AI
    /// <c>recurrent_step_stabilized_simple</c>), for key size <c>K = k.Length</c> and value size <c>V = v.Length</c>:
    /// <code>
    /// lf = logsigmoid(forgetGate);  m' = max(lf + m, inputGate)
    /// fa = exp(lf + m − m');  ia = exp(inputGate − m')
    /// c[r, :] = fa·c[r, :] + (ia·keyScale·k[r])·v;   n[r] = fa·n[r] + ia·keyScale·k[r]
    /// destination = Σ_r (queryScale·q[r])·c[r, :] / (max(|Σ_r (queryScale·q[r])·n[r]|, exp(−m')) + eps);  m = m'
    /// </code>
    /// all in float32. HF xLSTM scales the query (<c>queryScale = K^-0.5</c>, <c>keyScale = 1</c>), NX-AI the key
    /// (<c>queryScale = 1</c>, <c>keyScale = K^-0.5</c>). The state starts at zero, <c>m</c> included.
    /// </summary>
    /// <param name="q">The head's query, K values.</param>
    /// <param name="k">The head's key, K values.</param>
    /// <param name="v">The head's value, V values.</param>
    /// <param name="inputGate">The input-gate pre-activation (after any soft cap).</param>
    /// <param name="forgetGate">The forget-gate pre-activation (after any soft cap).</param>
    /// <param name="queryScale">Factor applied to every query element.</param>
    /// <param name="keyScale">Factor applied to every key element.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="c">The matrix memory <c>[K, V]</c> row-major; updated.</param>
    /// <param name="n">The normalizer, K values; updated.</param>
    /// <param name="m">The stabilizer; updated.</param>
    /// <param name="destination">The head's output, V values; must not overlap the other spans.</param>
    /// <exception cref="ArgumentException">A length does not match.</exception>
    public static void MLstmStep(
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, float inputGate, float forgetGate, float queryScale, float keyScale,
        float eps, Span<float> c, Span<float> n, ref float m, Span<float> destination)
    {
        int keys = k.Length, values = v.Length;
        RequireLength(q, keys);
        RequireLength(c, keys * values);
        RequireLength(n, keys);
        RequireLength(destination, values);

        float logForget = MathF.Min(forgetGate, 0f) - float.LogP1(MathF.Exp(-MathF.Abs(forgetGate)));
        float mNew = MathF.Max(logForget + m, inputGate);
        float fa = MathF.Exp(logForget + m - mNew);
        float ia = MathF.Exp(inputGate - mNew);
        destination.Clear();
        float qn = 0f;
        for (int r = 0; r < keys; r++)
        {
            float kr = ia * (keyScale * k[r]);
            float qr = queryScale * q[r];
            n[r] = (fa * n[r]) + kr;
            qn += qr * n[r];
            Span<float> row = c.Slice(r * values, values);
            if (Vector512.IsHardwareAccelerated && values >= Vector512<float>.Count)
            {
                MLstmRow<Simd512, Vector512<float>>(fa, kr, qr, v, row, destination);
            }
            else if (Vector256.IsHardwareAccelerated && values >= Vector256<float>.Count)
            {
                MLstmRow<Simd256, Vector256<float>>(fa, kr, qr, v, row, destination);
            }
            else if (Vector128.IsHardwareAccelerated && values >= Vector128<float>.Count)
            {
                MLstmRow<Simd128, Vector128<float>>(fa, kr, qr, v, row, destination);
            }
            else
            {
                MLstmRow<SimdScalar, float>(fa, kr, qr, v, row, destination);
            }
        }

        float denominator = MathF.Max(MathF.Abs(qn), MathF.Exp(-mNew)) + eps;
        for (int j = 0; j < values; j++)
        {
            destination[j] /= denominator;
        }

        m = mNew;
    }

    /// <summary>
    /// The mLSTM over a chunk of <paramref name="count"/> tokens: for each token in order and each head, <see cref="MLstmStep"/> then
    /// <see cref="LayerNorm"/> of the head's output by its slice of <paramref name="normWeight"/>. With <c>H = m.Length</c> heads,
    /// <c>K = n.Length / H</c> and <c>V = normWeight.Length / H</c>, head h of token t reads its query and key at
    /// <c>t·qkStride + h·K</c>, its value at <c>t·vStride + h·V</c>, its gates at <c>t·H + h</c>, and writes
    /// <c>destination[t·H·V + h·V ..]</c>.
    /// </summary>
    /// <param name="q">The queries of the chunk (token t's from <c>t·qkStride</c>).</param>
    /// <param name="k">The keys of the chunk (token t's from <c>t·qkStride</c>).</param>
    /// <param name="qkStride">Elements from one token's query (and key) to the next, at least H·K.</param>
    /// <param name="v">The values of the chunk (token t's from <c>t·vStride</c>).</param>
    /// <param name="vStride">Elements from one token's value to the next, at least H·V.</param>
    /// <param name="inputGates">The input-gate pre-activations <c>[count, H]</c>.</param>
    /// <param name="forgetGates">The forget-gate pre-activations <c>[count, H]</c>.</param>
    /// <param name="queryScale">As for <see cref="MLstmStep"/>.</param>
    /// <param name="keyScale">As for <see cref="MLstmStep"/>.</param>
    /// <param name="eps">As for <see cref="MLstmStep"/>.</param>
    /// <param name="c">The heads' memories <c>[H, K, V]</c>; updated.</param>
    /// <param name="n">The heads' normalizers <c>[H, K]</c>; updated.</param>
    /// <param name="m">The heads' stabilizers <c>[H]</c>; updated.</param>
    /// <param name="normWeight">The per-head norm's weight, H·V values (head h's from h·V).</param>
    /// <param name="normEps">The per-head norm's epsilon.</param>
    /// <param name="count">Tokens, 1 or more.</param>
    /// <param name="destination">The normalized outputs <c>[count, H·V]</c>; must not overlap the other spans.</param>
    /// <exception cref="ArgumentException">A length does not match.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not positive or a stride is too small.</exception>
    public static void MLstmChunk(
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, int qkStride, ReadOnlySpan<float> v, int vStride, ReadOnlySpan<float> inputGates,
        ReadOnlySpan<float> forgetGates, float queryScale, float keyScale, float eps, Span<float> c, Span<float> n, Span<float> m,
        ReadOnlySpan<float> normWeight, float normEps, int count, Span<float> destination)
    {
        int heads = CheckMLstmChunk(q, k, qkStride, v, vStride, inputGates, forgetGates, c, n, m, normWeight, count, destination);
        MLstmHeads(q, k, qkStride, v, vStride, inputGates, forgetGates, queryScale, keyScale, eps, c, n, m, normWeight, normEps, count, destination, 0, heads);
    }

    /// <summary>Checks the arguments of <see cref="MLstmChunk"/> and returns the number of heads.</summary>
    internal static int CheckMLstmChunk(
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, int qkStride, ReadOnlySpan<float> v, int vStride, ReadOnlySpan<float> inputGates,
        ReadOnlySpan<float> forgetGates, ReadOnlySpan<float> c, ReadOnlySpan<float> n, ReadOnlySpan<float> m, ReadOnlySpan<float> normWeight, int count,
        ReadOnlySpan<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        int heads = m.Length;
        int keys = heads == 0 ? 0 : n.Length / heads, values = heads == 0 ? 0 : normWeight.Length / heads;
        if (keys == 0 || values == 0 || n.Length != heads * keys || normWeight.Length != heads * values)
        {
            Throw(nameof(m), $"{heads} heads do not split the normalizer of {n.Length} and the norm weight of {normWeight.Length} elements evenly.");
        }

        RequireLength(c, heads * keys * values);
        ArgumentOutOfRangeException.ThrowIfLessThan(qkStride, heads * keys);
        ArgumentOutOfRangeException.ThrowIfLessThan(vStride, heads * values);
        RequireAtLeast(q, ((long)(count - 1) * qkStride) + (heads * keys));
        RequireAtLeast(k, ((long)(count - 1) * qkStride) + (heads * keys));
        RequireAtLeast(v, ((long)(count - 1) * vStride) + (heads * values));
        RequireAtLeast(inputGates, (long)count * heads);
        RequireAtLeast(forgetGates, (long)count * heads);
        RequireAtLeast(destination, (long)count * heads * values);
        return heads;
    }

    /// <summary>
    /// <see cref="MLstmChunk"/> of heads <c>[start, end)</c> only (a head's memory, output and norm do not depend on the other heads).
    /// Lengths checked by the caller.
    /// </summary>
    internal static void MLstmHeads(
        ReadOnlySpan<float> q, ReadOnlySpan<float> k, int qkStride, ReadOnlySpan<float> v, int vStride, ReadOnlySpan<float> inputGates,
        ReadOnlySpan<float> forgetGates, float queryScale, float keyScale, float eps, Span<float> c, Span<float> n, Span<float> m,
        ReadOnlySpan<float> normWeight, float normEps, int count, Span<float> destination, int start, int end)
    {
        int heads = m.Length, keys = n.Length / heads, values = normWeight.Length / heads;
        for (int t = 0; t < count; t++)
        {
            for (int head = start; head < end; head++)
            {
                Span<float> yh = destination.Slice(((t * heads) + head) * values, values);
                MLstmStep(q.Slice((t * qkStride) + (head * keys), keys), k.Slice((t * qkStride) + (head * keys), keys), v.Slice((t * vStride) + (head * values), values),
                    inputGates[(t * heads) + head], forgetGates[(t * heads) + head], queryScale, keyScale, eps,
                    c.Slice(head * keys * values, keys * values), n.Slice(head * keys, keys), ref m[head], yh);
                LayerNorm(yh, normWeight.Slice(head * values, values), normEps, yh);
            }
        }
    }

    /// <summary>One memory row at one vector width: <c>row = fa·row + kr·v; sum += qr·row</c>; the tail at scalar width.</summary>
    internal static void MLstmRow<TSimd, TVector>(float fa, float kr, float qr, ReadOnlySpan<float> v, Span<float> row, Span<float> sum)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        ref float vs = ref MemoryMarshal.GetReference(v);
        ref float rs = ref MemoryMarshal.GetReference(row);
        ref float ss = ref MemoryMarshal.GetReference(sum);
        TVector fav = TSimd.Create(fa), krv = TSimd.Create(kr), qrv = TSimd.Create(qr);
        nuint length = (nuint)row.Length;
        nuint count = (nuint)TSimd.Count;
        nuint i = 0;
        for (; i + count <= length; i += count)
        {
            TVector updated = TSimd.MultiplyAdd(krv, TSimd.Load(ref vs, i), TSimd.Multiply(fav, TSimd.Load(ref rs, i)));
            TSimd.Store(updated, ref rs, i);
            TSimd.Store(TSimd.MultiplyAdd(qrv, updated, TSimd.Load(ref ss, i)), ref ss, i);
        }

        if (i < length)
        {
            int tail = (int)i;
            MLstmRow<SimdScalar, float>(fa, kr, qr, v[tail..], row[tail..], sum[tail..]);
        }
    }
}
