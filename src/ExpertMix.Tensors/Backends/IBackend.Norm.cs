// Backend seam, normalisation family: LayerNorm and RMSNorm over the last dimension, forward and fused backward.
namespace ExpertMix.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// Row-wise LayerNorm of x [rows, n] (contiguous F32): mean[r] = μ, rstd[r] = 1/√(σ²+ε) (biased σ²),
    /// y = (x − μ)·rstd·w + b. weight/bias: contiguous F32 [n] or null (1 / 0). y like x; mean, rstd: [rows].
    /// </summary>
    void LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps, Tensor y, Tensor mean, Tensor rstd);

    /// <summary>
    /// LayerNorm backward from the saved x, mean, rstd and upstream dy (all contiguous F32). Writes dx (same shape as
    /// x) and accumulates dw = Σ_rows dy·x̂, db = Σ_rows dy into zero-filled [n] tensors; any output may be null.
    /// </summary>
    void LayerNormBackward(Tensor x, Tensor dy, Tensor? weight, Tensor mean, Tensor rstd, Tensor? dx, Tensor? dweight, Tensor? dbias);

    /// <summary>Row-wise RMSNorm: rstd[r] = 1/√(mean(x²)+ε), y = x·rstd·w. Layouts as <see cref="LayerNorm"/>.</summary>
    void RmsNorm(Tensor x, Tensor? weight, float eps, Tensor y, Tensor rstd);

    /// <summary>RMSNorm backward: dx and dw = Σ_rows dy·x̂ (into a zero-filled [n] tensor); either may be null.</summary>
    void RmsNormBackward(Tensor x, Tensor dy, Tensor? weight, Tensor rstd, Tensor? dx, Tensor? dweight);
}
