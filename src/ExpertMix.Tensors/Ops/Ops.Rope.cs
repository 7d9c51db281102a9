// Differentiable rotary position embedding on [B, H, T, Dh] and the cos/sin table builder.
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>
    /// cos/sin tables for <see cref="Rope"/>: for positions of shape [T] or [B, T] (I32/I64 absolute positions, e.g.
    /// cache offset + t for KV-cached decode) returns tensors of shape positions.Shape + [Dh/2] with
    /// cos[…, i] = cos((float)pos · invFreq[i]) (f32). Build <paramref name="invFreq"/> with
    /// <see cref="RopeKernels.InverseFrequencies"/> (θ, Dh, linear factor) or supply a scaled one (llama3, NTK).
    /// </summary>
    /// <exception cref="ArgumentException">positions is not an integer tensor of rank 1 or 2.</exception>
    public static (Tensor Cos, Tensor Sin) RopeTable(ReadOnlySpan<float> invFreq, Tensor positions)
    {
        ArgumentNullException.ThrowIfNull(positions);
        if (positions.DType is not (DType.I32 or DType.I64) || positions.Rank is < 1 or > 2)
        {
            throw new ArgumentException($"RopeTable: positions {positions.Describe()} must be I32/I64 of shape [T] or [B, T]", nameof(positions));
        }
        var pos = positions.ToInt64Array();
        var dims = new int[positions.Rank + 1];
        positions.Shape.Dims.CopyTo(dims);
        dims[^1] = invFreq.Length;
        var backend = positions.Backend;
        var cos = EmptyOn(backend, Shape.Wrap(dims));
        var sin = EmptyOn(backend, Shape.Wrap((int[])dims.Clone()));
        backend.RopeTable(invFreq, pos, cos, sin);
        return (cos, sin);
    }

    /// <summary>
    /// Rotary position embedding of <paramref name="x"/> laid out [B, H, T, Dh] (heads before time, as HF's
    /// apply_rotary_pos_emb after the transpose). <paramref name="cos"/>/<paramref name="sin"/> are [T, Dh/2] (shared by
    /// the batch) or [B, T, Dh/2] (per-sequence positions), per frequency, from <see cref="RopeTable"/>.
    /// <see cref="RopeStyle.Half"/>: y = x·cos + rotate_half(x)·sin with cat(freqs, freqs) tables (HF);
    /// <see cref="RopeStyle.Interleaved"/>: pairs (2i, 2i+1) (GPT-J / llama.cpp). f32, no FMA, bit-identical between the
    /// SIMD and scalar kernels. Backward: rotation of dy by −θ. Tables get no gradient.
    /// </summary>
    /// <exception cref="ArgumentException">x is not rank 4 with even Dh, or table shapes do not match.</exception>
    public static Tensor Rope(Tensor x, Tensor cos, Tensor sin, RopeStyle style = RopeStyle.Half)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(cos);
        ArgumentNullException.ThrowIfNull(sin);
        if (x.Rank != 4 || x.Size(3) % 2 != 0) throw new ArgumentException($"Rope: x {x.Describe()} must be [B, H, T, Dh] with even Dh", nameof(x));
        NnOpsSupport.RequireFloat(x, "Rope", nameof(x));
        int b = x.Size(0), h = x.Size(1), t = x.Size(2), dh = x.Size(3), half = dh / 2;
        var ok2 = Shape.Wrap([t, half]);
        var ok3 = Shape.Wrap([b, t, half]);
        if (!(cos.Shape == ok2 || cos.Shape == ok3) || sin.Shape != cos.Shape)
        {
            throw new ArgumentException($"Rope: cos {cos.Shape} / sin {sin.Shape} must both be {ok2} or {ok3} for x {x.Shape}", nameof(cos));
        }
        var backend = BackendOf("Rope", x, cos, sin);
        var y = EmptyOn(backend, x.Shape);
        var cc = NnOpsSupport.DenseF32(cos);
        var sc = NnOpsSupport.DenseF32(sin);
        using (var xc = NnOpsSupport.DenseF32(x)) backend.Rope(style, xc, cc, sc, y);
        if (!Autograd.ShouldRecord(x))
        {
            cc.Dispose();
            sc.Dispose();
            return y;
        }
        return y.WithGradFn(new GradNode("Rope", [x, cos, sin], g =>
        {
            using var gc = NnOpsSupport.DenseF32(g);
            var dx = EmptyOn(backend, g.Shape);
            backend.RopeBackward(style, gc, cc, sc, dx);
            return [dx, null, null];
        }));
    }
}
