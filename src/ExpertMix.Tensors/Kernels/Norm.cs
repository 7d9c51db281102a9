// LayerNorm and RMSNorm row kernels (forward and fused backward): TensorPrimitives SIMD paths and scalar twins.
using System.Numerics.Tensors;

namespace ExpertMix.Tensors.Kernels;

/// <summary>
/// Normalisation kernels over one row of length n, f32 math, PyTorch/HF semantics:
/// LayerNorm: μ = Σx/n, σ² = Σ(x−μ)²/n (biased), r = 1/√(σ²+ε), y = ((x−μ)·r)·w + b.
/// RMSNorm (HF Llama): r = 1/√(Σx²/n + ε), y = w·(x·r).
/// Weight and bias spans may be empty (meaning w = 1, b = 0). NaN/∞ in a row propagate to that row.
/// </summary>
public static class NormKernels
{
    /// <summary>LayerNorm forward of one row; returns (μ, r) for the backward. destination may alias x.</summary>
    public static (float Mean, float Rstd) LayerNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float eps, Span<float> destination)
    {
        int n = x.Length;
        SoftmaxKernels.CheckLengths(n, destination.Length);
        if (n == 0) return (float.NaN, float.NaN);
        var d = destination[..n];
        float mean = TensorPrimitives.Sum(x) / n;
        TensorPrimitives.Subtract(x, mean, d);
        float rstd = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(d) / n + eps);
        TensorPrimitives.Multiply(d, rstd, d);
        if (!weight.IsEmpty) TensorPrimitives.Multiply(d, weight[..n], d);
        if (!bias.IsEmpty) TensorPrimitives.Add(d, bias[..n], d);
        return (mean, rstd);
    }

    /// <summary>Scalar reference twin of <see cref="LayerNorm"/>.</summary>
    public static (float Mean, float Rstd) LayerNormScalar(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float eps, Span<float> destination)
    {
        int n = x.Length;
        SoftmaxKernels.CheckLengths(n, destination.Length);
        if (n == 0) return (float.NaN, float.NaN);
        float sum = 0f;
        for (int i = 0; i < n; i++) sum += x[i];
        float mean = sum / n;
        float sq = 0f;
        for (int i = 0; i < n; i++)
        {
            float c = x[i] - mean;
            sq += c * c;
        }
        float rstd = 1f / MathF.Sqrt(sq / n + eps);
        for (int i = 0; i < n; i++)
        {
            float v = (x[i] - mean) * rstd;
            if (!weight.IsEmpty) v *= weight[i];
            if (!bias.IsEmpty) v += bias[i];
            destination[i] = v;
        }
        return (mean, rstd);
    }

    /// <summary>
    /// LayerNorm input gradient of one row: x̂ = (x−μ)·r, g = dy·w, dx = ((g − x̂·mean(g⊙x̂)) − mean(g))·r.
    /// <paramref name="scratch"/> needs n elements. destination may alias dy.
    /// </summary>
    public static void LayerNormBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> weight, float mean, float rstd, Span<float> scratch, Span<float> destination)
    {
        int n = x.Length;
        if (n == 0) return;
        var g = scratch[..n];
        var d = destination[..n];
        if (weight.IsEmpty) dy[..n].CopyTo(g);
        else TensorPrimitives.Multiply(dy[..n], weight[..n], g);
        TensorPrimitives.Subtract(x, mean, d);
        TensorPrimitives.Multiply(d, rstd, d);
        float meanG = TensorPrimitives.Sum(g) / n;
        float meanGx = TensorPrimitives.Dot(g, d) / n;
        TensorPrimitives.MultiplyAdd(d, -meanGx, g, d);
        TensorPrimitives.Subtract(d, meanG, d);
        TensorPrimitives.Multiply(d, rstd, d);
    }

    /// <summary>Scalar reference twin of <see cref="LayerNormBackward"/>.</summary>
    public static void LayerNormBackwardScalar(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> weight, float mean, float rstd, Span<float> scratch, Span<float> destination)
    {
        int n = x.Length;
        if (n == 0) return;
        float sumG = 0f, sumGx = 0f;
        for (int i = 0; i < n; i++)
        {
            float g = weight.IsEmpty ? dy[i] : dy[i] * weight[i];
            float xh = (x[i] - mean) * rstd;
            scratch[i] = g;
            sumG += g;
            sumGx += g * xh;
        }
        float meanG = sumG / n, meanGx = sumGx / n;
        for (int i = 0; i < n; i++)
        {
            float xh = (x[i] - mean) * rstd;
            destination[i] = (xh * -meanGx + scratch[i] - meanG) * rstd;
        }
    }

    /// <summary>RMSNorm forward of one row (HF Llama, f32): returns r = 1/√(mean(x²)+ε). destination may alias x.</summary>
    public static float RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> destination)
    {
        int n = x.Length;
        SoftmaxKernels.CheckLengths(n, destination.Length);
        if (n == 0) return float.NaN;
        var d = destination[..n];
        float rstd = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(x) / n + eps);
        TensorPrimitives.Multiply(x, rstd, d);
        if (!weight.IsEmpty) TensorPrimitives.Multiply(weight[..n], d, d);
        return rstd;
    }

    /// <summary>Scalar reference twin of <see cref="RmsNorm"/>.</summary>
    public static float RmsNormScalar(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> destination)
    {
        int n = x.Length;
        SoftmaxKernels.CheckLengths(n, destination.Length);
        if (n == 0) return float.NaN;
        float sq = 0f;
        for (int i = 0; i < n; i++) sq += x[i] * x[i];
        float rstd = 1f / MathF.Sqrt(sq / n + eps);
        for (int i = 0; i < n; i++) destination[i] = weight.IsEmpty ? x[i] * rstd : weight[i] * (x[i] * rstd);
        return rstd;
    }

    /// <summary>
    /// RMSNorm input gradient of one row: x̂ = x·r, g = dy·w, dx = (g − x̂·mean(g⊙x̂))·r.
    /// <paramref name="scratch"/> needs n elements. destination may alias dy.
    /// </summary>
    public static void RmsNormBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> weight, float rstd, Span<float> scratch, Span<float> destination)
    {
        int n = x.Length;
        if (n == 0) return;
        var g = scratch[..n];
        var d = destination[..n];
        if (weight.IsEmpty) dy[..n].CopyTo(g);
        else TensorPrimitives.Multiply(dy[..n], weight[..n], g);
        TensorPrimitives.Multiply(x, rstd, d);
        float meanGx = TensorPrimitives.Dot(g, d) / n;
        TensorPrimitives.MultiplyAdd(d, -meanGx, g, d);
        TensorPrimitives.Multiply(d, rstd, d);
    }

    /// <summary>Scalar reference twin of <see cref="RmsNormBackward"/>.</summary>
    public static void RmsNormBackwardScalar(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> weight, float rstd, Span<float> scratch, Span<float> destination)
    {
        int n = x.Length;
        if (n == 0) return;
        float sumGx = 0f;
        for (int i = 0; i < n; i++)
        {
            float g = weight.IsEmpty ? dy[i] : dy[i] * weight[i];
            scratch[i] = g;
            sumGx += g * (x[i] * rstd);
        }
        float meanGx = sumGx / n;
        for (int i = 0; i < n; i++) destination[i] = ((x[i] * rstd) * -meanGx + scratch[i]) * rstd;
    }

    /// <summary>
    /// Weight/bias gradients over columns [c0, c1) of a dense [rows, n] problem, rows summed in order 0..rows−1 (f32):
    /// dw[c] += Σᵣ dy[r,c]·x̂[r,c] with x̂ = (x − μᵣ)·rᵣ (μ null for RMSNorm), db[c] += Σᵣ dy[r,c]. dw/db may be null.
    /// </summary>
    internal static unsafe void ParamGradColumns(float* x, float* dy, float* mean, float* rstd, int rows, int n, int c0, int c1, float* dw, float* db, Span<float> scratch)
    {
        int w = c1 - c0;
        var t = scratch[..w];
        var dwS = dw == null ? default : new Span<float>(dw + c0, w);
        var dbS = db == null ? default : new Span<float>(db + c0, w);
        for (int r = 0; r < rows; r++)
        {
            var xr = new ReadOnlySpan<float>(x + (long)r * n + c0, w);
            var gr = new ReadOnlySpan<float>(dy + (long)r * n + c0, w);
            if (dw != null)
            {
                if (mean != null) TensorPrimitives.Subtract(xr, mean[r], t);
                else xr.CopyTo(t);
                TensorPrimitives.Multiply(t, rstd[r], t);
                TensorPrimitives.MultiplyAdd(t, gr, dwS, dwS);
            }
            if (db != null) TensorPrimitives.Add(dbS, gr, dbS);
        }
    }
}
