// Linear: y[..., N] = x[..., K]·Wᵀ + b with W [N, K] (torch layout; f32, bf16 or pre-packed) and autograd.

namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y[..., n] = Σₖ x[..., k]·W[n, k] + b[n] (torch.nn.functional.linear). x: [..., K] (any float dtype, converted to
    /// F32); W: [N, K] F32 or BF16 (bf16 is widened exactly, f32 accumulate); b: [N] or null. One row (M = 1) uses the
    /// GEMV path. Backward: dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy. NaN propagates.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes disagree (names both shapes).</exception>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2) throw new ArgumentException($"Linear weight must be [out, in], got {weight.Shape}", nameof(weight));
        int n = weight.Size(0), k = weight.Size(1);
        CheckLinear(x, k, n, bias, weight);
        var backend = BackendOf("Linear", x, weight, bias);
        Tensor y;
        using (Autograd.NoGrad())
        {
            using var x2 = Rows(x, k);
            using var w = weight.DType is DType.F32 or DType.BF16 && weight.Stride(1) == 1 && weight.Stride(0) >= k ? weight.Detach() : CopyAs(weight, DType.F32);
            var (y2, beta) = LinearOutput(backend, x2.Size(0), n, bias);
            backend.Linear(x2, w, beta, y2);
            y = Unrows(y2, x, n);
        }
        if (Autograd.ShouldRecord(x, weight, bias))
        {
            Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
            y.WithGradFn(new GradNode("Linear", inputs, g =>
            {
                using var g2 = Rows(g, n);
                Tensor? gx = null, gw = null, gb = null;
                if (x.RequiresGrad)
                {
                    using var wf = weight.DType == DType.F32 ? weight.Detach() : CopyAs(weight, DType.F32);
                    using var gx2 = MatMulCore(g2, wf);
                    gx = gx2.Reshape(x.ShapeArray);
                }
                if (weight.RequiresGrad)
                {
                    using var x2 = Rows(x, k);
                    using var gt = g2.Transpose(0, 1);
                    gw = MatMulCore(gt, x2);
                }
                if (bias is not null && bias.RequiresGrad) gb = SumRows(g2);
                return bias is null ? [gx, gw] : [gx, gw, gb];
            }));
        }
        return y;
    }

    /// <summary>
    /// y[..., n] = Σₖ x[..., k]·W[n, k] + b[n] with a pre-packed weight (no per-call packing); bit-identical to
    /// <see cref="Linear(Tensor, Tensor, Tensor?)"/> on the same weight. Gradients flow to x and b only (the packed
    /// weight is frozen; repack it after changing the weight, see <see cref="PackedWeight"/>).
    /// </summary>
    public static Tensor Linear(Tensor x, PackedWeight weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        int n = weight.OutFeatures, k = weight.InFeatures;
        CheckLinear(x, k, n, bias, null);
        var backend = BackendOf("Linear", x, bias);
        Tensor y;
        using (Autograd.NoGrad())
        {
            using var x2 = Rows(x, k);
            var (y2, beta) = LinearOutput(backend, x2.Size(0), n, bias);
            backend.Linear(x2, weight, beta, y2);
            y = Unrows(y2, x, n);
        }
        if (Autograd.ShouldRecord(x, bias))
        {
            Tensor[] inputs = bias is null ? [x] : [x, bias];
            y.WithGradFn(new GradNode("LinearPacked", inputs, g =>
            {
                using var g2 = Rows(g, n);
                Tensor? gx = null, gb = null;
                if (x.RequiresGrad)
                {
                    using var wf = weight.Source.DType == DType.F32 ? weight.Source.Detach() : CopyAs(weight.Source, DType.F32);
                    using var gx2 = MatMulCore(g2, wf);
                    gx = gx2.Reshape(x.ShapeArray);
                }
                if (bias is not null && bias.RequiresGrad) gb = SumRows(g2);
                return bias is null ? [gx] : [gx, gb];
            }));
        }
        return y;
    }

    /// <summary>
    /// Shape checks of a linear call (<paramref name="weight"/> null: a packed weight); the weight's shape is formatted
    /// only for an error, since this runs for every projection of every decoded token.
    /// </summary>
    private static void CheckLinear(Tensor x, int k, int n, Tensor? bias, Tensor? weight)
    {
        string WeightShape() => weight is not null ? weight.Shape.ToString() : $"packed [{n}, {k}]";
        if (x.Rank == 0 || x.Size(-1) != k) throw new ArgumentException($"Linear input {x.Shape} does not end in K={k} of weight {WeightShape()}", nameof(x));
        if (bias is not null && (bias.Rank != 1 || bias.Size(0) != n)) throw new ArgumentException($"Linear bias {bias.Shape} is not [{n}] for weight {WeightShape()}", nameof(bias));
    }

    /// <summary>x as a contiguous F32 [rows, cols] tensor (a view when possible), no autograd.</summary>
    private static Tensor Rows(Tensor x, int cols)
    {
        using var d = x.Detach();
        using var f = d.DType == DType.F32 && d.IsContiguous ? d.Detach() : CopyAs(d, DType.F32);
        long rows = 1;
        for (int i = 0; i < x.Rank - 1; i++) rows *= x.ShapeArray[i];
        return f.Reshape(checked((int)rows), cols);
    }

    private static (Tensor Y, float Beta) LinearOutput(IBackend backend, int rows, int n, Tensor? bias)
    {
        var y = EmptyOn(backend, Shape.Wrap([rows, n]));
        if (bias is null) return (y, 0f);
        using var b = bias.Detach();
        using var rowsOfBias = b.Expand(Shape.Wrap([rows, n]));
        backend.Copy(rowsOfBias, y);
        return (y, 1f);
    }

    private static Tensor Unrows(Tensor y2, Tensor x, int n)
    {
        var dims = x.ShapeArray.ToArray();
        dims[^1] = n;
        using (y2) return y2.Reshape(dims);
    }

    /// <summary>Σ over rows of a [rows, n] tensor in increasing row order → [n].</summary>
    private static Tensor SumRows(Tensor g2)
    {
        var gb = EmptyOn(g2.Backend, Shape.Wrap([g2.Size(1)]));
        g2.Backend.SumRows(g2, gb);
        return gb;
    }
}
