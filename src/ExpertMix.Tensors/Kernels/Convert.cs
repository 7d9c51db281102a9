// Contiguous dtype conversions (bf16/f16 <-> f32). Scalar reference loops; vectorised paths may be added beside them.
namespace ExpertMix.Tensors.Kernels;

/// <summary>Dtype conversion kernels. f32→bf16/f16 round to nearest even; NaN stays NaN.</summary>
public static class Convert
{
    /// <summary>destination[i] = float(bf16 source[i]) (exact).</summary>
    public static void Bf16ToF32(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination too short", nameof(destination));
        for (int i = 0; i < source.Length; i++) destination[i] = Bf16.ToSingle(source[i]);
    }

    /// <summary>destination[i] = bf16(source[i]) with round-to-nearest-even.</summary>
    public static void F32ToBf16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination too short", nameof(destination));
        for (int i = 0; i < source.Length; i++) destination[i] = Bf16.FromSingle(source[i]);
    }

    /// <summary>destination[i] = float(f16 source[i]) (exact).</summary>
    public static void F16ToF32(ReadOnlySpan<Half> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination too short", nameof(destination));
        System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(source, destination);
    }

    /// <summary>destination[i] = f16(source[i]) with round-to-nearest-even.</summary>
    public static void F32ToF16(ReadOnlySpan<float> source, Span<Half> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination too short", nameof(destination));
        System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(source, destination);
    }
}
