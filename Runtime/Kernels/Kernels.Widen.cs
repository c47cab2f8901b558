using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace EdgeJamba.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// 16-bit floats to float32, exactly: F16 as IEEE binary16, BF16 as the upper half of a binary32's bits.
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
                    for (; done + 8 <= source.Length; done += 8)
                    {
                        Vector256.Store(Widen8(from + done, f16: true), to + done);
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

    /// <summary>Whether the matrix products read <see cref="F16LineMap"/>s on this machine: AVX2 with FMA.</summary>
    public static bool UsesLineMaps => System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported;

    /// <summary>
    /// Whether the 32 halves at <paramref name="source"/> are all zeros or normal numbers. Doubled (the sign shifted out), a
    /// subnormal is 2..0x7FE, so at most 0x7FC once 2 is taken off (a zero wraps round to 0xFFFE, a normal number is
    /// 0x7FE or more), and an infinity or NaN is 0xF800 or more.
    /// </summary>
    internal static unsafe bool AllRegular32(ushort* source)
    {
        var low = Vector256.Load(source);
        var high = Vector256.Load(source + 16);
        (low, high) = (low + low, high + high);
        var two = Vector256.Create((ushort)2);
        return Vector256.GreaterThanAll(Vector256.Min(low - two, high - two), Vector256.Create((ushort)0x07FC))
            && Vector256.LessThanOrEqualAll(Vector256.Max(low, high), Vector256.Create((ushort)0xF7FF));
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
