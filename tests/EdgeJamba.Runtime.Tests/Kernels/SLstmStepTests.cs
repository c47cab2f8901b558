using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class SLstmStepTests
{
    /// <summary>Ten steps from the zero state for 1..70 units against the stabilized cell in double (first-step rule, clamped gates).</summary>
    [Fact]
    public void SLstmStep_SeveralSteps_MatchesCell()
    {
        var random = new Random(50);
        for (int units = 1; units <= 70; units++)
        {
            var c = new float[units];
            var n = new float[units];
            var m = new float[units];
            var y = new float[units];
            var oc = new double[units];
            var absC = new double[units];
            var on = new double[units];
            var om = new double[units];
            for (int t = 0; t < 10; t++)
            {
                float[] i = Uniform(random, units, 6f), f = Uniform(random, units, 6f), z = Uniform(random, units, 3f), o = Uniform(random, units, 4f);
                Kernels.SLstmStep(i, f, z, o, c, n, m, y);
                for (int u = 0; u < units; u++)
                {
                    double lfm = om[u] - Math.Log(1 + Math.Exp(-(double)f[u]));
                    double mNew = t == 0 ? i[u] : Math.Max(i[u], lfm);
                    double ig = Math.Min(Math.Exp(i[u] - mNew), 1), fg = Math.Min(Math.Exp(lfm - mNew), 1);
                    double tanh = Math.Tanh(z[u]);
                    oc[u] = (fg * oc[u]) + (ig * tanh);
                    absC[u] = (fg * absC[u]) + (ig * Math.Abs(tanh));
                    on[u] = (fg * on[u]) + ig;
                    om[u] = mNew;
                    double gate = 1 / (1 + Math.Exp(-(double)o[u]));
                    double expected = gate * oc[u] / on[u];
                    // A few roundings per step (exp, log, tanh, products), relative to the magnitudes of c and n.
                    double bound = ((t + 1) * 24 * U * gate * absC[u] / on[u]) + 1e-30;
                    Near(expected, y[u], bound, $"units={units}, t={t}, u={u}");
                    Near(on[u], n[u], (t + 1) * 24 * U * on[u], $"n: units={units}, t={t}, u={u}");
                    if (t == 0)
                    {
                        Assert.Equal(i[u], m[u]); // the first step takes m = i whatever the forget gate says
                    }
                }
            }
        }
    }

    [Fact]
    public void SLstmStep_BadArguments_Throw()
    {
        float[] d = new float[3];
        Assert.Throws<ArgumentException>(() => Kernels.SLstmStep(d, new float[2], d, d, d, d, d, d));
        Assert.Throws<ArgumentException>(() => Kernels.SLstmStep(d, d, d, d, d, d, new float[4], d));
        Assert.Throws<ArgumentException>(() => Kernels.SLstmStep(d, d, d, d, d, d, d, new float[2]));
    }
}
