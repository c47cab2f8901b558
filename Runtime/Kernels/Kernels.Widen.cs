using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// 16-bit floats to float32, exactly: F16 as IEEE binary16, BF16 as the upper half of a binary32's bits. With AVX2, F16
    /// goes 32 at a time, by the four-operation widening where all 32 are normal numbers (a prefill's weight tiles: jamba-128m
    /// f16 prefill on two threads 433 → 442 tok/s).
    /// </summary>
    /// <param name="source">The 16-bit elements.</param>
    /// <param name="dtype"><see cref="TensorDType.F16"/> or <see cref="TensorDType.BF16"/>.</param>
    /// <param name="destination">As many floats as <paramref name="source"/> has elements.</param>
    /// <exception cref="ArgumentException">A length differs, or <paramref name="dtype"/> is not 16-bit.</exception>
    public static unsafe void Widen(ReadOnlySpan<ushort> source, TensorDType dtype, Span<float> destination)
    {
        RequireLength(destination, source.Length);
        if (dtype == TensorDType.F16)
        {
            int done = 0;
            if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
            {
                fixed (ushort* from = source)
                fixed (float* to = destination)
                {
                    for (; done + 32 <= source.Length; done += 32)
                    {
                        bool normal = F16Format.AllNormal32(from + done);
                        for (int at = done; at < done + 32; at += 8)
                        {
                            System.Runtime.Intrinsics.Vector256.Store(normal ? F16Format.WidenNormal8(from + at) : Widen8(from + at, f16: true), to + at);
                        }
                    }
                    for (; done + 8 <= source.Length; done += 8)
                    {
                        System.Runtime.Intrinsics.Vector256.Store(Widen8(from + done, f16: true), to + done);
                    }
                }
            }
            TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<ushort, Half>(source[done..]), destination[done..]);
        }
        else if (dtype == TensorDType.BF16)
        {
            BFloat16ToSingle(source, destination);
        }
        else
        {
            Throw(nameof(dtype), $"{dtype} is not a 16-bit float type.");
        }
    }

    private static void BFloat16ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        ReadOnlySpan<System.Numerics.Vector<ushort>> sourceVectors = MemoryMarshal.Cast<ushort, System.Numerics.Vector<ushort>>(source);
        Span<System.Numerics.Vector<uint>> destinationVectors = MemoryMarshal.Cast<float, System.Numerics.Vector<uint>>(destination);
        for (int i = 0; i < sourceVectors.Length; i++)
        {
            System.Numerics.Vector.Widen(sourceVectors[i], out var low, out var high);
            destinationVectors[2 * i] = System.Numerics.Vector.ShiftLeft(low, 16);
            destinationVectors[(2 * i) + 1] = System.Numerics.Vector.ShiftLeft(high, 16);
        }
        for (int i = sourceVectors.Length * System.Numerics.Vector<ushort>.Count; i < source.Length; i++)
        {
            destination[i] = BitConverter.UInt32BitsToSingle((uint)source[i] << 16);
        }
    }
}
