// Global-norm gradient clipping like torch.nn.utils.clip_grad_norm_ (norm_type 2), with non-finite norms reported.
namespace ExpertMix.Tensors.Optim;

/// <summary>Gradient clipping.</summary>
public static class GradClipping
{
    /// <summary>
    /// <c>torch.nn.utils.clip_grad_norm_(params, maxNorm)</c> with the 2-norm. Parameters without a gradient are
    /// ignored. total = ‖(‖g₁‖, …, ‖gₙ‖)‖₂ where each ‖gᵢ‖ is accumulated in double and rounded to f32 (torch
    /// reduces in f32 with its own summation order, so the norm can differ from torch in the last bits), and the
    /// total is rounded to f32. Then, as torch: coef = (1 / (total + 1e-6)) · maxNorm in f32, and every gradient is
    /// multiplied by coef only when coef &lt; 1 (torch multiplies by min(coef, 1), which is the same).
    /// </summary>
    /// <returns>The total norm before clipping (0 when no parameter has a gradient).</returns>
    /// <remarks>
    /// NaN/Inf: a non-finite total norm is reported, never applied: gradients are left untouched and the NaN or
    /// +Inf norm is returned (check <see cref="float.IsFinite"/> and skip the step); with
    /// <paramref name="errorIfNonFinite"/> an <see cref="InvalidOperationException"/> is thrown instead.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is negative or NaN.</exception>
    public static float ClipGlobalNorm(IEnumerable<Tensor> parameters, double maxNorm, bool errorIfNonFinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "max norm must be ≥ 0");
        var grads = new List<Tensor>();
        foreach (var p in parameters)
        {
            if (p?.Grad is { IsDisposed: false } g) grads.Add(g);
        }
        if (grads.Count == 0) return 0f;
        double sumSq = 0;
        foreach (var g in grads)
        {
            float n = (float)Math.Sqrt(SumOfSquares(g));
            sumSq += (double)n * n;
        }
        float total = (float)Math.Sqrt(sumSq);
        if (!float.IsFinite(total))
        {
            if (errorIfNonFinite) throw new InvalidOperationException($"the total gradient norm is {total}; it cannot be clipped");
            return total;
        }
        float coef = 1f / (total + 1e-6f) * (float)maxNorm;
        if (coef < 1f)
        {
            foreach (var g in grads) Scale(g, coef);
        }
        return total;
    }

    private static double SumOfSquares(Tensor g)
    {
        using var c = Ops.F32Contiguous(g);
        return g.Backend.SumOfSquares(c);
    }

    /// <summary>Σ x² accumulated in double, sequentially (deterministic).</summary>
    internal static double SumOfSquares(ReadOnlySpan<float> x)
    {
        double s = 0;
        foreach (float v in x) s += (double)v * v;
        return s;
    }

    private static void Scale(Tensor g, float coef)
    {
        g.RequireDType(DType.F32);
        g.RequireContiguous();
        g.ScaleInPlace(coef);
    }
}
