// Differentiable LayerNorm and RMSNorm over the last dimension, with fused backward kernels.
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>
    /// LayerNorm over the last dimension (torch.nn.functional.layer_norm with normalized_shape = [n]), f32:
    /// μ = Σx/n, σ² = Σ(x−μ)²/n (biased), y = ((x−μ)/√(σ²+ε))·w + b. <paramref name="weight"/> and
    /// <paramref name="bias"/> are [n] or null (w = 1, b = 0). Fused backward gives dx, dw = Σ dy·x̂, db = Σ dy
    /// (sums over all leading dimensions, rows in order, so results do not depend on the thread count).
    /// NaN/∞ in a row propagate to that row's outputs.
    /// </summary>
    /// <exception cref="ArgumentException">Rank 0 input, non-float tensors, or weight/bias not of shape [n].</exception>
    public static Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps = 1e-5f) => NormCore(x, weight, bias, eps, rms: false);

    /// <summary>
    /// RMSNorm over the last dimension as in HF Llama (LlamaRMSNorm), f32: y = w · (x · 1/√(mean(x²) + ε)).
    /// <paramref name="weight"/> is [n] or null (w = 1). Fused backward gives dx and dw = Σ dy·x̂ (x̂ = x·r).
    /// </summary>
    /// <exception cref="ArgumentException">Rank 0 input, non-float tensors, or weight not of shape [n].</exception>
    public static Tensor RmsNorm(Tensor x, Tensor? weight, float eps = 1e-6f) => NormCore(x, weight, null, eps, rms: true);

    private static unsafe Tensor NormCore(Tensor x, Tensor? weight, Tensor? bias, float eps, bool rms)
    {
        ArgumentNullException.ThrowIfNull(x);
        string name = rms ? "RmsNorm" : "LayerNorm";
        if (x.Rank == 0) throw new ArgumentException($"{name}: input {x.Describe()} must have at least one dimension", nameof(x));
        NnOpsSupport.RequireFloat(x, name, nameof(x));
        int n = x.Size(-1), rows = NnOpsSupport.Rows(x, n);
        foreach (var (p, pn) in new[] { (weight, nameof(weight)), (bias, nameof(bias)) })
        {
            if (p is null) continue;
            NnOpsSupport.RequireFloat(p, name, pn);
            if (p.Rank != 1 || p.Size(0) != n) throw new ArgumentException($"{name}: {pn} {p.Describe()} must have shape [{n}] to match input {x.Shape}", pn);
        }

        var y = Tensor.Empty(x.Shape);
        var mean = rms ? null : Tensor.Empty(Shape.Wrap([rows]));
        var rstd = Tensor.Empty(Shape.Wrap([rows]));
        var xc = NnOpsSupport.DenseF32(x);
        using var wc = weight is null ? null : NnOpsSupport.DenseF32(weight);
        using var bc = bias is null ? null : NnOpsSupport.DenseF32(bias);
        float* xp = xc.DataPointer, yp = y.DataPointer, rp = rstd.DataPointer, mp = mean is null ? null : mean.DataPointer;
        float* wp = wc is null ? null : wc.DataPointer, bp = bc is null ? null : bc.DataPointer;
        if (n > 0)
        {
            Par.For(rows, Math.Max(1, 8192 / n), (r0, r1) =>
            {
                var w = wp == null ? default : new ReadOnlySpan<float>(wp, n);
                var b = bp == null ? default : new ReadOnlySpan<float>(bp, n);
                for (int r = r0; r < r1; r++)
                {
                    var xr = new ReadOnlySpan<float>(xp + (long)r * n, n);
                    var yr = new Span<float>(yp + (long)r * n, n);
                    if (rms) rp[r] = NormKernels.RmsNorm(xr, w, eps, yr);
                    else (mp[r], rp[r]) = NormKernels.LayerNorm(xr, w, b, eps, yr);
                }
            });
        }

        if (!Autograd.ShouldRecord(x, weight, bias))
        {
            xc.Dispose();
            mean?.Dispose();
            rstd.Dispose();
            return y;
        }
        var inputs = new List<Tensor> { x };
        if (weight is not null) inputs.Add(weight);
        if (bias is not null) inputs.Add(bias);
        var wSaved = weight is null ? null : NnOpsSupport.DenseF32(weight);
        bool needW = weight is not null && weight.RequiresGrad, needB = bias is not null && bias.RequiresGrad;
        return y.WithGradFn(new GradNode(name, [.. inputs], g =>
        {
            using var gc = NnOpsSupport.DenseF32(g);
            float* gp = gc.DataPointer, wsp = wSaved is null ? null : wSaved.DataPointer;
            float* mp2 = mean is null ? null : mean.DataPointer, rp2 = rstd.DataPointer, xp2 = xc.DataPointer;
            Tensor? dx = x.RequiresGrad ? Tensor.Empty(x.Shape) : null;
            Tensor? dw = needW ? Tensor.Zeros(Shape.Wrap([n])) : null;
            Tensor? db = needB ? Tensor.Zeros(Shape.Wrap([n])) : null;
            if (n > 0 && dx is not null)
            {
                float* dxp = dx.DataPointer;
                Par.For(rows, Math.Max(1, 8192 / n), (r0, r1) =>
                {
                    var scratch = new float[n];
                    var w = wsp == null ? default : new ReadOnlySpan<float>(wsp, n);
                    for (int r = r0; r < r1; r++)
                    {
                        var xr = new ReadOnlySpan<float>(xp2 + (long)r * n, n);
                        var gr = new ReadOnlySpan<float>(gp + (long)r * n, n);
                        var dr = new Span<float>(dxp + (long)r * n, n);
                        if (rms) NormKernels.RmsNormBackward(xr, gr, w, rp2[r], scratch, dr);
                        else NormKernels.LayerNormBackward(xr, gr, w, mp2[r], rp2[r], scratch, dr);
                    }
                });
            }
            if (n > 0 && (dw is not null || db is not null))
            {
                float* dwp = dw is null ? null : dw.DataPointer, dbp = db is null ? null : db.DataPointer;
                Par.For(n, 64, (c0, c1) => NormKernels.ParamGradColumns(xp2, gp, mp2, rp2, rows, n, c0, c1, dwp, dbp, new float[c1 - c0]));
            }
            var result = new List<Tensor?> { dx };
            if (weight is not null) result.Add(dw);
            if (bias is not null) result.Add(db);
            return [.. result];
        }));
    }
}
