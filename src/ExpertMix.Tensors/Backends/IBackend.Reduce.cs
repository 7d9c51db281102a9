// Backend seam, reduction family: sum of everything, sum over a dimension, broadcast-reduce (SumTo), arg max/min.
namespace ExpertMix.Tensors;

public partial interface IBackend
{
    /// <summary>y (rank 0) = Σ of all elements of x (contiguous F32; pairwise f32 summation; 0 when empty).</summary>
    void Sum(Tensor x, Tensor y);

    /// <summary>
    /// y = Σ over dimension <paramref name="dim"/> of x (contiguous F32); y contiguous with x's shape minus (or with
    /// size 1 at) dim. f32 accumulation: pairwise along the last dimension, in index order otherwise; an empty
    /// dimension gives zeros.
    /// </summary>
    void Sum(Tensor x, int dim, Tensor y);

    /// <summary>
    /// y[n] = Σ_r x[r, n] for x [rows, n] (contiguous F32), accumulated strictly in row order r = 0..rows−1 starting
    /// from zero (the Linear bias gradient).
    /// </summary>
    void SumRows(Tensor x, Tensor y);

    /// <summary>
    /// y = x summed over its broadcast dimensions (torch sum_to_size): y's shape broadcasts to x's; both contiguous F32.
    /// Each broadcast dimension is reduced from the outermost, in index order (deterministic for any thread count).
    /// </summary>
    void SumTo(Tensor x, Tensor y);

    /// <summary>
    /// values/indices = the largest (<see cref="ArgReduceOp.Max"/>) or smallest element along <paramref name="dim"/>
    /// of x (contiguous F32, non-empty dim) and its first index (I64); NaN wins, as in torch.
    /// </summary>
    void ArgReduce(ArgReduceOp op, Tensor x, int dim, Tensor values, Tensor indices);

    /// <summary>Σ x² of x (contiguous F32) accumulated in double in index order, returned to the host (gradient-norm clipping).</summary>
    double SumOfSquares(Tensor x);
}
