using EdgeJamba.Runtime.Sampling;

namespace EdgeJamba.Runtime.Tests.Sampling;

public class Xoshiro256StarStarTests
{
    // Expected values come from a separate Python transcription of the reference C code (xoshiro256starstar.c, splitmix64.c).
    [Fact]
    public void NextUInt64_FromState1234_MatchesReferenceSequence()
    {
        var rng = new Xoshiro256StarStar(new RngState(1, 2, 3, 4));
        ulong[] expected = [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360];
        foreach (ulong value in expected)
        {
            Assert.Equal(value, rng.NextUInt64());
        }
    }

    [Fact]
    public void Seed0_ExpandsWithSplitMix64_AndContinuesLikeTheReference()
    {
        var rng = new Xoshiro256StarStar(0);
        Assert.Equal(new RngState(0xe220a8397b1dcdafUL, 0x6e789e6aa1b965f4UL, 0x06c45d188009454fUL, 0xf88bb8a8724c81ecUL), rng.State);
        Assert.Equal(0x99ec5f36cb75f2b4UL, rng.NextUInt64());
        Assert.Equal(0xbf6e1f784956452aUL, rng.NextUInt64());
        Assert.Equal(0x1a5f849d4933e6e0UL, rng.NextUInt64());
    }

    [Fact]
    public void NextDouble_IsTheTop53BitsScaled()
    {
        var rng = new Xoshiro256StarStar(new RngState(1, 2, 3, 4));
        Assert.Equal((11520UL >> 11) / 9007199254740992.0, rng.NextDouble());
        Assert.Equal(0.0, rng.NextDouble());
        for (int i = 0; i < 1000; i++)
        {
            double u = rng.NextDouble();
            Assert.InRange(u, 0.0, 1.0 - (1.0 / 9007199254740992.0));
        }
    }

    [Fact]
    public void AllZeroState_IsRejected()
        => Assert.Throws<ArgumentException>(() => new Xoshiro256StarStar(new RngState(0, 0, 0, 0)));
}
