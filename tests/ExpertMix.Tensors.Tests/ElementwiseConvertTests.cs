// Vectorised bf16 <-> f32 conversion vs the scalar twins at every length 0..256 and on special values.
using ExpertMix.Testing;
using Cvt = ExpertMix.Tensors.Kernels.Convert;

namespace ExpertMix.Tensors.Tests;

[Trait("Category", "Kernels")]
public class ElementwiseConvertTests
{
    private static readonly uint[] s_specialBits =
    [
        0x0000_0000, 0x8000_0000,             // ±0
        0x7F80_0000, 0xFF80_0000,             // ±Inf
        0x7FC0_0000, 0xFFC0_0000, 0x7F80_0001, 0xFF81_2345, 0x7FFF_FFFF, // quiet and signalling NaNs with payloads
        0x0000_0001, 0x8000_8000, 0x0000_8001, 0x007F_FFFF, 0x0001_8000, // subnormals incl. ties
        0x3F80_8000, 0x3F81_8000, 0x3F80_8001, 0x3F80_7FFF,             // ties to even (down, up) and near-ties
        0x7F7F_FFFF, 0xFF7F_8000, 0x7F7F_7FFF,                           // overflow to ±Inf and the largest finite
    ];

    private static float[] Data(int n, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (rng.NextInt(4)) switch
            {
                0 => BitConverter.UInt32BitsToSingle(s_specialBits[rng.NextInt(s_specialBits.Length)]),
                1 => BitConverter.UInt32BitsToSingle((uint)rng.NextUInt64()),           // any bit pattern
                2 => BitConverter.UInt32BitsToSingle(((uint)rng.NextUInt64() & 0xFFFF_0000) | 0x8000), // exact ties
                _ => (float)rng.NextNormal() * 100,
            };
        }
        return x;
    }

    [Fact]
    public void F32_to_bf16_simd_matches_scalar_at_every_length()
    {
        for (int n = 0; n <= 256; n++)
        {
            var x = Data(n, (ulong)n + 1);
            var expected = new ushort[n];
            var actual = new ushort[n + 3];
            actual.AsSpan(n).Fill(0xABCD);
            Cvt.F32ToBf16Scalar(x, expected);
            Cvt.F32ToBf16(x, actual.AsSpan(0, n));
            Assert.Equal(expected, actual.AsSpan(0, n).ToArray());
            Assert.All(actual.AsSpan(n).ToArray(), v => Assert.Equal(0xABCD, v));
        }
    }

    [Fact]
    public void Bf16_to_f32_simd_matches_scalar_at_every_length()
    {
        var rng = new Rng(3);
        for (int n = 0; n <= 256; n++)
        {
            var x = new ushort[n];
            for (int i = 0; i < n; i++) x[i] = (ushort)rng.NextUInt64();
            var expected = new float[n];
            var actual = new float[n + 3];
            actual.AsSpan(n).Fill(-1.5f);
            Cvt.Bf16ToF32Scalar(x, expected);
            Cvt.Bf16ToF32(x, actual.AsSpan(0, n));
            TensorAssert.BitEqual(expected, actual.AsSpan(0, n), $"n={n}");
            Assert.All(actual.AsSpan(n).ToArray(), v => Assert.Equal(-1.5f, v));
        }
    }

    [Fact]
    public void Special_values_round_to_nearest_even_and_keep_nan()
    {
        var x = Array.ConvertAll(s_specialBits, BitConverter.UInt32BitsToSingle);
        var padded = x.Concat(x).Concat(x).ToArray(); // long enough for the vector paths
        var bf = new ushort[padded.Length];
        Cvt.F32ToBf16(padded, bf);
        for (int i = 0; i < padded.Length; i++)
        {
            uint u = BitConverter.SingleToUInt32Bits(padded[i]);
            ushort b = bf[i];
            if (float.IsNaN(padded[i]))
            {
                Assert.True(float.IsNaN(Bf16.ToSingle(b)), $"NaN 0x{u:X8} became 0x{b:X4}");
                Assert.Equal(u >> 31, (uint)b >> 15);
                continue;
            }
            // Independent reference: nearest bf16 by exact double arithmetic, ties to the even mantissa.
            double v = padded[i];
            ushort down = (ushort)(u >> 16), up = (ushort)(down + 1);
            // Past the largest finite value the next step is 2^128 (it rounds to ±Inf), as IEEE overflow rounding requires.
            double upValue = (up & 0x7FFF) == 0x7F80 ? Math.CopySign(Math.Pow(2, 128), v) : Bf16.ToSingle(up);
            double dd = Math.Abs(Bf16.ToSingle(down) - v), du = Math.Abs(upValue - v);
            ushort want = (u & 0xFFFF) == 0 ? down : dd < du ? down : du < dd ? up : (down & 1) == 0 ? down : up;
            Assert.True(want == b, $"0x{u:X8}: got 0x{b:X4}, want 0x{want:X4}");
        }
        var back = new float[bf.Length];
        Cvt.Bf16ToF32(bf, back);
        Assert.Equal(0x8000_0000u, BitConverter.SingleToUInt32Bits(back[1]));   // −0 survives
        Assert.Equal(float.PositiveInfinity, back[2]);
        Assert.Equal(float.PositiveInfinity, back[s_specialBits.Length - 3]);   // 0x7F7FFFFF rounds up to +Inf
    }
}
