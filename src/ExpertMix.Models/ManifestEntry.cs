// One line of a parameter manifest: full checkpoint name, shape and dtype.
using ExpertMix.Tensors;

namespace ExpertMix.Models;

/// <summary>A tensor an architecture asked for: its full dotted name, the expected shape and the dtype it got.</summary>
/// <param name="Name">Full dotted checkpoint name, e.g. <c>model.layers.0.self_attn.q_proj.weight</c>.</param>
/// <param name="Shape">The shape the architecture expects.</param>
/// <param name="DType">The storage dtype handed out.</param>
/// <param name="Optional">True for tensors that may be absent (e.g. a tied <c>lm_head.weight</c>).</param>
public sealed record ManifestEntry(string Name, Shape Shape, DType DType, bool Optional)
{
    /// <summary><c>name [d0, d1] DTYPE</c> (plus <c> optional</c>).</summary>
    public override string ToString() => $"{Name} {Shape} {DType.SafetensorsName()}{(Optional ? " optional" : "")}";
}
