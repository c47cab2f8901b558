using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Rotary position embedding in the Hugging Face <c>rotate_half</c> convention, in place, for
    /// <paramref name="heads"/> consecutive head vectors of <paramref name="headDim"/> elements. With
    /// <c>half = cos.Length</c> (the rotary dimension is <c>2·half ≤ headDim</c>), for each head and
    /// <c>i &lt; half</c>: <c>a = x[i], b = x[i + half]</c>;
    /// <c>x[i] = a·cos[i] − b·sin[i]</c>, <c>x[i + half] = b·cos[i] + a·sin[i]</c>.
    /// Elements from <c>2·half</c> to <c>headDim − 1</c> of each head are left unchanged.
    /// </summary>
    /// <param name="x">The heads, <c>heads·headDim</c> elements; later elements are not touched.</param>
    /// <param name="heads">Number of head vectors, 0 or more.</param>
    /// <param name="headDim">Elements per head.</param>
    /// <param name="cos">cos(position·inv_freq[i]) for <c>i &lt; rotaryDim/2</c> (half of HF's duplicated table).</param>
    /// <param name="sin">sin of the same angles, same length as <paramref name="cos"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="x"/> is too short, <paramref name="sin"/> and
    /// <paramref name="cos"/> differ in length, or <c>2·cos.Length &gt; headDim</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="heads"/> or <paramref name="headDim"/> is negative.</exception>
    public static void RotateHalf(Span<float> x, int heads, int headDim, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(heads);
        ArgumentOutOfRangeException.ThrowIfNegative(headDim);
        RequireLength(sin, cos.Length);
        if (2L * cos.Length > headDim)
        {
            Throw(nameof(cos), $"The rotary dimension 2·{cos.Length} exceeds headDim {headDim}.");
        }

        RequireAtLeast(x, (long)heads * headDim);
        if (Vector512.IsHardwareAccelerated && cos.Length >= Vector512<float>.Count)
        {
            RotateHalf<Simd512, Vector512<float>>(x, heads, headDim, cos, sin);
        }
        else if (Vector256.IsHardwareAccelerated && cos.Length >= Vector256<float>.Count)
        {
            RotateHalf<Simd256, Vector256<float>>(x, heads, headDim, cos, sin);
        }
        else if (Vector128.IsHardwareAccelerated && cos.Length >= Vector128<float>.Count)
        {
            RotateHalf<Simd128, Vector128<float>>(x, heads, headDim, cos, sin);
        }
        else
        {
            RotateHalf<SimdScalar, float>(x, heads, headDim, cos, sin);
        }
    }

    /// <summary><see cref="RotateHalf(Span{float}, int, int, ReadOnlySpan{float}, ReadOnlySpan{float})"/> at one vector width; lengths unchecked.</summary>
    internal static void RotateHalf<TSimd, TVector>(Span<float> x, int heads, int headDim, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        int half = cos.Length;
        for (int h = 0; h < heads; h++)
        {
            Span<float> head = x.Slice(h * headDim, headDim);
            Rotate<TSimd, TVector>(head[..half], head.Slice(half, half), cos, sin);
        }
    }

    /// <summary>Rotates the pairs <c>(low[i], high[i])</c> by the angles of <c>(cos[i], sin[i])</c>; all four spans have one length.</summary>
    private static void Rotate<TSimd, TVector>(Span<float> low, Span<float> high, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        ref float lows = ref MemoryMarshal.GetReference(low);
        ref float highs = ref MemoryMarshal.GetReference(high);
        ref float coss = ref MemoryMarshal.GetReference(cos);
        ref float sins = ref MemoryMarshal.GetReference(sin);
        nuint length = (nuint)low.Length;
        nuint count = (nuint)TSimd.Count;
        nuint i = 0;
        for (; i + count <= length; i += count)
        {
            TVector a = TSimd.Load(ref lows, i), b = TSimd.Load(ref highs, i);
            TVector c = TSimd.Load(ref coss, i), s = TSimd.Load(ref sins, i);
            TSimd.Store(TSimd.Subtract(TSimd.Multiply(a, c), TSimd.Multiply(b, s)), ref lows, i);
            TSimd.Store(TSimd.MultiplyAdd(b, c, TSimd.Multiply(a, s)), ref highs, i);
        }

        if (i < length)
        {
            int tail = (int)i;
            Rotate<SimdScalar, float>(low[tail..], high[tail..], cos[tail..], sin[tail..]);
        }
    }
}
