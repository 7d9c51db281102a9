// How weights are stored after loading.
namespace ExpertMix.Models;

/// <summary>Storage dtype of loaded weights.</summary>
public enum DTypePolicy
{
    /// <summary>Keep each tensor in its checkpoint dtype (F32, F16 or BF16), memory-mapped without a copy.</summary>
    Keep,

    /// <summary>Convert every tensor to F32 (<c>--dtype f32</c>).</summary>
    F32,
}
