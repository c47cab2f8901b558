using static EdgeJamba.Runtime.Tests.KernelTests.KernelTestData;

namespace EdgeJamba.Runtime.Tests.KernelTests;

public class BlockDiagonalMatVecTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(32, 4, 4)]
    [InlineData(4, 16, 16)]
    [InlineData(4, 64, 16)]
    [InlineData(3, 5, 7)]
    [InlineData(2, 33, 40)]
    public void BlockDiagonalMatVec_MatchesOracle(int blocks, int outputs, int inputs)
    {
        var random = new Random((blocks * 1000) + (outputs * 31) + inputs);
        float[] w = Uniform(random, blocks * outputs * inputs), x = Uniform(random, blocks * inputs, 2f);
        var destination = new float[blocks * outputs];
        Kernels.BlockDiagonalMatVec(w, blocks, x, destination);
        for (int b = 0; b < blocks; b++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double sum = 0, magnitude = 0;
                for (int d = 0; d < inputs; d++)
                {
                    double product = (double)w[(((b * outputs) + o) * inputs) + d] * x[(b * inputs) + d];
                    sum += product;
                    magnitude += Math.Abs(product);
                }

                Near(sum, destination[(b * outputs) + o], SumBound(inputs, magnitude), $"block {b}, output {o}");
            }
        }
    }

    [Fact]
    public void BlockDiagonalMatVec_BadArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => Kernels.BlockDiagonalMatVec(new float[8], 0, new float[4], new float[4]));
        Assert.Throws<ArgumentException>(() => Kernels.BlockDiagonalMatVec(new float[8], 3, new float[4], new float[6]));
        Assert.Throws<ArgumentException>(() => Kernels.BlockDiagonalMatVec(new float[7], 2, new float[4], new float[4]));
    }
}
