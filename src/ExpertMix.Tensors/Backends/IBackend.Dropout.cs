// Backend seam, dropout family: the seeded keep/scale mask of inverted dropout.
namespace ExpertMix.Tensors;

public partial interface IBackend
{
    /// <summary>
    /// Fills mask (contiguous F32) with 1/(1 − p) where a uniform draw u ∈ [0, 1) has u ≥ p, else 0 (all 0 when p = 1).
    /// Element i draws from the stream seeded seed + ⌊i / 16384⌋·0x9E3779B97F4A7C15 (<see cref="Rng"/>), so the mask
    /// depends only on the seed, never on the thread count.
    /// </summary>
    void DropoutMask(ulong seed, float p, Tensor mask);
}
