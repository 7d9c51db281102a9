// One line of a parameter manifest: full checkpoint name, shape and dtype.
using ExpertMix.Tensors;

namespace ExpertMix.Models;

/// <summary>A tensor an architecture asked for: its full dotted name, the expected shape and the dtype it got.</summary>
public sealed record ManifestEntry(string Name, Shape Shape, DType DType, bool Optional)
{
    /// <summary><c>name [d0, d1] DTYPE</c> (plus <c> optional</c>).</summary>
    public override string ToString() => $"{Name} {Shape} {DType.SafetensorsName()}{(Optional ? " optional" : "")}";
}
