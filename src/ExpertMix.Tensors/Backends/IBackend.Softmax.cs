// Backend seam, softmax family: softmax / log-softmax over the last dimension and their backward.
namespace ExpertMix.Tensors;

public partial interface IBackend
{
    /// <summary>Row-wise softmax or log-softmax of x [rows, cols] into y (both contiguous F32, same shape).</summary>
    void Softmax(SoftmaxKind kind, Tensor x, Tensor y);

    /// <summary>
    /// Backward from the saved output y and upstream dy into dx (all contiguous F32, same shape): softmax
    /// dx = y ⊙ (dy − Σ dy ⊙ y); log-softmax dx = dy − exp(y)·Σ dy.
    /// </summary>
    void SoftmaxBackward(SoftmaxKind kind, Tensor y, Tensor dy, Tensor dx);
}
