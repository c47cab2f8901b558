using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace EdgeJamba.Runtime;

/// <summary>An element-wise function <c>f</c>, written once for every vector width (as TensorPrimitives' operators).</summary>
internal interface IUnaryOperator
{
    static abstract TVector Invoke<TSimd, TVector>(TVector x)
        where TSimd : ISimd<TVector>
        where TVector : struct;
}

public static partial class Kernels
{
    /// <summary><c>destination[i] = f(x[i])</c>; <paramref name="destination"/> may be <paramref name="x"/>. Lengths unchecked.</summary>
    private static void Map<TOperator>(ReadOnlySpan<float> x, Span<float> destination)
        where TOperator : struct, IUnaryOperator =>
        Map<TOperator>(x, destination, 0, x.Length);

    /// <summary>
    /// <see cref="Map{TOperator}(ReadOnlySpan{float}, Span{float})"/> of elements <c>[start, end)</c> only, at the vector width the whole
    /// of <paramref name="x"/> takes: with <paramref name="start"/> a multiple of 16, each element gets the bits the whole map gives it
    /// (a thread's share of a row). Lengths unchecked.
    /// </summary>
    private static void Map<TOperator>(ReadOnlySpan<float> x, Span<float> destination, int start, int end)
        where TOperator : struct, IUnaryOperator
    {
        if (Vector512.IsHardwareAccelerated && x.Length >= Vector512<float>.Count)
        {
            Map<TOperator, Simd512, Vector512<float>>(x[start..end], destination[start..end]);
        }
        else if (Vector256.IsHardwareAccelerated && x.Length >= Vector256<float>.Count)
        {
            Map<TOperator, Simd256, Vector256<float>>(x[start..end], destination[start..end]);
        }
        else if (Vector128.IsHardwareAccelerated && x.Length >= Vector128<float>.Count)
        {
            Map<TOperator, Simd128, Vector128<float>>(x[start..end], destination[start..end]);
        }
        else
        {
            Map<TOperator, SimdScalar, float>(x[start..end], destination[start..end]);
        }
    }

    /// <summary><see cref="Map{TOperator}"/> at one vector width.</summary>
    internal static void Map<TOperator, TSimd, TVector>(ReadOnlySpan<float> x, Span<float> destination)
        where TOperator : struct, IUnaryOperator
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ds = ref MemoryMarshal.GetReference(destination);
        nuint length = (nuint)x.Length;
        nuint count = (nuint)TSimd.Count;
        nuint i = 0;
        for (; i + count <= length; i += count)
        {
            TSimd.Store(TOperator.Invoke<TSimd, TVector>(TSimd.Load(ref xs, i)), ref ds, i);
        }

        if (i < length)
        {
            Map<TOperator, SimdScalar, float>(x[(int)i..], destination[(int)i..]);
        }
    }

    /// <summary><c>destination[i] = f(gate[i])·up[i]</c>; <paramref name="destination"/> may be either input. Lengths unchecked.</summary>
    private static void MapGated<TOperator>(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> destination)
        where TOperator : struct, IUnaryOperator
    {
        if (Vector512.IsHardwareAccelerated && gate.Length >= Vector512<float>.Count)
        {
            MapGated<TOperator, Simd512, Vector512<float>>(gate, up, destination);
        }
        else if (Vector256.IsHardwareAccelerated && gate.Length >= Vector256<float>.Count)
        {
            MapGated<TOperator, Simd256, Vector256<float>>(gate, up, destination);
        }
        else if (Vector128.IsHardwareAccelerated && gate.Length >= Vector128<float>.Count)
        {
            MapGated<TOperator, Simd128, Vector128<float>>(gate, up, destination);
        }
        else
        {
            MapGated<TOperator, SimdScalar, float>(gate, up, destination);
        }
    }

    /// <summary><see cref="MapGated{TOperator}"/> at one vector width.</summary>
    internal static void MapGated<TOperator, TSimd, TVector>(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> destination)
        where TOperator : struct, IUnaryOperator
        where TSimd : ISimd<TVector>
        where TVector : struct
    {
        ref float gs = ref MemoryMarshal.GetReference(gate);
        ref float us = ref MemoryMarshal.GetReference(up);
        ref float ds = ref MemoryMarshal.GetReference(destination);
        nuint length = (nuint)gate.Length;
        nuint count = (nuint)TSimd.Count;
        nuint i = 0;
        for (; i + count <= length; i += count)
        {
            TVector activated = TOperator.Invoke<TSimd, TVector>(TSimd.Load(ref gs, i));
            TSimd.Store(TSimd.Multiply(activated, TSimd.Load(ref us, i)), ref ds, i);
        }

        if (i < length)
        {
            MapGated<TOperator, SimdScalar, float>(gate[(int)i..], up[(int)i..], destination[(int)i..]);
        }
    }
}
