// The fused AdamW element update: scalar reference twin + Vector512/256/128 paths (bit-identical to each other).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ExpertMix.Tensors.Optim;

/// <summary>
/// The AdamW update of torch 1.13's <c>_single_tensor_adamw</c> (CPU, AVX2 kernels), element by element:
/// <code>
/// p ← p·decay
/// m ← fma(g, 1−β1, m·β1)              // exp_avg.mul_(β1).add_(g, alpha=1−β1): torch's vectorised add is an FMA
/// v ← fma((1−β2)·g, g, v·β2)          // exp_avg_sq.mul_(β2).addcmul_(g, g, value=1−β2): GCC contracts to an FMA
/// v̂ ← amsgrad ? (vmax ← max(vmax, v)) : v
/// p ← p + ((−step)·m) / (√v̂ / √bc2 + ε)  // param.addcdiv_(m, denom, value=−step)
/// </code>
/// This order reproduces torch 1.13 (Debian build, AVX2 capability) bit for bit (checked against
/// <c>adamw.safetensors</c>). NaN/Inf in g propagate into m, v and p as in torch. Every SIMD path is bit-identical to
/// the scalar twin (only IEEE-exact operations: mul, add, div, sqrt, fma, max).
/// </summary>
public static class AdamWKernel
{
    /// <summary>Scalar reference twin of <see cref="Update"/>.</summary>
    /// <exception cref="ArgumentException">Span lengths differ (maxExpAvgSq may be empty when not amsgrad).</exception>
    public static void UpdateScalar(ReadOnlySpan<float> grad, Span<float> param, Span<float> expAvg, Span<float> expAvgSq, Span<float> maxExpAvgSq, in AdamWScalars s)
    {
        CheckLengths(grad, param, expAvg, expAvgSq, maxExpAvgSq);
        bool ams = !maxExpAvgSq.IsEmpty;
        for (int i = 0; i < param.Length; i++)
        {
            float g = grad[i];
            float p = param[i] * s.Decay;
            float m = MathF.FusedMultiplyAdd(g, s.OneMinusBeta1, expAvg[i] * s.Beta1);
            float v = MathF.FusedMultiplyAdd(s.OneMinusBeta2 * g, g, expAvgSq[i] * s.Beta2);
            expAvg[i] = m;
            expAvgSq[i] = v;
            if (ams)
            {
                v = MaxNaN(maxExpAvgSq[i], v);
                maxExpAvgSq[i] = v;
            }
            float denom = MathF.Sqrt(v) / s.BiasCorrection2Sqrt + s.Eps;
            param[i] = p + s.NegStepSize * m / denom;
        }
    }

    /// <summary>
    /// In-place AdamW update of one contiguous parameter (see the class remarks for the formula). Uses the widest
    /// accelerated vector width, then the scalar twin for the tail.
    /// </summary>
    /// <exception cref="ArgumentException">Span lengths differ (maxExpAvgSq may be empty when not amsgrad).</exception>
    public static void Update(ReadOnlySpan<float> grad, Span<float> param, Span<float> expAvg, Span<float> expAvgSq, Span<float> maxExpAvgSq, in AdamWScalars s)
    {
        CheckLengths(grad, param, expAvg, expAvgSq, maxExpAvgSq);
        int n = param.Length, i = 0;
        bool ams = !maxExpAvgSq.IsEmpty;
        ref float g0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(grad);
        ref float p0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(param);
        ref float m0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(expAvg);
        ref float v0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(expAvgSq);
        ref float x0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(maxExpAvgSq);
        if (Vector512.IsHardwareAccelerated)
        {
            var decay = Vector512.Create(s.Decay); var b1 = Vector512.Create(s.Beta1); var omb1 = Vector512.Create(s.OneMinusBeta1);
            var b2 = Vector512.Create(s.Beta2); var omb2 = Vector512.Create(s.OneMinusBeta2); var bc2 = Vector512.Create(s.BiasCorrection2Sqrt);
            var eps = Vector512.Create(s.Eps); var step = Vector512.Create(s.NegStepSize);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                nuint k = (nuint)i;
                var g = Vector512.LoadUnsafe(ref g0, k);
                var p = Vector512.LoadUnsafe(ref p0, k) * decay;
                var m = Vector512.FusedMultiplyAdd(g, omb1, Vector512.LoadUnsafe(ref m0, k) * b1);
                var v = Vector512.FusedMultiplyAdd(omb2 * g, g, Vector512.LoadUnsafe(ref v0, k) * b2);
                m.StoreUnsafe(ref m0, k);
                v.StoreUnsafe(ref v0, k);
                if (ams)
                {
                    v = MaxNaN(Vector512.LoadUnsafe(ref x0, k), v);
                    v.StoreUnsafe(ref x0, k);
                }
                var denom = Vector512.Sqrt(v) / bc2 + eps;
                (p + step * m / denom).StoreUnsafe(ref p0, k);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var decay = Vector256.Create(s.Decay); var b1 = Vector256.Create(s.Beta1); var omb1 = Vector256.Create(s.OneMinusBeta1);
            var b2 = Vector256.Create(s.Beta2); var omb2 = Vector256.Create(s.OneMinusBeta2); var bc2 = Vector256.Create(s.BiasCorrection2Sqrt);
            var eps = Vector256.Create(s.Eps); var step = Vector256.Create(s.NegStepSize);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                nuint k = (nuint)i;
                var g = Vector256.LoadUnsafe(ref g0, k);
                var p = Vector256.LoadUnsafe(ref p0, k) * decay;
                var m = Vector256.FusedMultiplyAdd(g, omb1, Vector256.LoadUnsafe(ref m0, k) * b1);
                var v = Vector256.FusedMultiplyAdd(omb2 * g, g, Vector256.LoadUnsafe(ref v0, k) * b2);
                m.StoreUnsafe(ref m0, k);
                v.StoreUnsafe(ref v0, k);
                if (ams)
                {
                    v = MaxNaN(Vector256.LoadUnsafe(ref x0, k), v);
                    v.StoreUnsafe(ref x0, k);
                }
                var denom = Vector256.Sqrt(v) / bc2 + eps;
                (p + step * m / denom).StoreUnsafe(ref p0, k);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var decay = Vector128.Create(s.Decay); var b1 = Vector128.Create(s.Beta1); var omb1 = Vector128.Create(s.OneMinusBeta1);
            var b2 = Vector128.Create(s.Beta2); var omb2 = Vector128.Create(s.OneMinusBeta2); var bc2 = Vector128.Create(s.BiasCorrection2Sqrt);
            var eps = Vector128.Create(s.Eps); var step = Vector128.Create(s.NegStepSize);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                nuint k = (nuint)i;
                var g = Vector128.LoadUnsafe(ref g0, k);
                var p = Vector128.LoadUnsafe(ref p0, k) * decay;
                var m = Vector128.FusedMultiplyAdd(g, omb1, Vector128.LoadUnsafe(ref m0, k) * b1);
                var v = Vector128.FusedMultiplyAdd(omb2 * g, g, Vector128.LoadUnsafe(ref v0, k) * b2);
                m.StoreUnsafe(ref m0, k);
                v.StoreUnsafe(ref v0, k);
                if (ams)
                {
                    v = MaxNaN(Vector128.LoadUnsafe(ref x0, k), v);
                    v.StoreUnsafe(ref x0, k);
                }
                var denom = Vector128.Sqrt(v) / bc2 + eps;
                (p + step * m / denom).StoreUnsafe(ref p0, k);
            }
        }
        if (i < n)
        {
            UpdateScalar(grad[i..], param[i..], expAvg[i..], expAvgSq[i..], ams ? maxExpAvgSq[i..] : default, s);
        }
    }

    /// <summary>torch.maximum: NaN if either is NaN, else the larger.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MaxNaN(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : MathF.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> MaxNaN(Vector512<float> a, Vector512<float> b)
    {
        var nan = ~(Vector512.Equals(a, a) & Vector512.Equals(b, b));
        return Vector512.ConditionalSelect(nan, Vector512.Create(float.NaN), Vector512.Max(a, b));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MaxNaN(Vector256<float> a, Vector256<float> b)
    {
        var nan = ~(Vector256.Equals(a, a) & Vector256.Equals(b, b));
        return Vector256.ConditionalSelect(nan, Vector256.Create(float.NaN), Vector256.Max(a, b));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> MaxNaN(Vector128<float> a, Vector128<float> b)
    {
        var nan = ~(Vector128.Equals(a, a) & Vector128.Equals(b, b));
        return Vector128.ConditionalSelect(nan, Vector128.Create(float.NaN), Vector128.Max(a, b));
    }

    private static void CheckLengths(ReadOnlySpan<float> grad, Span<float> param, Span<float> expAvg, Span<float> expAvgSq, Span<float> maxExpAvgSq)
    {
        int n = param.Length;
        if (grad.Length != n || expAvg.Length != n || expAvgSq.Length != n || !maxExpAvgSq.IsEmpty && maxExpAvgSq.Length != n)
        {
            throw new ArgumentException($"AdamW spans differ in length: param {n}, grad {grad.Length}, exp_avg {expAvg.Length}, exp_avg_sq {expAvgSq.Length}, max_exp_avg_sq {maxExpAvgSq.Length}");
        }
    }
}
