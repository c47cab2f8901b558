using System.Runtime.Intrinsics;
using EdgeJamba.Layout;
using static EdgeJamba.Runtime.Kernels;

namespace EdgeJamba.Runtime.Tests.KernelTests;

/// <summary>The vector width a kernel instantiation runs at.</summary>
public enum SimdWidth
{
    Scalar,
    Vector128,
    Vector256,
    Vector512,
}

/// <summary>
/// Runs every vectorized kernel at each width explicitly, against the same double-precision oracles as
/// the public entry points, whatever the machine would choose. Widths the hardware lacks still run:
/// <see cref="Vector512"/> operations fall back to software, slowly but with the same results.
/// </summary>
public class SimdPathTests
{
    public static TheoryData<SimdWidth> Widths => new(Enum.GetValues<SimdWidth>());

    public static TheoryData<SimdWidth, Activation> WidthsAndActivations
    {
        get
        {
            var data = new TheoryData<SimdWidth, Activation>();
            foreach (SimdWidth width in Enum.GetValues<SimdWidth>())
            {
                foreach (Activation activation in Enum.GetValues<Activation>())
                {
                    data.Add(width, activation);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Dot_AtWidth_MatchesOracle(SimdWidth width) => DotTests.Check(width switch
    {
        SimdWidth.Scalar => (x, y) => Dot<SimdScalar, float>(x, y),
        SimdWidth.Vector128 => (x, y) => Dot<Simd128, Vector128<float>>(x, y),
        SimdWidth.Vector256 => (x, y) => Dot<Simd256, Vector256<float>>(x, y),
        _ => (x, y) => Dot<Simd512, Vector512<float>>(x, y),
    });

    [Theory]
    [MemberData(nameof(Widths))]
    public void MatVec_AtWidth_MatchesOracle(SimdWidth width) => MatVecTests.Check(width switch
    {
        SimdWidth.Scalar => (in Matrix w, ReadOnlySpan<float> x, Span<float> d) => MatVec<SimdScalar, float>(w, x, d, 0, w.Rows),
        SimdWidth.Vector128 => (in Matrix w, ReadOnlySpan<float> x, Span<float> d) => MatVec<Simd128, Vector128<float>>(w, x, d, 0, w.Rows),
        SimdWidth.Vector256 => (in Matrix w, ReadOnlySpan<float> x, Span<float> d) => MatVec<Simd256, Vector256<float>>(w, x, d, 0, w.Rows),
        _ => (in Matrix w, ReadOnlySpan<float> x, Span<float> d) => MatVec<Simd512, Vector512<float>>(w, x, d, 0, w.Rows),
    });

    [Theory]
    [MemberData(nameof(Widths))]
    public void MatMul_AtWidth_MatchesOracle(SimdWidth width) => MatMulTests.Check(width switch
    {
        SimdWidth.Scalar => (in Matrix w, ReadOnlySpan<float> x, int n, Span<float> d) => MatMul<SimdScalar, float>(w, x, n, d, 0, w.Rows),
        SimdWidth.Vector128 => (in Matrix w, ReadOnlySpan<float> x, int n, Span<float> d) => MatMul<Simd128, Vector128<float>>(w, x, n, d, 0, w.Rows),
        SimdWidth.Vector256 => (in Matrix w, ReadOnlySpan<float> x, int n, Span<float> d) => MatMul<Simd256, Vector256<float>>(w, x, n, d, 0, w.Rows),
        _ => (in Matrix w, ReadOnlySpan<float> x, int n, Span<float> d) => MatMul<Simd512, Vector512<float>>(w, x, n, d, 0, w.Rows),
    });

    [Theory]
    [MemberData(nameof(Widths))]
    public void Silu_AtWidth_MatchesOracle(SimdWidth width) => ActivationTests.CheckSilu(Map<SiluOperator>(width));

    [Theory]
    [MemberData(nameof(Widths))]
    public void Softplus_AtWidth_MatchesOracle(SimdWidth width) => ActivationTests.CheckSoftplus(Map<SoftplusOperator>(width));

    [Theory]
    [MemberData(nameof(WidthsAndActivations))]
    public void GatedActivation_AtWidth_MatchesOracle(SimdWidth width, Activation activation) => ActivationTests.CheckGated(
        activation switch
        {
            Activation.Silu => MapGated<SiluOperator>(width),
            Activation.Gelu => MapGated<GeluOperator>(width),
            _ => MapGated<Relu2Operator>(width),
        },
        activation);

    [Theory]
    [MemberData(nameof(Widths))]
    public void RotateHalf_AtWidth_MatchesOracle(SimdWidth width) => RotateHalfTests.Check(width switch
    {
        SimdWidth.Scalar => (x, heads, headDim, cos, sin) => RotateHalf<SimdScalar, float>(x, heads, headDim, cos, sin),
        SimdWidth.Vector128 => (x, heads, headDim, cos, sin) => RotateHalf<Simd128, Vector128<float>>(x, heads, headDim, cos, sin),
        SimdWidth.Vector256 => (x, heads, headDim, cos, sin) => RotateHalf<Simd256, Vector256<float>>(x, heads, headDim, cos, sin),
        _ => (x, heads, headDim, cos, sin) => RotateHalf<Simd512, Vector512<float>>(x, heads, headDim, cos, sin),
    });

    [Theory]
    [MemberData(nameof(Widths))]
    public void Attend_AtWidth_MatchesOracle(SimdWidth width) => AttendTests.Check(width switch
    {
        SimdWidth.Scalar => (q, k, v, length, stride, scale, s, d) => Attend<SimdScalar, float>(q, k, v, length, stride, scale, s, d),
        SimdWidth.Vector128 => (q, k, v, length, stride, scale, s, d) => Attend<Simd128, Vector128<float>>(q, k, v, length, stride, scale, s, d),
        SimdWidth.Vector256 => (q, k, v, length, stride, scale, s, d) => Attend<Simd256, Vector256<float>>(q, k, v, length, stride, scale, s, d),
        _ => (q, k, v, length, stride, scale, s, d) => Attend<Simd512, Vector512<float>>(q, k, v, length, stride, scale, s, d),
    });

    [Theory]
    [MemberData(nameof(Widths))]
    public void SelectiveScanStep_AtWidth_MatchesRecurrence(SimdWidth width)
    {
        SelectiveScanStepTests.ScanKernel scan = width switch
        {
            SimdWidth.Scalar => (x, dt, a, b, c, d, z, s, y) => SelectiveScanStep<SimdScalar, float>(x, dt, a, b, c, d, z, s, y),
            SimdWidth.Vector128 => (x, dt, a, b, c, d, z, s, y) => SelectiveScanStep<Simd128, Vector128<float>>(x, dt, a, b, c, d, z, s, y),
            SimdWidth.Vector256 => (x, dt, a, b, c, d, z, s, y) => SelectiveScanStep<Simd256, Vector256<float>>(x, dt, a, b, c, d, z, s, y),
            _ => (x, dt, a, b, c, d, z, s, y) => SelectiveScanStep<Simd512, Vector512<float>>(x, dt, a, b, c, d, z, s, y),
        };
        foreach (int stateSize in new[] { 1, 5, 8, 16, 23, 32 })
        {
            SelectiveScanStepTests.Check(scan, stateSize);
        }
    }

    private static ActivationTests.MapKernel Map<TOperator>(SimdWidth width)
        where TOperator : struct, IUnaryOperator => width switch
        {
            SimdWidth.Scalar => (x, d) => Map<TOperator, SimdScalar, float>(x, d),
            SimdWidth.Vector128 => (x, d) => Map<TOperator, Simd128, Vector128<float>>(x, d),
            SimdWidth.Vector256 => (x, d) => Map<TOperator, Simd256, Vector256<float>>(x, d),
            _ => (x, d) => Map<TOperator, Simd512, Vector512<float>>(x, d),
        };

    private static ActivationTests.GatedKernel MapGated<TOperator>(SimdWidth width)
        where TOperator : struct, IUnaryOperator => width switch
        {
            SimdWidth.Scalar => (g, u, d) => MapGated<TOperator, SimdScalar, float>(g, u, d),
            SimdWidth.Vector128 => (g, u, d) => MapGated<TOperator, Simd128, Vector128<float>>(g, u, d),
            SimdWidth.Vector256 => (g, u, d) => MapGated<TOperator, Simd256, Vector256<float>>(g, u, d),
            _ => (g, u, d) => MapGated<TOperator, Simd512, Vector512<float>>(g, u, d),
        };
}
