// Small f64/f32 linear-algebra kernels for merging and analysis: conversions, Grams and factorised inner products.
using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using ExpertMix.Tensors;
using Tensor = ExpertMix.Tensors.Tensor;

namespace ExpertMix.Adapters.Merging;

/// <summary>
/// One factorised term c·P·Q of a module delta, held in f64: P [out, r] stored transposed as <see cref="Pt"/> [r, out]
/// (so its columns are contiguous) and Q [r, in] as <see cref="Q"/>.
/// </summary>
/// <param name="Coef">c.</param>
/// <param name="Pt">Pᵀ [r, out], row-major.</param>
/// <param name="Q">Q [r, in], row-major.</param>
/// <param name="Rank">r.</param>
internal sealed record FactorTerm(double Coef, double[] Pt, double[] Q, int Rank)
{
    /// <summary>The term c·B·A of a LoRA module (B [out, r], A [r, in] in f32).</summary>
    public static FactorTerm FromLora(double coef, float[] b, float[] a, int rank, int outFeatures, int inFeatures)
        => new(coef, DenseKernels.TransposeToDouble(b, outFeatures, rank), DenseKernels.ToDouble(a), rank);
}

/// <summary>f64 kernels on row-major arrays (vectorised with <see cref="TensorPrimitives"/>).</summary>
internal static class DenseKernels
{
    /// <summary>x as f64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double[] ToDouble(ReadOnlySpan<float> x)
    {
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = x[i];
        return y;
    }

    /// <summary>xᵀ [cols, rows] in f64 of x [rows, cols] f32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double[] TransposeToDouble(ReadOnlySpan<float> x, int rows, int cols)
    {
        var y = new double[x.Length];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++) y[(j * rows) + i] = x[(i * cols) + j];
        }
        return y;
    }

    /// <summary>xᵀ [cols, rows] of x [rows, cols] f64.</summary>
    public static double[] Transpose(ReadOnlySpan<double> x, int rows, int cols)
    {
        var y = new double[x.Length];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++) y[(j * rows) + i] = x[(i * cols) + j];
        }
        return y;
    }

    /// <summary>G [rx, ry] with G[a, b] = x_a · y_b over rows of length <paramref name="len"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double[] CrossGram(double[] x, int rx, double[] y, int ry, int len)
    {
        var g = new double[rx * ry];
        for (int a = 0; a < rx; a++)
        {
            var xa = x.AsSpan(a * len, len);
            for (int b = 0; b < ry; b++) g[(a * ry) + b] = TensorPrimitives.Dot(xa, y.AsSpan(b * len, len));
        }
        return g;
    }

    /// <summary>Symmetric G [r, r] = X Xᵀ of x [r, len] (f64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double[] Gram(double[] x, int r, int len)
    {
        var g = new double[r * r];
        for (int a = 0; a < r; a++)
        {
            var xa = x.AsSpan(a * len, len);
            for (int b = 0; b <= a; b++)
            {
                double v = TensorPrimitives.Dot(xa, x.AsSpan(b * len, len));
                g[(a * r) + b] = v;
                g[(b * r) + a] = v;
            }
        }
        return g;
    }

    /// <summary>⟨P₁Q₁, P₂Q₂⟩_F = tr((P₁ᵀP₂)(Q₂Q₁ᵀ)) = Σ_ab (P₁ᵀP₂)_ab (Q₁Q₂ᵀ)_ab, without the coefficients.</summary>
    public static double Inner(FactorTerm t, FactorTerm u, int outFeatures, int inFeatures)
    {
        var gp = CrossGram(t.Pt, t.Rank, u.Pt, u.Rank, outFeatures);
        var gq = CrossGram(t.Q, t.Rank, u.Q, u.Rank, inFeatures);
        return TensorPrimitives.Dot<double>(gp, gq);
    }

    /// <summary>‖Σ_t c_t P_t Q_t‖_F² by Gram traces (O((out+in)·R²), no dense matrix), clamped at 0.</summary>
    public static double FactoredNormSquared(IReadOnlyList<FactorTerm> terms, int outFeatures, int inFeatures)
    {
        double sum = 0;
        for (int t = 0; t < terms.Count; t++)
        {
            if (terms[t].Coef == 0 || terms[t].Rank == 0) continue;
            sum += terms[t].Coef * terms[t].Coef * Inner(terms[t], terms[t], outFeatures, inFeatures);
            for (int u = 0; u < t; u++)
            {
                if (terms[u].Coef == 0 || terms[u].Rank == 0) continue;
                sum += 2 * terms[t].Coef * terms[u].Coef * Inner(terms[t], terms[u], outFeatures, inFeatures);
            }
        }
        return Math.Max(sum, 0);
    }

    /// <summary>
    /// Σ_t c_t P_t Q_t row by row in f64 ([out, in]); calls <paramref name="row"/> with each finished row (reused buffer).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TargetRows(IReadOnlyList<FactorTerm> terms, int outFeatures, int inFeatures, Action<int, double[]> row)
    {
        var acc = new double[inFeatures];
        for (int o = 0; o < outFeatures; o++)
        {
            Array.Clear(acc);
            foreach (var t in terms)
            {
                for (int j = 0; j < t.Rank; j++)
                {
                    double p = t.Coef * t.Pt[(j * outFeatures) + o];
                    if (p == 0) continue;
                    TensorPrimitives.MultiplyAdd<double>(t.Q.AsSpan(j * inFeatures, inFeatures), p, acc, acc);
                }
            }
            row(o, acc);
        }
    }

    /// <summary>C [m, n] = A [m, k] · B [k, n] in f32 through the engine's GEMM.</summary>
    public static float[] MatMul(float[] a, int m, int k, float[] b, int n)
    {
        using var ta = Tensor.FromArray(a, new Shape(m, k));   // [m, k]
        using var tb = Tensor.FromArray(b, new Shape(k, n));   // [k, n]
        using var c = Ops.MatMul(ta, tb);                      // [m, n]
        return c.ToArray();
    }

    /// <summary>ΔW = scale·B·A [out, in] in f32 (B [out, r], A [r, in]), row by row with vectorised axpy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float[] Delta(float[] b, float[] a, int outFeatures, int rank, int inFeatures, float scale)
    {
        var y = new float[outFeatures * inFeatures];
        for (int o = 0; o < outFeatures; o++)
        {
            var dst = y.AsSpan(o * inFeatures, inFeatures);
            for (int j = 0; j < rank; j++)
            {
                float p = scale * b[(o * rank) + j];
                if (p != 0) TensorPrimitives.MultiplyAdd(a.AsSpan(j * inFeatures, inFeatures), p, dst, dst);
            }
        }
        return y;
    }

    /// <summary>Rows o0..o0+rows of ΔW = scale·B·A written to <paramref name="dst"/> [rows, in].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DeltaRows(float[] b, float[] a, int o0, int rows, int rank, int inFeatures, float scale, float[] dst)
    {
        for (int o = 0; o < rows; o++)
        {
            var row = dst.AsSpan(o * inFeatures, inFeatures);
            row.Clear();
            for (int j = 0; j < rank; j++)
            {
                float p = scale * b[((o0 + o) * rank) + j];
                if (p != 0) TensorPrimitives.MultiplyAdd(a.AsSpan(j * inFeatures, inFeatures), p, row, row);
            }
        }
    }

    /// <summary>Σ x² in f64 of an f32 span.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SumSquares(ReadOnlySpan<float> x)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += (double)x[i] * x[i];
        return s;
    }
}
