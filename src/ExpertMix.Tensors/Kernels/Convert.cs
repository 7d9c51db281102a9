// Contiguous dtype conversions (bf16/f16 <-> f32): vectorised bf16 paths with scalar reference twins.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ExpertMix.Tensors.Kernels;

/// <summary>
/// Dtype conversion kernels. f32→bf16/f16 round to nearest even; NaN stays NaN. The bf16 kernels use
/// Vector512/256/128 (whichever is accelerated) and are bit-identical to their scalar twins, which apply
/// <see cref="Bf16.ToSingle"/> / <see cref="Bf16.FromSingle"/> element by element.
/// </summary>
public static class Convert
{
    /// <summary>destination[i] = float(bf16 source[i]) (exact: the bits become the upper half of a binary32).</summary>
    /// <exception cref="ArgumentException">destination is shorter than source.</exception>
    public static void Bf16ToF32(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination too short", nameof(destination));
        ref ushort s = ref MemoryMarshal.GetReference(source);
        ref uint d = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(destination));
        int n = source.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 32; i += 32)
            {
                var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref s, (nuint)i));
                (lo << 16).StoreUnsafe(ref d, (nuint)i);
                (hi << 16).StoreUnsafe(ref d, (nuint)(i + 16));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)i));
                (lo << 16).StoreUnsafe(ref d, (nuint)i);
                (hi << 16).StoreUnsafe(ref d, (nuint)(i + 8));
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                var (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref s, (nuint)i));
                (lo << 16).StoreUnsafe(ref d, (nuint)i);
                (hi << 16).StoreUnsafe(ref d, (nuint)(i + 4));
            }
        }
        Bf16ToF32Scalar(source[i..], destination[i..]);
    }

    /// <summary>Scalar twin of <see cref="Bf16ToF32"/>.</summary>
    public static void Bf16ToF32Scalar(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination too short", nameof(destination));
        for (int i = 0; i < source.Length; i++) destination[i] = Bf16.ToSingle(source[i]);
    }

    /// <summary>
    /// destination[i] = bf16(source[i]): round to nearest, ties to even, <c>(u + 0x7FFF + ((u &gt;&gt; 16) &amp; 1)) &gt;&gt; 16</c>;
    /// NaN → quiet NaN with its sign and upper payload (<c>(u &gt;&gt; 16) | 0x40</c>); overflow → ±∞; subnormals round the same way.
    /// </summary>
    /// <exception cref="ArgumentException">destination is shorter than source.</exception>
    public static void F32ToBf16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination too short", nameof(destination));
        ref uint s = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(source));
        ref ushort d = ref MemoryMarshal.GetReference(destination);
        int n = source.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 32; i += 32)
            {
                var lo = Round(Vector512.LoadUnsafe(ref s, (nuint)i));
                var hi = Round(Vector512.LoadUnsafe(ref s, (nuint)(i + 16)));
                Vector512.Narrow(lo, hi).StoreUnsafe(ref d, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
            {
                var lo = Round(Vector256.LoadUnsafe(ref s, (nuint)i));
                var hi = Round(Vector256.LoadUnsafe(ref s, (nuint)(i + 8)));
                Vector256.Narrow(lo, hi).StoreUnsafe(ref d, (nuint)i);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                var lo = Round(Vector128.LoadUnsafe(ref s, (nuint)i));
                var hi = Round(Vector128.LoadUnsafe(ref s, (nuint)(i + 4)));
                Vector128.Narrow(lo, hi).StoreUnsafe(ref d, (nuint)i);
            }
        }
        F32ToBf16Scalar(source[i..], destination[i..]);
    }

    /// <summary>Scalar twin of <see cref="F32ToBf16"/>.</summary>
    public static void F32ToBf16Scalar(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination too short", nameof(destination));
        for (int i = 0; i < source.Length; i++) destination[i] = Bf16.FromSingle(source[i]);
    }

    private static Vector512<uint> Round(Vector512<uint> u)
    {
        var isNaN = Vector512.GreaterThan(u & Vector512.Create(0x7FFF_FFFFu), Vector512.Create(0x7F80_0000u));
        var rounded = (u + Vector512.Create(0x7FFFu) + ((u >> 16) & Vector512<uint>.One)) >> 16;
        return Vector512.ConditionalSelect(isNaN, (u >> 16) | Vector512.Create(0x40u), rounded);
    }

    private static Vector256<uint> Round(Vector256<uint> u)
    {
        var isNaN = Vector256.GreaterThan(u & Vector256.Create(0x7FFF_FFFFu), Vector256.Create(0x7F80_0000u));
        var rounded = (u + Vector256.Create(0x7FFFu) + ((u >> 16) & Vector256<uint>.One)) >> 16;
        return Vector256.ConditionalSelect(isNaN, (u >> 16) | Vector256.Create(0x40u), rounded);
    }

    private static Vector128<uint> Round(Vector128<uint> u)
    {
        var isNaN = Vector128.GreaterThan(u & Vector128.Create(0x7FFF_FFFFu), Vector128.Create(0x7F80_0000u));
        var rounded = (u + Vector128.Create(0x7FFFu) + ((u >> 16) & Vector128<uint>.One)) >> 16;
        return Vector128.ConditionalSelect(isNaN, (u >> 16) | Vector128.Create(0x40u), rounded);
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
