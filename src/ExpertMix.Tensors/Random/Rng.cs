// Seeded, splittable pseudo-random generator (xoshiro256**) used for init, dropout and sampling.
namespace ExpertMix.Tensors;

/// <summary>
/// xoshiro256** seeded through SplitMix64. Deterministic for a seed on every platform; the state can be saved
/// and restored (<see cref="GetState"/>/<see cref="SetState"/>) so training resumes exactly.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareNormal;

    /// <summary>Seeds the generator.</summary>
    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform float in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="n"/>).</summary>
    public int NextInt(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        return (int)((NextUInt64() >> 32) * (ulong)n >> 32);
    }

    /// <summary>Standard normal sample (Box–Muller, pairs cached).</summary>
    public double NextNormal()
    {
        if (_spareNormal is double s)
        {
            _spareNormal = null;
            return s;
        }
        double u1;
        do { u1 = NextDouble(); } while (u1 <= double.Epsilon);
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>A generator for an independent stream derived from this one (advances this generator once).</summary>
    public Rng Split() => new(NextUInt64());

    /// <summary>The full state (4 words, plus the cached normal as bits or 0 with a flag).</summary>
    public ulong[] GetState() => [_s0, _s1, _s2, _s3, _spareNormal.HasValue ? 1UL : 0UL, BitConverter.DoubleToUInt64Bits(_spareNormal ?? 0)];

    /// <summary>Restores a state from <see cref="GetState"/>.</summary>
    public void SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 6) throw new ArgumentException("an Rng state has 6 words", nameof(state));
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
        _spareNormal = state[4] != 0 ? BitConverter.UInt64BitsToDouble(state[5]) : null;
    }
}
