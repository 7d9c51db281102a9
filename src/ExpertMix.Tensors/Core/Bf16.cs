// bfloat16 <-> float32 conversion with round-to-nearest-even; NaN stays NaN.
namespace ExpertMix.Tensors;

/// <summary>Scalar bfloat16 conversions (the vectorised forms live in <c>Kernels.Convert</c>).</summary>
public static class Bf16
{
    /// <summary>bf16 bits → float: the bits become the upper half of a binary32 (exact).</summary>
    public static float ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>
    /// float → bf16 bits, rounding to nearest with ties to even: <c>(u + 0x7FFF + ((u &gt;&gt; 16) &amp; 1)) &gt;&gt; 16</c>.
    /// NaN maps to a quiet NaN with the sign kept; ±Inf stays ±Inf; overflow rounds to ±Inf.
    /// </summary>
    public static ushort FromSingle(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7FFF_FFFF) > 0x7F80_0000) return (ushort)((u >> 16) | 0x0040);
        uint rounding = 0x7FFF + ((u >> 16) & 1);
        return (ushort)((u + rounding) >> 16);
    }
}
