// Differentiable indexing: TopK along the last dim, Embedding gather, IndexSelect along a dim.

namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.topk along the last dimension: the <paramref name="k"/> largest (or smallest) values of every row, best
    /// first (always sorted), ties broken by the lower index, NaN counted as the largest; indices as
    /// <paramref name="indexType"/> (I64 like torch, or I32). Backward: g scattered to the selected positions.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">k is outside [0, size of the last dimension].</exception>
    /// <exception cref="ArgumentException">x is rank 0, or indexType is not I32/I64.</exception>
    public static (Tensor Values, Tensor Indices) TopK(Tensor x, int k, bool largest = true, DType indexType = DType.I64)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0) throw new ArgumentException("TopK needs rank ≥ 1", nameof(x));
        if (indexType is not (DType.I32 or DType.I64)) throw new ArgumentException($"TopK indices must be I32 or I64, not {indexType}", nameof(indexType));
        int n = x.Size(-1);
        if ((uint)k > (uint)n) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [0, {n}] for {x.Shape}");
        var outShape = x.Shape.ToArray();
        outShape[^1] = k;
        int rows = n == 0 ? 0 : checked((int)(x.Numel / n));
        using var xc = F32Contiguous(x);
        var backend = x.Backend;
        var values = EmptyOn(backend, Shape.Wrap(outShape));
        var idxT = EmptyOn(backend, Shape.Wrap(outShape), DType.I64);
        backend.TopK(xc, k, largest ? TopKOrder.Largest : TopKOrder.Smallest, values, idxT);
        var idx64 = idxT.AsSpan<long>().ToArray();
        Tensor indices;
        if (indexType == DType.I64) indices = idxT;
        else
        {
            using (idxT) indices = EmptyOn(backend, Shape.Wrap(outShape), indexType);
            var d = indices.AsSpan<int>();
            for (int i = 0; i < d.Length; i++) d[i] = (int)idx64[i];
        }
        if (Autograd.ShouldRecord(x))
        {
            var xShape = x.Shape;
            values.WithGradFn(new GradNode("TopK", [x], g =>
            {
                using var gc = F32Contiguous(g);
                var offsets = new long[idx64.Length];
                for (int r = 0; r < rows; r++)
                {
                    for (int j = 0; j < k; j++) offsets[r * k + j] = (long)r * n + idx64[r * k + j];
                }
                using var offT = LongsOn(g.Backend, offsets);
                var dx = ZerosOn(g.Backend, xShape);
                g.Backend.Scatter(ScatterMode.Assign, gc, offT, dx);
                return [dx];
            }));
        }
        return (values, indices);
    }

    /// <summary>
    /// Embedding lookup: out[..., c] = weight[ids[...], c] for weight [V, C] and integer ids (I32 or I64) of any shape →
    /// [..., C]. Backward: dW[v] = Σ over positions with id v of g[position] (scatter-add in position order, deterministic);
    /// ids get no gradient.
    /// </summary>
    /// <exception cref="ArgumentException">weight is not rank 2 or ids is not I32/I64.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, V) (the message gives the id and its position).</exception>
    public static Tensor Embedding(Tensor weight, Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(ids);
        if (weight.Rank != 2) throw new ArgumentException($"Embedding weight must be [V, C], got {weight.Shape}", nameof(weight));
        var outShape = ids.Shape.ToArray().Append(weight.Size(1)).ToArray();
        using var flat = IndexSelectCore(weight, 0, ids, "Embedding", out var index);
        var y = flat.Reshape(outShape);
        if (Autograd.ShouldRecord(weight)) RecordIndexSelect(y, weight, 0, index, "Embedding");
        return y;
    }

    /// <summary>
    /// torch.index_select: out has x's shape with size len(index) along <paramref name="dim"/>, and
    /// out[..., j, ...] = x[..., index[j], ...]. index is a 1-D (or 0-D) I32/I64 tensor. Backward: scatter-add along dim.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, size of dim).</exception>
    /// <exception cref="ArgumentException">index is not I32/I64 or has rank &gt; 1.</exception>
    public static Tensor IndexSelect(Tensor x, int dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(index);
        if (index.Rank > 1) throw new ArgumentException($"IndexSelect index must be 1-D, got {index.Shape}", nameof(index));
        int d = Shape.NormalizeDim(dim, x.Rank);
        var y = IndexSelectCore(x, d, index, "IndexSelect", out var idx);
        if (Autograd.ShouldRecord(x)) RecordIndexSelect(y, x, d, idx, "IndexSelect");
        return y;
    }

    /// <summary>Gathers along dim into a contiguous [outer, len(ids), inner] result (shape of x with dim replaced).</summary>
    private static Tensor IndexSelectCore(Tensor x, int d, Tensor ids, string name, out long[] index)
    {
        if (ids.DType is not (DType.I32 or DType.I64)) throw new ArgumentException($"{name} indices must be I32 or I64, got {ids.Describe()}", nameof(ids));
        index = ids.ToInt64Array();
        var (_, outer, n, inner, _) = ReduceGeometry(x, d, keepDim: true);
        for (int j = 0; j < index.Length; j++)
        {
            if ((ulong)index[j] >= (ulong)n)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), index[j], $"{name}: index {index[j]} at position {j} is out of range [0, {n}) for {x.Describe()}");
            }
        }
        var outShape = x.Shape.ToArray();
        outShape[d] = index.Length;
        using var xc = F32Contiguous(x);
        var y = EmptyOn(x.Backend, Shape.Wrap(outShape));
        using var indexT = LongsOn(x.Backend, index);
        x.Backend.IndexSelect(xc, d, indexT, y);
        return y;
    }

    private static void RecordIndexSelect(Tensor y, Tensor x, int d, long[] index, string name)
    {
        var xShape = x.Shape;
        y.WithGradFn(new GradNode(name, [x], g => [ScatterAddAlong(g, xShape, d, index)]));
    }

    /// <summary>dx = zeros(xShape); dx[..., index[j], ...] += g[..., j, ...] in j order (parallel over outer and inner blocks).</summary>
    private static Tensor ScatterAddAlong(Tensor g, Shape xShape, int d, long[] index)
    {
        using var gc = F32Contiguous(g);
        var dx = ZerosOn(g.Backend, xShape);
        using var indexT = LongsOn(g.Backend, index);
        g.Backend.IndexAdd(gc, d, indexT, dx);
        return dx;
    }
}
