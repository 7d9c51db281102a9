// Fused log-softmax + NLL cross-entropy row kernels (forward and backward) with SIMD paths and scalar twins.
using System.Numerics.Tensors;

namespace ExpertMix.Tensors.Kernels;

/// <summary>Per-row results of <see cref="CrossEntropyKernels.CrossEntropyRow"/>.</summary>
/// <param name="Nll">−log_softmax(x)[target], equal bit-for-bit to −((x_t − max) − log Σ exp(x − max)).</param>
/// <param name="Smooth">−Σⱼ log_softmax(x)ⱼ = V·lse − Σⱼ xⱼ (computed in f64 from f32 parts); 0 unless requested.</param>
/// <param name="Lse">max + log Σ exp(x − max), saved for the backward.</param>
public readonly record struct CrossEntropyRowResult(float Nll, float Smooth, float Lse);

/// <summary>
/// Cross-entropy of one logits row x (length V) against a class index, f32 (torch.nn.functional.cross_entropy):
/// loss = (1−ε)·nll + (ε/V)·smooth. Backward row: dxⱼ = (exp(xⱼ − lse) − ε/V − (1−ε)·[j = t]) · scale.
/// NaN/∞ logits propagate. The <c>*Scalar</c> methods are the plain-loop twins.
/// </summary>
public static class CrossEntropyKernels
{
    /// <summary>Forward of one row (see <see cref="CrossEntropyRowResult"/>); <paramref name="smooth"/> requests the smoothing term.</summary>
    /// <exception cref="ArgumentOutOfRangeException">target is outside [0, V).</exception>
    public static CrossEntropyRowResult CrossEntropyRow(ReadOnlySpan<float> x, int target, bool smooth)
    {
        if ((uint)target >= (uint)x.Length) throw new ArgumentOutOfRangeException(nameof(target), target, $"target outside [0, {x.Length})");
        float max = TensorPrimitives.Max(x);
        float logSum = MathF.Log(SoftmaxKernels.SumExp(x, max));
        float nll = -(x[target] - max - logSum);
        float lse = max + logSum;
        float sm = smooth ? (float)((double)x.Length * lse - TensorPrimitives.Sum(x)) : 0f;
        return new CrossEntropyRowResult(nll, sm, lse);
    }

    /// <summary>Scalar reference twin of <see cref="CrossEntropyRow"/>.</summary>
    public static CrossEntropyRowResult CrossEntropyRowScalar(ReadOnlySpan<float> x, int target, bool smooth)
    {
        if ((uint)target >= (uint)x.Length) throw new ArgumentOutOfRangeException(nameof(target), target, $"target outside [0, {x.Length})");
        float max = SoftmaxKernels.MaxScalar(x);
        float logSum = MathF.Log(SoftmaxKernels.SumExpScalar(x, max));
        float nll = -(x[target] - max - logSum);
        float lse = max + logSum;
        float sum = 0f;
        if (smooth)
        {
            for (int i = 0; i < x.Length; i++) sum += x[i];
        }
        float sm = smooth ? (float)((double)x.Length * lse - sum) : 0f;
        return new CrossEntropyRowResult(nll, sm, lse);
    }

    /// <summary>
    /// Backward of one row: destinationⱼ = ((exp(xⱼ − lse) − ε/V) − (1−ε)·[j = target]) · scale (the ε/V term only
    /// when ε &gt; 0). destination may alias x.
    /// </summary>
    public static void CrossEntropyBackwardRow(ReadOnlySpan<float> x, int target, float lse, float labelSmoothing, float scale, Span<float> destination)
    {
        int n = x.Length;
        SoftmaxKernels.CheckLengths(n, destination.Length);
        var d = destination[..n];
        TensorPrimitives.Subtract(x, lse, d);
        TensorPrimitives.Exp(d, d);
        if (labelSmoothing > 0f) TensorPrimitives.Subtract(d, labelSmoothing / n, d);
        d[target] -= 1f - labelSmoothing;
        TensorPrimitives.Multiply(d, scale, d);
    }

    /// <summary>Scalar reference twin of <see cref="CrossEntropyBackwardRow"/>.</summary>
    public static void CrossEntropyBackwardRowScalar(ReadOnlySpan<float> x, int target, float lse, float labelSmoothing, float scale, Span<float> destination)
    {
        int n = x.Length;
        SoftmaxKernels.CheckLengths(n, destination.Length);
        for (int i = 0; i < n; i++)
        {
            float p = MathF.Exp(x[i] - lse);
            if (labelSmoothing > 0f) p -= labelSmoothing / n;
            destination[i] = p;
        }
        destination[target] -= 1f - labelSmoothing;
        for (int i = 0; i < n; i++) destination[i] *= scale;
    }
}
