// CPU softmax family: the row-parallel SoftmaxKernels.
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public unsafe void Softmax(SoftmaxKind kind, Tensor x, Tensor y)
    {
        var (rows, cols) = RowsCols(x);
        SoftmaxKernels.ForRows(x.DataPointer, y.DataPointer, rows, cols, kind == SoftmaxKind.LogSoftmax);
    }

    /// <inheritdoc/>
    public unsafe void SoftmaxBackward(SoftmaxKind kind, Tensor y, Tensor dy, Tensor dx)
    {
        var (rows, cols) = RowsCols(y);
        SoftmaxKernels.BackwardRows(y.DataPointer, dy.DataPointer, dx.DataPointer, rows, cols, kind == SoftmaxKind.LogSoftmax);
    }

    /// <summary>(rows, cols) when the last dimension is the row.</summary>
    private static (int Rows, int Cols) RowsCols(Tensor t)
    {
        int cols = t.Rank == 0 ? 1 : t.Size(-1);
        return (cols == 0 ? 0 : checked((int)(t.Numel / cols)), cols);
    }
}
