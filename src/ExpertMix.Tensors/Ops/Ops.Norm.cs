// Differentiable LayerNorm and RMSNorm over the last dimension, with fused backward kernels.

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

    private static Tensor NormCore(Tensor x, Tensor? weight, Tensor? bias, float eps, bool rms)
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

        var backend = BackendOf(name, x, weight, bias);
        var y = EmptyOn(backend, x.Shape);
        var mean = rms ? null : EmptyOn(backend, Shape.Wrap([rows]));
        var rstd = EmptyOn(backend, Shape.Wrap([rows]));
        var xc = NnOpsSupport.DenseF32(x);
        using var wc = weight is null ? null : NnOpsSupport.DenseF32(weight);
        using var bc = bias is null ? null : NnOpsSupport.DenseF32(bias);
        if (rms) backend.RmsNorm(xc, wc, eps, y, rstd);
        else backend.LayerNorm(xc, wc, bc, eps, y, mean!, rstd);

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
            Tensor? dx = x.RequiresGrad ? EmptyOn(backend, x.Shape) : null;
            Tensor? dw = needW ? ZerosOn(backend, Shape.Wrap([n])) : null;
            Tensor? db = needB ? ZerosOn(backend, Shape.Wrap([n])) : null;
            if (rms) backend.RmsNormBackward(xc, gc, wSaved, rstd, dx, dw);
            else backend.LayerNormBackward(xc, gc, wSaved, mean!, rstd, dx, dw, db);
            var result = new List<Tensor?> { dx };
            if (weight is not null) result.Add(dw);
            if (bias is not null) result.Add(db);
            return [.. result];
        }));
    }
}
