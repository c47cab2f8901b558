using System.Runtime.Intrinsics;

namespace EdgeJamba.Runtime.Tests.KernelTests;

/// <summary>
/// The exponential of a non-positive argument (<c>ISimd.ExpNonPositive</c>: the scan's decay, softmax, sigmoid, SiLU, softplus)
/// at 256 bits, against double-precision <see cref="Math.Exp(double)"/>: within 1.5 ulp over [−87.33, 0] (two million points,
/// uniform and log-spaced toward 0), exactly 1 at ±0, 0 below −87.34 and at −∞, NaN for NaN; and the same bits for single
/// floats and at every hardware vector width, so a vector's scalar tail and a split between threads change no result.
/// </summary>
public class ExpNonPositiveTests
{
    [Fact]
    public void Exp_of_a_decay_exponent_is_within_one_and_a_half_ulp()
    {
        var random = new Random(7);
        double worst = 0;
        float worstX = 0;
        for (int i = 0; i < 2_000_000; i++)
        {
            float x = i % 2 == 0 ? (float)(-random.NextDouble() * 87.33) : -(float)Math.Pow(10, -random.NextDouble() * 12);
            double expected = Math.Exp(x);
            double ulp = Math.Pow(2, Math.Floor(Math.Log2(expected)) - 23);
            double error = Math.Abs(Simd256.ExpNonPositive(Vector256.Create(x)).GetElement(0) - expected) / ulp;
            if (error > worst)
            {
                worst = error;
                worstX = x;
            }
        }
        Assert.True(worst <= 1.5, $"{worst} ulp at x = {worstX:R}");
    }

    [Theory]
    [InlineData(0f, 1f)]
    [InlineData(-87.35f, 0f)]
    [InlineData(-1000f, 0f)]
    [InlineData(float.NegativeInfinity, 0f)]
    public void Exp_of_the_ends_of_the_range(float x, float expected) =>
        Assert.Equal(expected, Simd256.ExpNonPositive(Vector256.Create(x)).GetElement(3));

    [Fact]
    public void Exp_of_minus_zero_is_one_and_of_NaN_NaN()
    {
        Assert.Equal(1f, Simd256.ExpNonPositive(Vector256.Create(-0f)).GetElement(0));
        Assert.True(float.IsNaN(Simd256.ExpNonPositive(Vector256.Create(float.NaN)).GetElement(5)));
    }

    [SkippableFact]
    public void Exp_has_the_same_bits_for_single_floats_and_at_every_width()
    {
        Skip.IfNot(SimdMath.UseExpPolynomial, "without fused multiply-add in hardware each width uses its own Exp");
        var random = new Random(11);
        for (int i = 0; i < 200_000; i++)
        {
            float x = i % 2 == 0 ? (float)(-random.NextDouble() * 90) : -(float)Math.Pow(10, -random.NextDouble() * 12);
            int scalar = BitConverter.SingleToInt32Bits(SimdScalar.ExpNonPositive(x));
            Assert.Equal(scalar, BitConverter.SingleToInt32Bits(Simd256.ExpNonPositive(Vector256.Create(x)).GetElement(i % 8)));
            Assert.Equal(scalar, BitConverter.SingleToInt32Bits(Simd128.ExpNonPositive(Vector128.Create(x)).GetElement(i % 4)));
            if (Vector512.IsHardwareAccelerated)
            {
                Assert.Equal(scalar, BitConverter.SingleToInt32Bits(Simd512.ExpNonPositive(Vector512.Create(x)).GetElement(i % 16)));
            }
        }
    }
}
