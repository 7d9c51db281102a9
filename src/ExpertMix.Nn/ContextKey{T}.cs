// A typed key of a ForwardContext slot (adapter scales, X-LoRA scalings, … ride along without the model knowing).
namespace ExpertMix.Nn;

/// <summary>A typed slot key for <see cref="ForwardContext.Set{T}"/> / <see cref="ForwardContext.TryGet{T}"/>; compared by reference.</summary>
/// <typeparam name="T">The value type stored under the key.</typeparam>
public sealed class ContextKey<T>
{
    /// <summary>Creates a key; <paramref name="name"/> is for diagnostics only.</summary>
    public ContextKey(string name) => Name = name ?? throw new ArgumentNullException(nameof(name));

    /// <summary>The diagnostic name.</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
