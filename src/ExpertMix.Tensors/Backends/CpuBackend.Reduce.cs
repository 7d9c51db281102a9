// CPU reduction family: pairwise/parallel Reduction kernels.
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public unsafe void Sum(Tensor x, Tensor y) => *y.DataPointer = Reduction.SumAll(x.DataPointer, x.Numel);

    /// <inheritdoc/>
    public unsafe void Sum(Tensor x, int dim, Tensor y)
    {
        var (outer, n, inner) = DimGeometry(x, dim);
        if (n == 0) y.Span.Clear();
        else Reduction.SumDim(x.DataPointer, y.DataPointer, outer, n, inner);
    }

    /// <inheritdoc/>
    public unsafe void ArgReduce(ArgReduceOp op, Tensor x, int dim, Tensor values, Tensor indices)
    {
        var (outer, n, inner) = DimGeometry(x, dim);
        Reduction.ArgExtremeDim(x.DataPointer, values.DataPointer, (long*)indices.RawPointer, outer, n, inner, op == ArgReduceOp.Max);
    }

    /// <inheritdoc/>
    public void SumRows(Tensor x, Tensor y)
    {
        int rows = x.Size(0), n = x.Size(1);
        var acc = y.Span;
        acc.Clear();
        var src = x.Span;
        for (int r = 0; r < rows; r++) System.Numerics.Tensors.TensorPrimitives.Add(acc, src.Slice(r * n, n), acc);
    }

    /// <inheritdoc/>
    public unsafe void SumTo(Tensor x, Tensor y)
    {
        int rank = x.Rank, off = rank - y.Rank;
        var dims = x.Shape.ToArray();
        var cur = x;
        Tensor? owned = null;
        try
        {
            for (int k = 0; k < rank; k++)
            {
                int target = k < off ? 1 : y.ShapeArray[k - off];
                if (target != 1 || dims[k] == 1) continue;
                int outer = 1, inner = 1;
                for (int j = 0; j < k; j++) outer *= dims[j];
                for (int j = k + 1; j < rank; j++) inner *= dims[j];
                int n = dims[k];
                dims[k] = 1;
                var next = EmptyOwnedBy(this, Shape.Wrap((int[])dims.Clone()), DType.F32, zero: false);
                if (n == 0) next.Span.Clear();
                else Reduction.SumDim(cur.DataPointer, next.DataPointer, outer, n, inner);
                owned?.Dispose();
                owned = next;
                cur = next;
            }
            new ReadOnlySpan<float>(cur.DataPointer, checked((int)y.Numel)).CopyTo(y.Span);
        }
        finally
        {
            owned?.Dispose();
        }
    }

    /// <inheritdoc/>
    public double SumOfSquares(Tensor x) => Optim.GradClipping.SumOfSquares(x.Span);

    private static (int Outer, int N, int Inner) DimGeometry(Tensor x, int dim)
    {
        int d = Shape.NormalizeDim(dim, x.Rank);
        var dims = x.ShapeArray;
        int outer = 1, inner = 1;
        for (int k = 0; k < d; k++) outer *= dims[k];
        for (int k = d + 1; k < dims.Length; k++) inner *= dims[k];
        return (outer, dims[d], inner);
    }
}
