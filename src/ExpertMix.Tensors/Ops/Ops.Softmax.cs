// Differentiable softmax and log-softmax over the last dimension.

namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Softmax over the last dimension: yᵢ = exp(xᵢ − max x) / Σⱼ exp(xⱼ − max x), computed in f32 (torch.softmax(x, -1)).
    /// Output: same shape, F32. A row that is entirely −∞ (or contains NaN or +∞) becomes NaN, exactly as in PyTorch.
    /// Backward: dx = y ⊙ (dy − Σ dy ⊙ y).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is rank 0 or not a float tensor.</exception>
    public static Tensor Softmax(Tensor x) => SoftmaxCore(x, log: false);

    /// <summary>
    /// Log-softmax over the last dimension: yᵢ = (xᵢ − max x) − log Σⱼ exp(xⱼ − max x) in f32 (torch.log_softmax(x, -1)).
    /// An all −∞ row (or one with NaN or +∞) becomes NaN, as in PyTorch. Backward: dx = dy − exp(y) · Σ dy.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is rank 0 or not a float tensor.</exception>
    public static Tensor LogSoftmax(Tensor x) => SoftmaxCore(x, log: true);

    private static Tensor SoftmaxCore(Tensor x, bool log)
    {
        ArgumentNullException.ThrowIfNull(x);
        string name = log ? "LogSoftmax" : "Softmax";
        if (x.Rank == 0) throw new ArgumentException($"{name}: input {x.Describe()} must have at least one dimension", nameof(x));
        NnOpsSupport.RequireFloat(x, name, nameof(x));
        var backend = x.Backend;
        var kind = log ? SoftmaxKind.LogSoftmax : SoftmaxKind.Softmax;
        var y = EmptyOn(backend, x.Shape);
        using (var xc = NnOpsSupport.DenseF32(x)) backend.Softmax(kind, xc, y);
        if (Autograd.ShouldRecord(x))
        {
            var saved = y.Detach();
            y.WithGradFn(new GradNode(name, [x], g =>
            {
                using var gc = NnOpsSupport.DenseF32(g);
                var dx = EmptyOn(backend, saved.Shape);
                backend.SoftmaxBackward(kind, saved, gc, dx);
                return [dx];
            }));
        }
        return y;
    }
}
