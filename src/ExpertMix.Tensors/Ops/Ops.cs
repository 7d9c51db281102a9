// Entry point of differentiable operations; each family lives in its own Ops.*.cs file.
namespace ExpertMix.Tensors;

/// <summary>
/// Differentiable tensor operations. Each op validates its inputs (naming shapes on error), allocates the output
/// through the input's backend, runs the kernel and, when <see cref="Autograd.ShouldRecord"/>, attaches a
/// <see cref="GradNode"/> whose rule is tested against finite differences.
/// </summary>
public static partial class Ops
{
    /// <summary>
    /// Sums <paramref name="x"/> over broadcast dimensions so the result has <paramref name="shape"/>
    /// (the backward of broadcasting): leading extra dimensions and dimensions where shape has 1 are reduced.
    /// </summary>
    public static Tensor SumTo(Tensor x, Shape shape)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Shape == shape) return x.Detach();
        if (Shape.Broadcast(shape, x.Shape) != x.Shape) throw new ArgumentException($"cannot sum {x.Shape} to {shape}");
        using var src = x.DType == DType.F32 && x.IsContiguous ? x.Detach() : CopyAs(x, DType.F32);
        var y = ZerosOn(x.Backend, shape);
        x.Backend.SumTo(src, y);
        if (Autograd.ShouldRecord(x))
        {
            var xs = x.Shape;
            y.WithGradFn(new GradNode("SumTo", [x], g =>
            {
                using var ge = g.Expand(xs);
                return [CopyAs(ge, DType.F32)];
            }));
        }
        return y;
    }

    private static unsafe void ReduceToReference(Tensor src, Tensor dst)
    {
        int rank = src.Rank, off = rank - dst.Rank;
        var ss = src.ShapeArray;
        var dstStrides = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            int j = i - off;
            dstStrides[i] = j < 0 || dst.ShapeArray[j] == 1 ? 0 : dst.StrideArray[j];
        }
        float* s = src.DataPointer, d = dst.DataPointer;
        var idx = new int[rank];
        long n = src.Numel, dOff = 0;
        for (long i = 0; i < n; i++)
        {
            d[dOff] += s[i];
            for (int k = rank - 1; k >= 0; k--)
            {
                idx[k]++;
                dOff += dstStrides[k];
                if (idx[k] < ss[k]) break;
                dOff -= dstStrides[k] * ss[k];
                idx[k] = 0;
            }
        }
    }
}
