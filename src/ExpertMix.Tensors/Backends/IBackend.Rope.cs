// Backend seam, rotary-embedding family: cos/sin table and the rotation (forward and inverse for backward).
namespace ExpertMix.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// cos/sin [..., T, Dh/2] (contiguous F32, same shape), row-major over positions: θ = (float)positions[p]·invFreq[i]
    /// in f32, cos[p, i] = cos θ, sin[p, i] = sin θ (HF: freqs = pos ⊗ inv_freq).
    /// </summary>
    void RopeTable(ReadOnlySpan<float> invFreq, ReadOnlySpan<long> positions, Tensor cos, Tensor sin);

    /// <summary>
    /// y = rotate(x) for x [B, H, T, Dh] with cos/sin [T, Dh/2] or [B, T, Dh/2] (all contiguous F32):
    /// <see cref="RopeStyle.Half"/> pairs (i, i + Dh/2), <see cref="RopeStyle.Interleaved"/> pairs (2i, 2i + 1).
    /// </summary>
    void Rope(RopeStyle style, Tensor x, Tensor cos, Tensor sin, Tensor y);

    /// <summary>dx = rotate⁻¹(dy) (the transpose of <see cref="Rope"/>, i.e. rotation by −angle). Layouts as Rope.</summary>
    void RopeBackward(RopeStyle style, Tensor dy, Tensor cos, Tensor sin, Tensor dx);
}
