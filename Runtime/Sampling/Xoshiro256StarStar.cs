using System.Numerics;

namespace EdgeJamba.Runtime.Sampling;

/// <summary>The complete state of a <see cref="Xoshiro256StarStar"/> generator (four 64-bit words, never all zero).</summary>
public readonly record struct RngState(ulong S0, ulong S1, ulong S2, ulong S3);

/// <summary>
/// xoshiro256** 1.0 (Blackman and Vigna, 2018): 256 bits of state, period 2^256 - 1, one 64-bit output per
/// step. Seeding expands a 64-bit seed with SplitMix64 into the four state words, as the authors recommend.
/// The state can be read and restored exactly, so a saved session resumes with the same draws.
/// </summary>
public struct Xoshiro256StarStar
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>Seeds the generator: the state words are four successive SplitMix64 outputs starting from <paramref name="seed"/>.</summary>
    public Xoshiro256StarStar(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>Restores a state previously returned by <see cref="State"/>.</summary>
    /// <exception cref="ArgumentException">All four words are zero (a state xoshiro never leaves).</exception>
    public Xoshiro256StarStar(RngState state)
    {
        if ((state.S0 | state.S1 | state.S2 | state.S3) == 0)
        {
            throw new ArgumentException("An all-zero xoshiro256** state is invalid.", nameof(state));
        }
        _s0 = state.S0;
        _s1 = state.S1;
        _s2 = state.S2;
        _s3 = state.S3;
    }

    /// <summary>The current state; <c>new Xoshiro256StarStar(State)</c> continues with the same outputs.</summary>
    public readonly RngState State => new(_s0, _s1, _s2, _s3);

    /// <summary>Next 64 uniformly distributed bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform double in <c>[0, 1)</c>: the top 53 bits of <see cref="NextUInt64"/> times 2^-53.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>SplitMix64 (Steele, Lea and Flood): advances <paramref name="x"/> and returns its next output.</summary>
    public static ulong SplitMix64(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        ulong z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
