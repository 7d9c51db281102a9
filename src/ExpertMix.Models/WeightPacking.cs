// Whether linears keep a pre-packed f32 copy of their weight for multi-row (prefill) products.
namespace ExpertMix.Models;

/// <summary>Pre-packing of projection weights after loading.</summary>
public enum WeightPacking
{
    /// <summary>No packed copies: the GEMM packs per call (cheap next to a long prefill) and memory stays at the weights' size.</summary>
    None,

    /// <summary>Every F32/BF16 linear keeps a packed f32 copy (4 bytes per weight element extra) so prefill skips per-call packing; decode (one row) still streams the original weight.</summary>
    Prefill,
}
