// Fused exp(x − shift) + sum loops (one pass instead of three) used by softmax, log-softmax and cross-entropy.
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ExpertMix.Tensors.Kernels;

public static partial class SoftmaxKernels
{
    /// <summary>
    /// destinationᵢ = exp(xᵢ − <paramref name="shift"/>) and returns Σ destinationᵢ (f32; lane-wise vector sums, then
    /// the tail). Vector512/256/128 Exp (the same approximation as TensorPrimitives.Exp); scalar tail uses MathF.Exp.
    /// destination may alias x.
    /// </summary>
    public static float ExpShiftSum(ReadOnlySpan<float> x, float shift, Span<float> destination)
    {
        int n = x.Length, i = 0;
        CheckLengths(n, destination.Length);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float dr = ref MemoryMarshal.GetReference(destination);
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var s = Vector512.Create(shift);
            var acc = Vector512<float>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                var e = Vector512.Exp(Vector512.LoadUnsafe(ref xr, (nuint)i) - s);
                e.StoreUnsafe(ref dr, (nuint)i);
                acc += e;
            }
            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var s = Vector256.Create(shift);
            var acc = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                var e = Vector256.Exp(Vector256.LoadUnsafe(ref xr, (nuint)i) - s);
                e.StoreUnsafe(ref dr, (nuint)i);
                acc += e;
            }
            sum = Vector256.Sum(acc);
        }
        else if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            var s = Vector128.Create(shift);
            var acc = Vector128<float>.Zero;
            for (; i + 4 <= n; i += 4)
            {
                var e = Vector128.Exp(Vector128.LoadUnsafe(ref xr, (nuint)i) - s);
                e.StoreUnsafe(ref dr, (nuint)i);
                acc += e;
            }
            sum = Vector128.Sum(acc);
        }
        for (; i < n; i++)
        {
            float e = MathF.Exp(x[i] - shift);
            destination[i] = e;
            sum += e;
        }
        return sum;
    }

    /// <summary>Σ exp(xᵢ − <paramref name="shift"/>) without storing the terms (same lanes and order as <see cref="ExpShiftSum"/>).</summary>
    public static float SumExp(ReadOnlySpan<float> x, float shift)
    {
        int n = x.Length, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x);
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var s = Vector512.Create(shift);
            var acc = Vector512<float>.Zero;
            for (; i + 16 <= n; i += 16) acc += Vector512.Exp(Vector512.LoadUnsafe(ref xr, (nuint)i) - s);
            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var s = Vector256.Create(shift);
            var acc = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8) acc += Vector256.Exp(Vector256.LoadUnsafe(ref xr, (nuint)i) - s);
            sum = Vector256.Sum(acc);
        }
        else if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            var s = Vector128.Create(shift);
            var acc = Vector128<float>.Zero;
            for (; i + 4 <= n; i += 4) acc += Vector128.Exp(Vector128.LoadUnsafe(ref xr, (nuint)i) - s);
            sum = Vector128.Sum(acc);
        }
        for (; i < n; i++) sum += MathF.Exp(x[i] - shift);
        return sum;
    }
}
