// Differentiable reductions: Sum, Mean, Var over a dimension or everything; Max/Min with arg indices.

namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>Σ of all elements as a rank-0 tensor (pairwise f32 summation; 0 for an empty tensor). Backward: g broadcast.</summary>
    public static unsafe Tensor Sum(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        using var xc = F32Contiguous(x);
        var y = EmptyOn(x.Backend, Shape.Wrap([]));
        x.Backend.Sum(xc, y);
        if (Autograd.ShouldRecord(x))
        {
            var shape = x.Shape;
            y.WithGradFn(new GradNode("Sum", [x], g => [FullOn(g.Backend, shape, g.Item())]));
        }
        return y;
    }

    /// <summary>Mean of all elements (Σ/n; NaN for an empty tensor, as torch). Backward: g/n broadcast.</summary>
    public static Tensor Mean(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        Tensor y;
        using (Autograd.NoGrad())
        {
            using var s = Sum(x);
            y = Div(s, (float)x.Numel);
        }
        if (Autograd.ShouldRecord(x))
        {
            var shape = x.Shape;
            float n = x.Numel;
            y.WithGradFn(new GradNode("Mean", [x], g => [FullOn(g.Backend, shape, g.Item() / n)]));
        }
        return y;
    }

    /// <summary>
    /// Σ over <paramref name="dim"/> (negative counts from the end); the dimension is removed unless
    /// <paramref name="keepDim"/>. f32 accumulation: pairwise for the last dimension, in order otherwise.
    /// Backward: g broadcast back along dim.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">dim is out of range.</exception>
    public static unsafe Tensor Sum(Tensor x, int dim, bool keepDim = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        var (d, outer, n, inner, outShape) = ReduceGeometry(x, dim, keepDim);
        using var xc = F32Contiguous(x);
        var y = EmptyOn(x.Backend, Shape.Wrap(outShape));
        x.Backend.Sum(xc, d, y);
        RecordBroadcastBack(y, x, d, keepDim, "SumDim", 1f);
        return y;
    }

    /// <summary>Mean over <paramref name="dim"/> (Σ/n; NaN when the dimension is empty). Backward: g/n broadcast back.</summary>
    public static Tensor Mean(Tensor x, int dim, bool keepDim = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        int n = x.Size(dim);
        Tensor s;
        using (Autograd.NoGrad()) s = Sum(x, dim, keepDim);
        using var sumT = s;
        var y = MapWithScalar(BinaryOp.Div, s, n);
        RecordBroadcastBack(y, x, Shape.NormalizeDim(dim, x.Rank), keepDim, "MeanDim", 1f / n);
        return y;
    }

    /// <summary>
    /// Variance over <paramref name="dim"/>: Σ(x − mean)²/(n − 1) when <paramref name="unbiased"/> (torch default), else /n
    /// (two passes, f32). With n = 1 and unbiased the result is 0/0 = NaN, as in torch.
    /// Backward: g·2(x − mean)/(n − correction).
    /// </summary>
    public static Tensor Var(Tensor x, int dim, bool unbiased = true, bool keepDim = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        int d = Shape.NormalizeDim(dim, x.Rank);
        int n = x.Size(d);
        float denom = unbiased ? n - 1 : n;
        Tensor y;
        using (Autograd.NoGrad())
        {
            using var mean = Mean(x, d, keepDim: true);
            using var centered = Sub(x, mean);
            using var sq = Square(centered);
            using var s = Sum(sq, d, keepDim);
            y = Div(s, denom);
        }
        if (Autograd.ShouldRecord(x))
        {
            var xShape = x.Shape;
            y.WithGradFn(new GradNode("Var", [x], g =>
            {
                using var mean = Mean(x, d, keepDim: true);
                using var centered = Sub(x, mean);
                using var gk = keepDim ? g.Detach() : g.Unsqueeze(d);
                using var t = Mul(centered, gk);
                return [Mul(t, 2f / denom)];
            }));
        }
        return y;
    }

    /// <summary>
    /// torch.max(x, dim): the maxima and the int64 indices of their first occurrence along <paramref name="dim"/>; NaN
    /// propagates (the first NaN wins). Backward: g scattered to the selected index.
    /// </summary>
    /// <exception cref="ArgumentException">The dimension is empty.</exception>
    public static (Tensor Values, Tensor Indices) Max(Tensor x, int dim, bool keepDim = false) => ArgExtreme(x, dim, keepDim, true);

    /// <summary>torch.min(x, dim): minima and int64 indices of their first occurrence; see <see cref="Max(Tensor, int, bool)"/>.</summary>
    /// <exception cref="ArgumentException">The dimension is empty.</exception>
    public static (Tensor Values, Tensor Indices) Min(Tensor x, int dim, bool keepDim = false) => ArgExtreme(x, dim, keepDim, false);

    /// <summary>
    /// torch.max(x): the largest element as a rank-0 tensor (NaN if any). Backward: g split evenly among all elements
    /// equal to the maximum (torch's evenly-distributed rule).
    /// </summary>
    /// <exception cref="ArgumentException">x is empty.</exception>
    public static Tensor Max(Tensor x) => ExtremeAll(x, true);

    /// <summary>torch.min(x): the smallest element as a rank-0 tensor; see <see cref="Max(Tensor)"/>.</summary>
    /// <exception cref="ArgumentException">x is empty.</exception>
    public static Tensor Min(Tensor x) => ExtremeAll(x, false);

    private static unsafe (Tensor, Tensor) ArgExtreme(Tensor x, int dim, bool keepDim, bool max)
    {
        ArgumentNullException.ThrowIfNull(x);
        var (d, outer, n, inner, outShape) = ReduceGeometry(x, dim, keepDim);
        if (n == 0) throw new ArgumentException($"{(max ? "Max" : "Min")} over empty dimension {d} of {x.Shape}", nameof(x));
        using var xc = F32Contiguous(x);
        var values = EmptyOn(x.Backend, Shape.Wrap(outShape));
        var indices = EmptyOn(x.Backend, Shape.Wrap(outShape), DType.I64);
        x.Backend.ArgReduce(max ? ArgReduceOp.Max : ArgReduceOp.Min, xc, d, values, indices);
        if (Autograd.ShouldRecord(x))
        {
            var xShape = x.Shape;
            var idx = indices.AsSpan<long>().ToArray();
            values.WithGradFn(new GradNode(max ? "MaxDim" : "MinDim", [x], g =>
            {
                using var gc = F32Contiguous(g);
                var dx = ZerosOn(g.Backend, xShape);
                var gs = gc.Span;
                var ds = dx.Span;
                for (int o = 0; o < outer; o++)
                {
                    for (int i = 0; i < inner; i++)
                    {
                        int j = o * inner + i;
                        ds[(int)(((long)o * n + idx[j]) * inner + i)] += gs[j];
                    }
                }
                return [dx];
            }));
        }
        return (values, indices);
    }

    private static Tensor ExtremeAll(Tensor x, bool max)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Numel == 0) throw new ArgumentException($"{(max ? "Max" : "Min")} of empty tensor {x.Shape}", nameof(x));
        Tensor flat, values;
        using (Autograd.NoGrad())
        {
            using var xc = F32Contiguous(x);
            flat = xc.Reshape(checked((int)x.Numel));
            var (v, i) = ArgExtreme(flat, 0, false, max);
            i.Dispose();
            values = v;
        }
        flat.Dispose();
        if (Autograd.ShouldRecord(x))
        {
            float m = values.Item();
            var xShape = x.Shape;
            values.WithGradFn(new GradNode(max ? "Max" : "Min", [x], g =>
            {
                float gv = g.Item();
                using var xc = F32Contiguous(x);
                var xs = xc.Span;
                int count = 0;
                foreach (var v in xs) if (v.Equals(m)) count++;
                var dx = ZerosOn(g.Backend, xShape);
                var ds = dx.Span;
                for (int k = 0; k < xs.Length; k++) if (xs[k].Equals(m)) ds[k] = gv / count;
                return [dx];
            }));
        }
        return values;
    }

    private static (int Dim, int Outer, int N, int Inner, int[] OutShape) ReduceGeometry(Tensor x, int dim, bool keepDim)
    {
        int d = Shape.NormalizeDim(dim, x.Rank);
        var dims = x.ShapeArray;
        int outer = 1, inner = 1;
        for (int k = 0; k < d; k++) outer *= dims[k];
        for (int k = d + 1; k < dims.Length; k++) inner *= dims[k];
        var outShape = keepDim ? dims.Select((s, k) => k == d ? 1 : s).ToArray() : dims.Where((_, k) => k != d).ToArray();
        return (d, outer, dims[d], inner, outShape);
    }

    /// <summary>Records a backward that broadcasts g (times <paramref name="scale"/>) back along the reduced dimension.</summary>
    private static void RecordBroadcastBack(Tensor y, Tensor x, int d, bool keepDim, string name, float scale)
    {
        if (!Autograd.ShouldRecord(x)) return;
        var xShape = x.Shape;
        y.WithGradFn(new GradNode(name, [x], g =>
        {
            using var gk = keepDim ? g.Detach() : g.Unsqueeze(d);
            using var ge = gk.Expand(xShape);
            if (scale == 1f) return [CopyAs(ge, DType.F32)];
            return [Mul(ge, scale)];
        }));
    }
}
