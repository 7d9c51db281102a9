// Fast kernel behind Ops.SumTo (broadcast backward): reduces each broadcast dimension with the vectorised SumDim.
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Writes Σ of the contiguous F32 <paramref name="src"/> over the broadcast dimensions into the contiguous
    /// <paramref name="dst"/>. Leading extra dimensions and dimensions where dst has size 1 are reduced one at a time,
    /// from the outermost, with <see cref="Reduction.SumDim"/> (SIMD, parallel, deterministic for any thread count);
    /// <see cref="ReduceToReference"/> stays as the reference.
    /// </summary>
    private static unsafe void SumToKernel(Tensor src, Tensor dst)
    {
        int rank = src.Rank, off = rank - dst.Rank;
        var dims = src.Shape.ToArray();
        var cur = src;
        Tensor? owned = null;
        try
        {
            for (int k = 0; k < rank; k++)
            {
                int target = k < off ? 1 : dst.ShapeArray[k - off];
                if (target != 1 || dims[k] == 1) continue;
                int outer = 1, inner = 1;
                for (int j = 0; j < k; j++) outer *= dims[j];
                for (int j = k + 1; j < rank; j++) inner *= dims[j];
                int n = dims[k];
                dims[k] = 1;
                var next = Tensor.Empty(dims);
                if (n == 0) next.Span.Clear();
                else Reduction.SumDim(cur.DataPointer, next.DataPointer, outer, n, inner);
                owned?.Dispose();
                owned = next;
                cur = next;
            }
            new ReadOnlySpan<float>(cur.DataPointer, checked((int)dst.Numel)).CopyTo(dst.Span);
        }
        finally
        {
            owned?.Dispose();
        }
    }

    /// <summary>The slow reference of <see cref="SumTo"/> (element order, strided accumulation) for tests: dst must be zeros.</summary>
    internal static void SumToReference(Tensor src, Tensor dst) => ReduceToReference(src, dst);
}
