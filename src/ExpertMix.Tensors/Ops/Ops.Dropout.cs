// Inverted dropout with a seeded Rng: deterministic for a seed whatever the thread count; mask saved for backward.

namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Inverted dropout: each element is kept with probability 1 − p and scaled by 1/(1 − p), else set to 0; p = 1 gives
    /// zeros. When <paramref name="training"/> is false or p = 0 this is the identity (a view). The mask comes from
    /// <paramref name="rng"/>: one 64-bit draw seeds a stream per block of <see cref="Kernels.Elementwise.Block"/> elements, so
    /// the result depends only on the seed and the shape, never on <see cref="Engine.Threads"/>. Backward: g·mask.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">p is outside [0, 1] or NaN.</exception>
    public static Tensor Dropout(Tensor x, float p, Rng rng, bool training = true)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(rng);
        if (!(p >= 0f && p <= 1f)) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
        if (!training || p == 0f) return x.Reshape(x.Shape.ToArray());
        var backend = x.Backend;
        var mask = EmptyOn(backend, x.Shape);
        backend.DropoutMask(rng.NextUInt64(), p, mask);
        using var xc = F32Contiguous(x);
        var y = EmptyOn(backend, x.Shape);
        backend.Binary(BinaryOp.Mul, xc, mask, y);
        if (Autograd.ShouldRecord(x)) y.WithGradFn(new GradNode("Dropout", [x], g => [Mul(g, mask)]));
        else mask.Dispose();
        return y;
    }
}
