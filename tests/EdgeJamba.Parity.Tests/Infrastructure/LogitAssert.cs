using System.Globalization;
using Xunit.Sdk;

namespace EdgeJamba.Parity.Tests.Infrastructure;

/// <summary>Element-wise comparison of logit rows with messages that say where and by how much they differ.</summary>
internal static class LogitAssert
{
    /// <summary>
    /// Fails when any <c>|got[i] - expected[i]|</c> exceeds <paramref name="tolerance"/> (a NaN always does), or, with
    /// <paramref name="argmaxMustMatch"/>, when the rows' argmaxes differ. Returns the row's largest difference.
    /// </summary>
    /// <param name="what">Names the run in the message (set and engine).</param>
    public static double Close(string what, int position, ReadOnlySpan<float> got, ReadOnlySpan<float> expected, double tolerance, bool argmaxMustMatch)
    {
        if (got.Length != expected.Length)
        {
            throw new XunitException(Invariant($"{what}: position {position}: {got.Length} logits, expected {expected.Length}"));
        }
        double max = 0;
        int worst = 0;
        for (int i = 0; i < got.Length; i++)
        {
            double diff = Math.Abs((double)got[i] - expected[i]);
            if (!(diff <= max))
            {
                max = diff;
                worst = i;
                if (double.IsNaN(diff))
                {
                    break;
                }
            }
        }
        if (!(max <= tolerance))
        {
            throw new XunitException(Invariant(
                $"{what}: position {position}, index {worst}: got {got[worst]:R}, expected {expected[worst]:R}; max abs diff of the row {max:E3} > tolerance {tolerance:E3}"));
        }
        if (argmaxMustMatch)
        {
            int a = ArgMax(got), b = ArgMax(expected);
            if (a != b)
            {
                throw new XunitException(Invariant(
                    $"{what}: position {position}: argmax {a} (logit {got[a]:R}), expected {b} (logit {expected[b]:R}); max abs diff of the row {max:E3}"));
            }
        }
        return max;
    }

    /// <summary>Fails unless the two spans are equal within <paramref name="tolerance"/>; names the first element that is not.</summary>
    public static void Equal(string what, ReadOnlySpan<float> got, ReadOnlySpan<float> expected, double tolerance)
    {
        if (got.Length != expected.Length)
        {
            throw new XunitException(Invariant($"{what}: length {got.Length}, expected {expected.Length}"));
        }
        for (int i = 0; i < got.Length; i++)
        {
            double diff = Math.Abs((double)got[i] - expected[i]);
            if (!(diff <= tolerance))
            {
                throw new XunitException(Invariant($"{what}: element {i}: got {got[i]:R}, expected {expected[i]:R} (|diff| {diff:E3} > {tolerance:E3})"));
            }
        }
    }

    /// <summary>Fails unless the two spans hold the same bits; names the first element that does not.</summary>
    public static void Identical(string what, ReadOnlySpan<float> got, ReadOnlySpan<float> expected)
    {
        if (got.Length != expected.Length)
        {
            throw new XunitException(Invariant($"{what}: length {got.Length}, expected {expected.Length}"));
        }
        for (int i = 0; i < got.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(got[i]) != BitConverter.SingleToInt32Bits(expected[i]))
            {
                throw new XunitException(Invariant($"{what}: element {i}: got {got[i]:R}, expected {expected[i]:R} (not bit-identical)"));
            }
        }
    }

    /// <summary>Index of the first largest element (independent of the engine's own ArgMax kernel).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }
        return best;
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
