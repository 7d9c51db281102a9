// Linear: y[..., N] = x[..., K]·Wᵀ + b with W [N, K] (torch layout; f32, bf16 or pre-packed) and autograd.
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>
    /// y[..., n] = Σₖ x[..., k]·W[n, k] + b[n] (torch.nn.functional.linear). x: [..., K] (any float dtype, converted to
    /// F32); W: [N, K] F32 or BF16 (bf16 is widened exactly, f32 accumulate); b: [N] or null. One row (M = 1) uses the
    /// GEMV path. Backward: dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy. NaN propagates.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes disagree (names both shapes).</exception>
    public static unsafe Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2) throw new ArgumentException($"Linear weight must be [out, in], got {weight.Shape}", nameof(weight));
        int n = weight.Size(0), k = weight.Size(1);
        CheckLinear(x, k, n, bias, weight.Shape.ToString());
        Tensor y;
        using (Autograd.NoGrad())
        {
            using var x2 = Rows(x, k);
            using var w = weight.DType is DType.F32 or DType.BF16 && weight.Stride(1) == 1 && weight.Stride(0) >= k ? weight.Detach() : weight.To(DType.F32);
            var (y2, beta) = LinearOutput(x2.Size(0), n, bias);
            long ldw = Math.Max(w.Stride(0), Math.Max(k, 1));
            if (w.DType == DType.F32)
            {
                Gemm.Sgemm(Transpose.No, Transpose.Yes, x2.Size(0), n, k, 1f, x2.DataPointer, Math.Max(k, 1), w.DataPointer, ldw, beta, y2.DataPointer, Math.Max(n, 1));
            }
            else
            {
                Gemm.SgemmBf16(Transpose.No, Transpose.Yes, x2.Size(0), n, k, 1f, x2.DataPointer, Math.Max(k, 1), (ushort*)w.RawPointer, ldw, beta, y2.DataPointer, Math.Max(n, 1));
            }
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
                    using var wf = weight.DType == DType.F32 ? weight.Detach() : weight.To(DType.F32);
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
    public static unsafe Tensor Linear(Tensor x, PackedWeight weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        int n = weight.OutFeatures, k = weight.InFeatures;
        CheckLinear(x, k, n, bias, $"packed [{n}, {k}]");
        Tensor y;
        using (Autograd.NoGrad())
        {
            using var x2 = Rows(x, k);
            var (y2, beta) = LinearOutput(x2.Size(0), n, bias);
            Gemm.SgemmPacked(Transpose.No, x2.Size(0), 1f, x2.DataPointer, Math.Max(k, 1), weight, beta, y2.DataPointer, Math.Max(n, 1));
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
                    using var wf = weight.Source.DType == DType.F32 ? weight.Source.Detach() : weight.Source.To(DType.F32);
                    using var gx2 = MatMulCore(g2, wf);
                    gx = gx2.Reshape(x.ShapeArray);
                }
                if (bias is not null && bias.RequiresGrad) gb = SumRows(g2);
                return bias is null ? [gx] : [gx, gb];
            }));
        }
        return y;
    }

    private static void CheckLinear(Tensor x, int k, int n, Tensor? bias, string weightShape)
    {
        if (x.Rank == 0 || x.Size(-1) != k) throw new ArgumentException($"Linear input {x.Shape} does not end in K={k} of weight {weightShape}", nameof(x));
        if (bias is not null && (bias.Rank != 1 || bias.Size(0) != n)) throw new ArgumentException($"Linear bias {bias.Shape} is not [{n}] for weight {weightShape}", nameof(bias));
    }

    /// <summary>x as a contiguous F32 [rows, cols] tensor (a view when possible), no autograd.</summary>
    private static Tensor Rows(Tensor x, int cols)
    {
        using var d = x.Detach();
        using var f = d.DType == DType.F32 && d.IsContiguous ? d.Detach() : d.To(DType.F32);
        long rows = 1;
        for (int i = 0; i < x.Rank - 1; i++) rows *= x.ShapeArray[i];
        return f.Reshape(checked((int)rows), cols);
    }

    private static (Tensor Y, float Beta) LinearOutput(int rows, int n, Tensor? bias)
    {
        if (bias is null) return (Tensor.Empty(Shape.Wrap([rows, n])), 0f);
        var y = Tensor.Empty(Shape.Wrap([rows, n]));
        using var b = bias.DType == DType.F32 && bias.IsContiguous ? bias.Detach() : bias.To(DType.F32);
        var bs = b.Span;
        var ys = y.Span;
        for (int r = 0; r < rows; r++) bs.CopyTo(ys.Slice(r * n, n));
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
        int rows = g2.Size(0), n = g2.Size(1);
        var gb = Tensor.Zeros(Shape.Wrap([n]));
        var acc = gb.Span;
        var src = g2.Span;
        for (int r = 0; r < rows; r++) System.Numerics.Tensors.TensorPrimitives.Add(acc, src.Slice(r * n, n), acc);
        return gb;
    }
}
