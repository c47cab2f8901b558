using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeJamba.Runtime;

/// <summary>
/// An input width known when the code is compiled. Generated code declares one struct per width it multiplies by and
/// passes it as a type argument, so the compiler builds <see cref="Kernels.MatVec{TColumns}"/> for exactly that width:
/// no loop over the columns, no per-row slicing, and the input held in registers when it fits.
/// </summary>
public interface IColumnCount
{
    /// <summary>The width, 1 or more.</summary>
    static abstract int Count { get; }
}

public static partial class Kernels
{
    /// <summary>Widest input held in registers by <see cref="MatVec{TColumns}"/> (eight vectors of eight floats).</summary>
    private const int RegisterColumns = 64;

    /// <summary>
    /// <see cref="MatVec(in Matrix, ReadOnlySpan{float}, Span{float})"/> for a weight of exactly
    /// <typeparamref name="TColumns"/> columns, with the same bits: each row is accumulated as
    /// <see cref="Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/> accumulates it. Where the width-specific code applies
    /// (<see cref="UsesFixedWidth{TColumns}"/>) the column loop is unrolled for the width, eight rows share one reduction,
    /// and an input of up to 64 floats stays in registers for every row; elsewhere this is <c>MatVec</c>.
    /// </summary>
    /// <typeparam name="TColumns">The weight's column count.</typeparam>
    /// <exception cref="ArgumentException">The weight does not have <typeparamref name="TColumns"/> columns, or a length does not match.</exception>
    public static void MatVec<TColumns>(in Matrix w, ReadOnlySpan<float> x, Span<float> destination)
        where TColumns : IColumnCount
    {
        RequireMatrix(w);
        RequireWidth<TColumns>(w);
        RequireLength(x, w.Cols);
        RequireLength(destination, w.Rows);
        MatVecRows<TColumns>(w, x, destination, 0, w.Rows);
    }

    /// <summary>
    /// Whether <see cref="MatVec{TColumns}"/> runs width-specific code for <paramref name="w"/>: a float32 weight of more than
    /// seven columns, on AVX2 with FMA, and either narrow enough for the input to stay in registers or small enough to stay
    /// in cache (a larger one streams one row after the other, as <c>MatVec</c> does).
    /// </summary>
    internal static bool UsesFixedWidth<TColumns>(in Matrix w)
        where TColumns : IColumnCount =>
        TColumns.Count >= Vector256<float>.Count && w.DType == TensorDType.F32 &&
        Avx2.IsSupported && Fma.IsSupported &&
        (TColumns.Count <= RegisterColumns + 7 || w.Length * sizeof(float) <= MatVecCachedBytes);

    /// <summary>Throws unless <paramref name="w"/> has <typeparamref name="TColumns"/> columns.</summary>
    internal static void RequireWidth<TColumns>(in Matrix w, [CallerArgumentExpression(nameof(w))] string name = "")
        where TColumns : IColumnCount
    {
        if (w.Cols != TColumns.Count)
        {
            Throw(name, $"{name} has {w.Cols} columns; this product is built for {TColumns.Count}.");
        }
    }

    /// <summary>
    /// Rows <paramref name="rowStart"/> .. <paramref name="rowEnd"/> − 1 of <see cref="MatVec{TColumns}"/>; lengths and width
    /// unchecked. Every row has the bits of its own <c>Dot</c>, so splitting rows among threads changes none.
    /// </summary>
    internal static void MatVecRows<TColumns>(in Matrix w, ReadOnlySpan<float> x, Span<float> destination, int rowStart, int rowEnd)
        where TColumns : IColumnCount
    {
        if (!UsesFixedWidth<TColumns>(w))
        {
            MatVecRows(w, x, destination, rowStart, rowEnd);
        }
        else if (TColumns.Count <= RegisterColumns + 7)
        {
            MatVecInRegisters<TColumns>(w, x, destination, rowStart, rowEnd);
        }
        else
        {
            MatVecFromCache<TColumns>(w, x, destination, rowStart, rowEnd);
        }
    }

    /// <summary>
    /// The products of an input of 8 to 71 floats: its whole vectors are loaded into registers once, then every row costs
    /// one multiply-add per vector (the weight read straight from memory) and three adds, and each eight rows one reduction
    /// (<see cref="SumsOfEightAvx"/>).
    /// </summary>
    private static unsafe void MatVecInRegisters<TColumns>(in Matrix w, ReadOnlySpan<float> x, Span<float> destination, int rowStart, int rowEnd)
        where TColumns : IColumnCount
    {
        int vectors = TColumns.Count / Vector256<float>.Count;
        ref float xs = ref MemoryMarshal.GetReference(x);
        var x0 = Vector256.LoadUnsafe(ref xs);
        var x1 = vectors > 1 ? Vector256.LoadUnsafe(ref xs, 8) : default;
        var x2 = vectors > 2 ? Vector256.LoadUnsafe(ref xs, 16) : default;
        var x3 = vectors > 3 ? Vector256.LoadUnsafe(ref xs, 24) : default;
        var x4 = vectors > 4 ? Vector256.LoadUnsafe(ref xs, 32) : default;
        var x5 = vectors > 5 ? Vector256.LoadUnsafe(ref xs, 40) : default;
        var x6 = vectors > 6 ? Vector256.LoadUnsafe(ref xs, 48) : default;
        var x7 = vectors > 7 ? Vector256.LoadUnsafe(ref xs, 56) : default;
        float* row = w.Data + ((long)rowStart * TColumns.Count);
        ref float ds = ref MemoryMarshal.GetReference(destination);
        int r = rowStart;
        for (; r + 8 <= rowEnd; r += 8, row += 8 * TColumns.Count)
        {
            var sums = SumsOfEightAvx(
                LanesInRegisters<TColumns>(row, x0, x1, x2, x3, x4, x5, x6, x7),
                LanesInRegisters<TColumns>(row + TColumns.Count, x0, x1, x2, x3, x4, x5, x6, x7),
                LanesInRegisters<TColumns>(row + (2 * TColumns.Count), x0, x1, x2, x3, x4, x5, x6, x7),
                LanesInRegisters<TColumns>(row + (3 * TColumns.Count), x0, x1, x2, x3, x4, x5, x6, x7),
                LanesInRegisters<TColumns>(row + (4 * TColumns.Count), x0, x1, x2, x3, x4, x5, x6, x7),
                LanesInRegisters<TColumns>(row + (5 * TColumns.Count), x0, x1, x2, x3, x4, x5, x6, x7),
                LanesInRegisters<TColumns>(row + (6 * TColumns.Count), x0, x1, x2, x3, x4, x5, x6, x7),
                LanesInRegisters<TColumns>(row + (7 * TColumns.Count), x0, x1, x2, x3, x4, x5, x6, x7));
            if (TColumns.Count % 8 != 0)
            {
                sums += TailsOfEight<TColumns>(row, ref xs);
            }
            sums.StoreUnsafe(ref ds, (nuint)r);
        }
        for (; r < rowEnd; r++, row += TColumns.Count)
        {
            Unsafe.Add(ref ds, r) = PlusTail<TColumns>(Vector256.Sum(LanesInRegisters<TColumns>(row, x0, x1, x2, x3, x4, x5, x6, x7)), row, ref xs);
        }
    }

    /// <summary>
    /// The products of an input of 72 floats or more whose weight stays in cache: two rows per pass over the input (each
    /// vector of it loaded once for both), the column loops bounded by constants, each eight rows one reduction.
    /// </summary>
    private static unsafe void MatVecFromCache<TColumns>(in Matrix w, ReadOnlySpan<float> x, Span<float> destination, int rowStart, int rowEnd)
        where TColumns : IColumnCount
    {
        float* row = w.Data + ((long)rowStart * TColumns.Count);
        ref float ds = ref MemoryMarshal.GetReference(destination);
        fixed (float* xp = x)
        {
            int r = rowStart;
            for (; r + 8 <= rowEnd; r += 8, row += 8 * TColumns.Count)
            {
                var l0 = LanesTwoRows<TColumns>(row, xp, out var l1);
                var l2 = LanesTwoRows<TColumns>(row + (2 * TColumns.Count), xp, out var l3);
                var l4 = LanesTwoRows<TColumns>(row + (4 * TColumns.Count), xp, out var l5);
                var l6 = LanesTwoRows<TColumns>(row + (6 * TColumns.Count), xp, out var l7);
                var sums = SumsOfEightAvx(l0, l1, l2, l3, l4, l5, l6, l7);
                if (TColumns.Count % 8 != 0)
                {
                    sums += TailsOfEight<TColumns>(row, ref *xp);
                }
                sums.StoreUnsafe(ref ds, (nuint)r);
            }
            for (; r + 2 <= rowEnd; r += 2, row += 2 * TColumns.Count)
            {
                var l0 = LanesTwoRows<TColumns>(row, xp, out var l1);
                Unsafe.Add(ref ds, r) = PlusTail<TColumns>(Vector256.Sum(l0), row, ref *xp);
                Unsafe.Add(ref ds, r + 1) = PlusTail<TColumns>(Vector256.Sum(l1), row + TColumns.Count, ref *xp);
            }
            if (r < rowEnd)
            {
                Unsafe.Add(ref ds, r) = Dot<Simd256, Vector256<float>>(new ReadOnlySpan<float>(row, TColumns.Count), x);
            }
        }
    }

    /// <summary>
    /// The lanes <see cref="DotLanes"/> forms for a row of <typeparamref name="TColumns"/> (at most 71) columns and the input
    /// vectors <paramref name="x0"/> … <paramref name="x7"/>: vectors in whole blocks of four go to accumulators 0–3 in turn, the
    /// rest to accumulator 0, each a multiply-add from zero; then <c>(a0 + a1) + (a2 + a3)</c>. The conditions are constants.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> LanesInRegisters<TColumns>(
        float* row, Vector256<float> x0, Vector256<float> x1, Vector256<float> x2, Vector256<float> x3,
        Vector256<float> x4, Vector256<float> x5, Vector256<float> x6, Vector256<float> x7)
        where TColumns : IColumnCount
    {
        int vectors = TColumns.Count / Vector256<float>.Count, blocks = vectors / 4;
        Vector256<float> a0 = Vector256<float>.Zero, a1 = Vector256<float>.Zero, a2 = Vector256<float>.Zero, a3 = Vector256<float>.Zero;
        a0 = Simd256.MultiplyAdd(Vector256.Load(row), x0, a0);
        if (vectors > 1)
        {
            if (blocks > 0)
            {
                a1 = Simd256.MultiplyAdd(Vector256.Load(row + 8), x1, a1);
            }
            else
            {
                a0 = Simd256.MultiplyAdd(Vector256.Load(row + 8), x1, a0);
            }
        }
        if (vectors > 2)
        {
            if (blocks > 0)
            {
                a2 = Simd256.MultiplyAdd(Vector256.Load(row + 16), x2, a2);
            }
            else
            {
                a0 = Simd256.MultiplyAdd(Vector256.Load(row + 16), x2, a0);
            }
        }
        if (vectors > 3)
        {
            a3 = Simd256.MultiplyAdd(Vector256.Load(row + 24), x3, a3);
        }
        if (vectors > 4)
        {
            a0 = Simd256.MultiplyAdd(Vector256.Load(row + 32), x4, a0);
        }
        if (vectors > 5)
        {
            if (blocks > 1)
            {
                a1 = Simd256.MultiplyAdd(Vector256.Load(row + 40), x5, a1);
            }
            else
            {
                a0 = Simd256.MultiplyAdd(Vector256.Load(row + 40), x5, a0);
            }
        }
        if (vectors > 6)
        {
            if (blocks > 1)
            {
                a2 = Simd256.MultiplyAdd(Vector256.Load(row + 48), x6, a2);
            }
            else
            {
                a0 = Simd256.MultiplyAdd(Vector256.Load(row + 48), x6, a0);
            }
        }
        if (vectors > 7)
        {
            a3 = Simd256.MultiplyAdd(Vector256.Load(row + 56), x7, a3);
        }
        return (a0 + a1) + (a2 + a3);
    }

    /// <summary>
    /// <see cref="DotLanesTwoRows"/> of the row at <paramref name="row"/> and the next one with the input at
    /// <paramref name="x"/>, for a width of <typeparamref name="TColumns"/>: the same accumulators in the same order, with
    /// loop bounds that are constants and the offsets in the addresses.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> LanesTwoRows<TColumns>(float* row, float* x, out Vector256<float> lanes1)
        where TColumns : IColumnCount
    {
        nuint blocks = (nuint)(TColumns.Count / 32), vectors = (nuint)(TColumns.Count / 8);
        float* next = row + TColumns.Count;
        Vector256<float> a0 = Vector256<float>.Zero, a1 = Vector256<float>.Zero, a2 = Vector256<float>.Zero, a3 = Vector256<float>.Zero;
        Vector256<float> b0 = Vector256<float>.Zero, b1 = Vector256<float>.Zero, b2 = Vector256<float>.Zero, b3 = Vector256<float>.Zero;
        for (nuint i = 0; i < 32 * blocks; i += 32)
        {
            var v = Vector256.Load(x + i);
            a0 = Simd256.MultiplyAdd(Vector256.Load(row + i), v, a0);
            b0 = Simd256.MultiplyAdd(Vector256.Load(next + i), v, b0);
            v = Vector256.Load(x + i + 8);
            a1 = Simd256.MultiplyAdd(Vector256.Load(row + i + 8), v, a1);
            b1 = Simd256.MultiplyAdd(Vector256.Load(next + i + 8), v, b1);
            v = Vector256.Load(x + i + 16);
            a2 = Simd256.MultiplyAdd(Vector256.Load(row + i + 16), v, a2);
            b2 = Simd256.MultiplyAdd(Vector256.Load(next + i + 16), v, b2);
            v = Vector256.Load(x + i + 24);
            a3 = Simd256.MultiplyAdd(Vector256.Load(row + i + 24), v, a3);
            b3 = Simd256.MultiplyAdd(Vector256.Load(next + i + 24), v, b3);
        }
        for (nuint i = 32 * blocks; i < 8 * vectors; i += 8)
        {
            var v = Vector256.Load(x + i);
            a0 = Simd256.MultiplyAdd(Vector256.Load(row + i), v, a0);
            b0 = Simd256.MultiplyAdd(Vector256.Load(next + i), v, b0);
        }
        lanes1 = (b0 + b1) + (b2 + b3);
        return (a0 + a1) + (a2 + a3);
    }

    /// <summary><paramref name="sum"/> plus the row's <see cref="TailDot{TColumns}"/>, as <c>Dot</c> adds it (not at all for a width that is a multiple of eight).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float PlusTail<TColumns>(float sum, float* row, ref float xs)
        where TColumns : IColumnCount =>
        TColumns.Count % 8 == 0 ? sum : sum + TailDot<TColumns>(row, ref xs);

    /// <summary>
    /// The scalar tail of <c>Dot</c> for a row of <typeparamref name="TColumns"/> columns: its last <c>Count % 8</c> products
    /// as <see cref="DotLanes"/> forms them one float at a time (a block of four to four accumulators, the rest to the
    /// first, then <c>(s0 + s1) + (s2 + s3)</c>); for a width that is not a multiple of eight.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float TailDot<TColumns>(float* row, ref float xs)
        where TColumns : IColumnCount
    {
        int tail = TColumns.Count % 8, start = TColumns.Count - tail;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int k = 0;
        if (tail >= 4)
        {
            s0 = SimdScalar.MultiplyAdd(row[start], Unsafe.Add(ref xs, start), s0);
            s1 = SimdScalar.MultiplyAdd(row[start + 1], Unsafe.Add(ref xs, start + 1), s1);
            s2 = SimdScalar.MultiplyAdd(row[start + 2], Unsafe.Add(ref xs, start + 2), s2);
            s3 = SimdScalar.MultiplyAdd(row[start + 3], Unsafe.Add(ref xs, start + 3), s3);
            k = 4;
        }
        for (; k < tail; k++)
        {
            s0 = SimdScalar.MultiplyAdd(row[start + k], Unsafe.Add(ref xs, start + k), s0);
        }
        return (s0 + s1) + (s2 + s3);
    }

    /// <summary>The <see cref="TailDot{TColumns}"/> of the eight rows from <paramref name="row"/>, one per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> TailsOfEight<TColumns>(float* row, ref float xs)
        where TColumns : IColumnCount =>
        Vector256.Create(
            TailDot<TColumns>(row, ref xs), TailDot<TColumns>(row + TColumns.Count, ref xs),
            TailDot<TColumns>(row + (2 * TColumns.Count), ref xs), TailDot<TColumns>(row + (3 * TColumns.Count), ref xs),
            TailDot<TColumns>(row + (4 * TColumns.Count), ref xs), TailDot<TColumns>(row + (5 * TColumns.Count), ref xs),
            TailDot<TColumns>(row + (6 * TColumns.Count), ref xs), TailDot<TColumns>(row + (7 * TColumns.Count), ref xs));
}
