// bfloat16 scalar conversion: exact widening, round-to-nearest-even narrowing, special values.

namespace ExpertMix.Tensors.Tests;

public class Bf16Tests
{
    // Expected bits follow torch: torch.tensor([x]).to(torch.bfloat16).view(torch.int16)
    [Theory]
    [InlineData(1.0f, 0x3F80)]
    [InlineData(-2.0f, 0xC000)]
    [InlineData(0.0f, 0x0000)]
    [InlineData(-0.0f, 0x8000)]
    [InlineData(float.PositiveInfinity, 0x7F80)]
    [InlineData(float.NegativeInfinity, 0xFF80)]
    [InlineData(3.4028235e38f, 0x7F80)] // rounds up to +Inf
    public void Known_values_convert_like_torch(float value, int bits)
    {
        Assert.Equal((ushort)bits, Bf16.FromSingle(value));
    }

    [Fact]
    public void Ties_round_to_even()
    {
        // 0x3F80_8000 is exactly halfway between 0x3F80 and 0x3F81: even (0x3F80) wins.
        Assert.Equal((ushort)0x3F80, Bf16.FromSingle(BitConverter.UInt32BitsToSingle(0x3F80_8000)));
        // 0x3F81_8000 is halfway between 0x3F81 and 0x3F82: even (0x3F82) wins.
        Assert.Equal((ushort)0x3F82, Bf16.FromSingle(BitConverter.UInt32BitsToSingle(0x3F81_8000)));
        Assert.Equal((ushort)0x3F81, Bf16.FromSingle(BitConverter.UInt32BitsToSingle(0x3F80_8001)));
    }

    [Fact]
    public void Nan_stays_nan_and_widening_is_exact()
    {
        Assert.True(float.IsNaN(Bf16.ToSingle(Bf16.FromSingle(float.NaN))));
        Assert.True(float.IsNaN(Bf16.ToSingle(Bf16.FromSingle(BitConverter.UInt32BitsToSingle(0x7F80_0001)))));
        for (int b = 0; b < 0x10000; b += 7)
        {
            float f = Bf16.ToSingle((ushort)b);
            if (!float.IsNaN(f)) Assert.Equal((ushort)b, Bf16.FromSingle(f));
        }
    }

    [Fact]
    public void Narrowing_matches_a_double_reference_nearest_even()
    {
        var rng = new Rng(3);
        for (int i = 0; i < 20000; i++)
        {
            float x = BitConverter.UInt32BitsToSingle((uint)rng.NextUInt64());
            if (!float.IsFinite(x)) continue;
            ushort got = Bf16.FromSingle(x);
            // Reference: the two neighbouring bf16 values around x, choose nearest, ties to even mantissa.
            uint u = BitConverter.SingleToUInt32Bits(x);
            ushort lo = (ushort)(u >> 16);
            ushort hi = (ushort)(lo + 1);
            double dl = Math.Abs((double)Bf16.ToSingle(lo) - x);
            // Past the largest finite bf16, the next value behaves like ±2^128 for rounding (IEEE overflow to ±Inf).
            double vh = float.IsInfinity(Bf16.ToSingle(hi)) ? Math.CopySign(Math.Pow(2, 128), x) : Bf16.ToSingle(hi);
            double dh = Math.Abs(vh - x);
            ushort expected = dl < dh ? lo : dh < dl ? hi : (lo & 1) == 0 ? lo : hi;
            Assert.Equal(expected, got);
        }
    }
}
