// Inverted dropout with a seeded Rng: deterministic for a seed whatever the thread count; mask saved for backward.
using ExpertMix.Tensors.Kernels;
using ExpertMix.Tensors.Kernels.Simd;

namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Inverted dropout: each element is kept with probability 1 − p and scaled by 1/(1 − p), else set to 0; p = 1 gives
    /// zeros. When <paramref name="training"/> is false or p = 0 this is the identity (a view). The mask comes from
    /// <paramref name="rng"/>: one 64-bit draw seeds a stream per block of <see cref="Elementwise.Block"/> elements, so
    /// the result depends only on the seed and the shape, never on <see cref="Engine.Threads"/>. Backward: g·mask.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">p is outside [0, 1] or NaN.</exception>
    public static unsafe Tensor Dropout(Tensor x, float p, Rng rng, bool training = true)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(rng);
        if (!(p >= 0f && p <= 1f)) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
        if (!training || p == 0f) return x.Reshape(x.Shape.ToArray());
        var mask = Tensor.Empty(x.Shape);
        float scale = p == 1f ? 0f : 1f / (1f - p);
        ulong seed = rng.NextUInt64();
        nint mp = (nint)mask.DataPointer;
        Elementwise.Blocks(x.Numel, (start, len) =>
        {
            var r = new Rng(seed + (ulong)(start / Elementwise.Block) * 0x9E3779B97F4A7C15UL);
            float* m = (float*)mp + start;
            for (int i = 0; i < len; i++) m[i] = r.NextFloat() >= p ? scale : 0f;
        });
        using var xc = F32Contiguous(x);
        var y = Tensor.Empty(x.Shape);
        Elementwise.Binary<MulOp>(xc.DataPointer, mask.DataPointer, y.DataPointer, y.Numel);
        if (Autograd.ShouldRecord(x)) y.WithGradFn(new GradNode("Dropout", [x], g => [Mul(g, mask)]));
        else mask.Dispose();
        return y;
    }
}
