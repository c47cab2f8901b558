using System.Numerics.Tensors;
using System.Runtime.InteropServices;

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

    /// <summary>
    /// Whether the matrix products read <see cref="Matrix.RegularLines"/> maps on this machine: AVX2 with FMA, without
    /// AVX-512 (whose sixteen-wide exact widening does as well without one).
    /// </summary>
    public static bool UsesRegularLines =>
        System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported && !System.Runtime.Intrinsics.X86.Avx512BW.IsSupported;

    /// <summary>
    /// Fills the <see cref="Matrix.RegularLines"/> map of the F16 matrix <c>[rows, cols]</c> at <paramref name="data"/>
    /// (<see cref="Matrix.RegularLineBytes(int, int)"/> bytes at <paramref name="map"/>): for each row, a bit per 32 whole
    /// columns, set when all 32 halves are zeros or normal numbers (no subnormal, infinity or NaN).
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">Without <see cref="UsesRegularLines"/>: nothing would read the map.</exception>
    public static unsafe void MapRegularLines(ushort* data, int rows, int cols, byte* map)
    {
        if (!UsesRegularLines)
        {
            throw new PlatformNotSupportedException("the map of regular lines is read only by the AVX2 matrix products without AVX-512");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        int lines = cols / Matrix.LineColumns, stride = Matrix.RegularLineBytesPerRow(cols);
        for (int r = 0; r < rows; r++)
        {
            ushort* row = data + ((long)r * cols);
            byte* bits = map + ((long)r * stride);
            new Span<byte>(bits, stride).Clear();
            for (int line = 0; line < lines; line++)
            {
                if (F16Format.AllRegular32(row + (line * Matrix.LineColumns)))
                {
                    bits[line >> 3] |= (byte)(1 << (line & 7));
                }
            }
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
