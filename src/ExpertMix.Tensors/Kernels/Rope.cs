// Rotary position embedding kernels (HF half rotation and GPT-J/llama.cpp interleaved pairs) and the cos/sin table builder.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ExpertMix.Tensors.Kernels;

/// <summary>
/// RoPE on one head row of length Dh = 2·half, with per-frequency tables cos[i], sin[i] (i &lt; half).
/// Half rotation (HF rotate_half): pairs (i, i+half): lo = x_lo·c − x_hi·s, hi = x_hi·c + x_lo·s.
/// Interleaved (GPT-J / llama.cpp): pairs (2i, 2i+1): even = x_e·c − x_o·s, odd = x_o·c + x_e·s.
/// <c>inverse</c> rotates by −θ (the backward): it uses −s, which is exact, so the results are those of the formulas
/// with s negated. Every path uses separate multiplies and adds in exactly this order (no FMA), so the SIMD
/// paths are bit-identical to the scalar twins. destination may alias x.
/// </summary>
public static class RopeKernels
{
    /// <summary>HF half-rotation RoPE of one row (see class remarks).</summary>
    /// <exception cref="ArgumentException">Odd length or tables/destination too short.</exception>
    public static void RopeHalf(ReadOnlySpan<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, bool inverse, Span<float> destination)
    {
        int half = Check(x, cos, sin, destination);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float cr = ref MemoryMarshal.GetReference(cos);
        ref float sr = ref MemoryMarshal.GetReference(sin);
        ref float dr = ref MemoryMarshal.GetReference(destination);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= half; i += 16)
            {
                var x1 = Vector512.LoadUnsafe(ref xr, (nuint)i);
                var x2 = Vector512.LoadUnsafe(ref xr, (nuint)(i + half));
                var c = Vector512.LoadUnsafe(ref cr, (nuint)i);
                var s = Vector512.LoadUnsafe(ref sr, (nuint)i);
                if (inverse) s = -s;
                ((x1 * c) - (x2 * s)).StoreUnsafe(ref dr, (nuint)i);
                ((x2 * c) + (x1 * s)).StoreUnsafe(ref dr, (nuint)(i + half));
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= half; i += 8)
            {
                var x1 = Vector256.LoadUnsafe(ref xr, (nuint)i);
                var x2 = Vector256.LoadUnsafe(ref xr, (nuint)(i + half));
                var c = Vector256.LoadUnsafe(ref cr, (nuint)i);
                var s = Vector256.LoadUnsafe(ref sr, (nuint)i);
                if (inverse) s = -s;
                ((x1 * c) - (x2 * s)).StoreUnsafe(ref dr, (nuint)i);
                ((x2 * c) + (x1 * s)).StoreUnsafe(ref dr, (nuint)(i + half));
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 4 <= half; i += 4)
            {
                var x1 = Vector128.LoadUnsafe(ref xr, (nuint)i);
                var x2 = Vector128.LoadUnsafe(ref xr, (nuint)(i + half));
                var c = Vector128.LoadUnsafe(ref cr, (nuint)i);
                var s = Vector128.LoadUnsafe(ref sr, (nuint)i);
                if (inverse) s = -s;
                ((x1 * c) - (x2 * s)).StoreUnsafe(ref dr, (nuint)i);
                ((x2 * c) + (x1 * s)).StoreUnsafe(ref dr, (nuint)(i + half));
            }
        }
        for (; i < half; i++) HalfPair(ref xr, ref cr, ref sr, inverse, ref dr, i, half);
    }

    /// <summary>Scalar reference twin of <see cref="RopeHalf"/>.</summary>
    public static void RopeHalfScalar(ReadOnlySpan<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, bool inverse, Span<float> destination)
    {
        int half = Check(x, cos, sin, destination);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float cr = ref MemoryMarshal.GetReference(cos);
        ref float sr = ref MemoryMarshal.GetReference(sin);
        ref float dr = ref MemoryMarshal.GetReference(destination);
        for (int i = 0; i < half; i++) HalfPair(ref xr, ref cr, ref sr, inverse, ref dr, i, half);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void HalfPair(ref float xr, ref float cr, ref float sr, bool inverse, ref float dr, int i, int half)
    {
        float x1 = Unsafe.Add(ref xr, i), x2 = Unsafe.Add(ref xr, i + half);
        float c = Unsafe.Add(ref cr, i), s = Unsafe.Add(ref sr, i);
        if (inverse) s = -s;
        Unsafe.Add(ref dr, i) = (x1 * c) - (x2 * s);
        Unsafe.Add(ref dr, i + half) = (x2 * c) + (x1 * s);
    }

    /// <summary>Interleaved (GPT-J / llama.cpp) RoPE of one row (see class remarks).</summary>
    /// <exception cref="ArgumentException">Odd length or tables/destination too short.</exception>
    public static void RopeInterleaved(ReadOnlySpan<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, bool inverse, Span<float> destination)
    {
        int half = Check(x, cos, sin, destination);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float cr = ref MemoryMarshal.GetReference(cos);
        ref float sr = ref MemoryMarshal.GetReference(sin);
        ref float dr = ref MemoryMarshal.GetReference(destination);
        int j = 0; // pair index
        float sg = inverse ? 1f : -1f;
        if (Vector512.IsHardwareAccelerated)
        {
            var swap = Vector512.Create(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
            var dup = Vector512.Create(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
            var sign = Vector512.Create(sg, -sg, sg, -sg, sg, -sg, sg, -sg, sg, -sg, sg, -sg, sg, -sg, sg, -sg);
            for (; j + 8 <= half; j += 8)
            {
                var v = Vector512.LoadUnsafe(ref xr, (nuint)(2 * j));
                var c8 = Vector256.LoadUnsafe(ref cr, (nuint)j);
                var s8 = Vector256.LoadUnsafe(ref sr, (nuint)j);
                var c = Vector512.Shuffle(Vector512.Create(c8, c8), dup);
                var s = Vector512.Shuffle(Vector512.Create(s8, s8), dup) * sign;
                ((v * c) + (Vector512.Shuffle(v, swap) * s)).StoreUnsafe(ref dr, (nuint)(2 * j));
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var swap = Vector256.Create(1, 0, 3, 2, 5, 4, 7, 6);
            var dup = Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3);
            var sign = Vector256.Create(sg, -sg, sg, -sg, sg, -sg, sg, -sg);
            for (; j + 4 <= half; j += 4)
            {
                var v = Vector256.LoadUnsafe(ref xr, (nuint)(2 * j));
                var c4 = Vector128.LoadUnsafe(ref cr, (nuint)j);
                var s4 = Vector128.LoadUnsafe(ref sr, (nuint)j);
                var c = Vector256.Shuffle(Vector256.Create(c4, c4), dup);
                var s = Vector256.Shuffle(Vector256.Create(s4, s4), dup) * sign;
                ((v * c) + (Vector256.Shuffle(v, swap) * s)).StoreUnsafe(ref dr, (nuint)(2 * j));
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var swap = Vector128.Create(1, 0, 3, 2);
            var sign = Vector128.Create(sg, -sg, sg, -sg);
            for (; j + 2 <= half; j += 2)
            {
                var v = Vector128.LoadUnsafe(ref xr, (nuint)(2 * j));
                float c0 = Unsafe.Add(ref cr, j), c1 = Unsafe.Add(ref cr, j + 1);
                float s0 = Unsafe.Add(ref sr, j), s1 = Unsafe.Add(ref sr, j + 1);
                var c = Vector128.Create(c0, c0, c1, c1);
                var s = Vector128.Create(s0, s0, s1, s1) * sign;
                ((v * c) + (Vector128.Shuffle(v, swap) * s)).StoreUnsafe(ref dr, (nuint)(2 * j));
            }
        }
        for (; j < half; j++) InterleavedPair(ref xr, ref cr, ref sr, inverse, ref dr, j);
    }

    /// <summary>Scalar reference twin of <see cref="RopeInterleaved"/>.</summary>
    public static void RopeInterleavedScalar(ReadOnlySpan<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, bool inverse, Span<float> destination)
    {
        int half = Check(x, cos, sin, destination);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float cr = ref MemoryMarshal.GetReference(cos);
        ref float sr = ref MemoryMarshal.GetReference(sin);
        ref float dr = ref MemoryMarshal.GetReference(destination);
        for (int j = 0; j < half; j++) InterleavedPair(ref xr, ref cr, ref sr, inverse, ref dr, j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InterleavedPair(ref float xr, ref float cr, ref float sr, bool inverse, ref float dr, int j)
    {
        float xe = Unsafe.Add(ref xr, 2 * j), xo = Unsafe.Add(ref xr, 2 * j + 1);
        float c = Unsafe.Add(ref cr, j), s = Unsafe.Add(ref sr, j);
        if (inverse) s = -s;
        Unsafe.Add(ref dr, 2 * j) = (xe * c) - (xo * s);
        Unsafe.Add(ref dr, 2 * j + 1) = (xo * c) + (xe * s);
    }

    /// <summary>
    /// HF default inverse frequencies in f32: inv[i] = 1 / θ^((2i)/Dh) for i &lt; Dh/2, then divided by
    /// <paramref name="linearFactor"/> (HF "linear" rope scaling). Other scalings (llama3, NTK) supply their own array
    /// to <see cref="BuildTable"/>.
    /// </summary>
    /// <exception cref="ArgumentException">headDim is not a positive even number, θ ≤ 0 or factor ≤ 0.</exception>
    public static float[] InverseFrequencies(int headDim, float theta, float linearFactor = 1f)
    {
        if (headDim <= 0 || headDim % 2 != 0) throw new ArgumentException($"RoPE head dimension must be positive and even, got {headDim}", nameof(headDim));
        if (!(theta > 0)) throw new ArgumentException($"rope_theta must be positive, got {theta}", nameof(theta));
        if (!(linearFactor > 0)) throw new ArgumentException($"linear scaling factor must be positive, got {linearFactor}", nameof(linearFactor));
        var inv = new float[headDim / 2];
        for (int i = 0; i < inv.Length; i++)
        {
            float exponent = (float)(2 * i) / headDim;
            inv[i] = 1f / MathF.Pow(theta, exponent);
            if (linearFactor != 1f) inv[i] /= linearFactor;
        }
        return inv;
    }

    /// <summary>
    /// cos/sin tables [positions.Length, invFreq.Length] row-major: θ = (float)pos · inv[i] in f32,
    /// cos[p, i] = cos θ, sin[p, i] = sin θ (HF: freqs = pos ⊗ inv_freq; emb = cat(freqs, freqs)).
    /// </summary>
    public static void BuildTable(ReadOnlySpan<float> invFreq, ReadOnlySpan<long> positions, Span<float> cos, Span<float> sin)
    {
        int half = invFreq.Length;
        long need = (long)positions.Length * half;
        if (cos.Length < need || sin.Length < need) throw new ArgumentException($"RoPE tables need {need} elements for {positions.Length} positions × {half} frequencies");
        for (int p = 0; p < positions.Length; p++)
        {
            float pos = positions[p];
            for (int i = 0; i < half; i++)
            {
                float theta = pos * invFreq[i];
                cos[p * half + i] = MathF.Cos(theta);
                sin[p * half + i] = MathF.Sin(theta);
            }
        }
    }

    private static int Check(ReadOnlySpan<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, Span<float> destination)
    {
        if (x.Length % 2 != 0) throw new ArgumentException($"RoPE row length must be even, got {x.Length}", nameof(x));
        int half = x.Length / 2;
        if (cos.Length < half || sin.Length < half) throw new ArgumentException($"RoPE tables have {cos.Length}/{sin.Length} entries; {half} required", nameof(cos));
        if (destination.Length < x.Length) throw new ArgumentException($"RoPE destination has {destination.Length} elements; {x.Length} required", nameof(destination));
        return half;
    }
}
