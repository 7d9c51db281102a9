// Differentiable torch.gather along a dimension (the backward is a deterministic scatter-add).
namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.gather: for an integer (I32/I64) <paramref name="index"/> of the same rank as x, with
    /// index.size(d) ≤ x.size(d) for every d ≠ <paramref name="dim"/>, out has index's shape and
    /// out[i₀, …, j, …] = x[i₀, …, index[i₀, …, j, …], …] (the index replaces the coordinate along dim).
    /// Backward: scatter-add of g into zeros of x's shape, in row-major order of the output (deterministic).
    /// </summary>
    /// <exception cref="ArgumentException">Ranks differ, an index size exceeds x's, or index is not I32/I64.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index value is outside [0, x.size(dim)).</exception>
    public static Tensor Gather(Tensor x, int dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(index);
        if (index.DType is not (DType.I32 or DType.I64)) throw new ArgumentException($"Gather index must be I32 or I64, got {index.Describe()}", nameof(index));
        if (index.Rank != x.Rank) throw new ArgumentException($"Gather index {index.Shape} must have the rank of x {x.Shape}", nameof(index));
        int d = Shape.NormalizeDim(dim, x.Rank);
        for (int k = 0; k < x.Rank; k++)
        {
            if (k != d && index.Size(k) > x.Size(k)) throw new ArgumentException($"Gather index {index.Shape} is larger than x {x.Shape} in dimension {k}", nameof(index));
        }
        var idx = index.ToInt64Array();
        var offsets = GatherOffsets(x.Shape, index.Shape, d, idx);
        using var xc = F32Contiguous(x);
        var backend = BackendOf("Gather", x, index);
        var y = EmptyOn(backend, index.Shape);
        using (var offT = LongsOn(backend, offsets)) backend.Gather(xc, offT, y);
        if (Autograd.ShouldRecord(x))
        {
            var xShape = x.Shape;
            y.WithGradFn(new GradNode("Gather", [x], g =>
            {
                using var gc = F32Contiguous(g);
                var dx = ZerosOn(backend, xShape);
                using var offT = LongsOn(backend, offsets);
                backend.Scatter(ScatterMode.Add, gc, offT, dx);
                return [dx];
            }));
        }
        return y;
    }

    /// <summary>Row-major offsets into contiguous x for every output element of a gather (range-checked).</summary>
    private static long[] GatherOffsets(Shape xShape, Shape iShape, int d, long[] idx)
    {
        int rank = xShape.Rank;
        var xStrides = xShape.ContiguousStrides();
        var offsets = new long[idx.Length];
        var pos = new int[rank];
        int n = xShape[d];
        for (long i = 0; i < idx.Length; i++)
        {
            long v = idx[i];
            if ((ulong)v >= (ulong)n) throw new ArgumentOutOfRangeException(nameof(idx), v, $"Gather: index {v} at flat position {i} is out of range [0, {n}) for dimension {d} of {xShape}");
            long off = 0;
            for (int k = 0; k < rank; k++) off += (k == d ? v : pos[k]) * xStrides[k];
            offsets[i] = off;
            for (int k = rank - 1; k >= 0; k--)
            {
                if (++pos[k] < iShape[k]) break;
                pos[k] = 0;
            }
        }
        return offsets;
    }
}
