using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace EdgeJamba.Runtime;

/// <summary>
/// The numeric kernels of inference, in float32: matrix-vector products, norms, activations,
/// attention, the Mamba convolution and scan, top-k. Inputs come first and the destination last, as
/// in <see cref="System.Numerics.Tensors.TensorPrimitives"/>. No kernel allocates.
/// </summary>
/// <remarks>
/// Each vectorizable kernel is one generic method over <see cref="ISimd{TVector}"/>, run at the widest
/// width the hardware accelerates (512, then 256, then 128 bits, else scalar); the elements that do
/// not fill a vector go through the scalar instantiation of the same method. Sums use fused
/// multiply-add where the hardware has it, so results may differ in the last bits between machines.
/// Lengths are checked on entry; a mismatch throws <see cref="ArgumentException"/>.
/// </remarks>
public static partial class Kernels
{
    /// <summary>
    /// The integer dot product the q8_0 and ternary × int8 kernels run on this CPU, chosen at run time in the same order
    /// as their dispatch: <c>avx-vnni</c> (<c>vpdpbusd</c>: every ternary product and q8_0 batches; a q8_0 token alone stays on
    /// the AVX2 instructions), <c>avx2</c>, <c>sdot</c> (Arm FEAT_DotProd), <c>neon</c> or <c>sse</c> (128-bit), or <c>scalar</c>.
    /// </summary>
    public static string Int8DotPath =>
        AvxVnni.IsSupported ? "avx-vnni" : Avx2.IsSupported ? "avx2" : Dp.IsSupported ? "sdot" : !Vector128.IsHardwareAccelerated ? "scalar" : AdvSimd.IsSupported ? "neon" : "sse";

    /// <summary>
    /// Bytes ahead of the current position at which a decode product streaming a compact weight from memory (16-bit rows in
    /// <see cref="MatVecPackedAvx2{TFormat}"/>, q8_0 rows in <c>Q8DotAvx2</c>, ternary rows in <c>TernaryDot4Avx2</c>) asks
    /// for it to be brought into L2: once per 64-byte pass over a 16-bit row, once per 32-byte block of a q8_0 or ternary
    /// row (a second hint for the same line costs one instruction and no traffic). These loops spend many instructions per byte (widening, or the
    /// integer dot products), so few loads are in flight at once, and with the hardware prefetcher alone one core read far
    /// less than it reads float32 rows (jamba-128m f16 decode at about half its roofline). In a stand-alone test of the F16
    /// loop over 96 MiB of rows, one core read 5.1–5.3 GB/s without the hint and 6.9–7.2 GB/s with it 4 KiB ahead (the best
    /// of 0.5–8 KiB; into L1 instead of L2 gave the same). A hint never faults, so running past a weight's end is harmless.
    /// </summary>
    private const int WeightPrefetchBytes = 4096;

    private static void RequireLength(ReadOnlySpan<float> span, int expected, [CallerArgumentExpression(nameof(span))] string name = "")
    {
        if (span.Length != expected)
        {
            ThrowLength(name, span.Length, expected);
        }
    }

    private static void RequireAtLeast(ReadOnlySpan<float> span, long required, [CallerArgumentExpression(nameof(span))] string name = "")
    {
        if (span.Length < required)
        {
            ThrowTooShort(name, span.Length, required);
        }
    }

    private static unsafe void RequireMatrix(in Matrix w, [CallerArgumentExpression(nameof(w))] string name = "")
    {
        if (w.Rows < 0 || w.Cols < 0 || (w.Data == null && w.Length != 0))
        {
            Throw(name, $"{name} is not a valid matrix: {w.Rows}x{w.Cols} at 0x{(nuint)w.Data:x}.");
        }
    }

    [DoesNotReturn]
    private static void ThrowLength(string name, int actual, int expected) =>
        throw new ArgumentException($"{name} has {actual} elements; expected {expected}.", name);

    [DoesNotReturn]
    private static void ThrowTooShort(string name, int actual, long required) =>
        throw new ArgumentException($"{name} has {actual} elements; needs at least {required}.", name);

    [DoesNotReturn]
    private static void Throw(string name, string message) => throw new ArgumentException(message, name);
}
