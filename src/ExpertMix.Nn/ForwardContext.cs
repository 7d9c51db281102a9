// All per-call state of a forward: cache, padding mask, positions, mode, logits selection, taps and typed slots.
using ExpertMix.Tensors;

namespace ExpertMix.Nn;

/// <summary>
/// Per-call state passed through every module. Model code reads only the cache, mask, positions, mode, logits
/// selection and tap sink; anything else (adapter scales, X-LoRA scalings) travels in typed slots
/// (<see cref="Set{T}"/>) that only the modules which asked for them read.
/// </summary>
/// <remarks>
/// Padding: <see cref="AttentionMask"/> is HF's <c>attention_mask</c>, [B, S] with S = cached length + T, 1 for a real
/// token and 0 for padding (left padding for batched generation). From it the model derives an additive mask
/// (0 or <see cref="float.MinValue"/>, so a fully padded query row stays finite) and, unless
/// <see cref="PositionIds"/> is given, HF's positions <c>cumsum(mask) − 1</c> (1 where the mask is 0).
/// The context does not own the tensors it refers to.
/// </remarks>
public sealed class ForwardContext
{
    private Dictionary<object, object?>? _slots;

    /// <summary>A context for an eval forward without cache, mask or sink.</summary>
    public ForwardContext()
    {
    }

    /// <summary>The KV cache to read and extend, or null for a full recompute.</summary>
    public KvCache? Cache { get; init; }

    /// <summary>Padding mask [B, PastLength + T] (any numeric dtype; nonzero = keep), or null when nothing is padded.</summary>
    public Tensor? AttentionMask { get; init; }

    /// <summary>Explicit absolute positions [B, T] or [T] (I32/I64), or null to derive them (see remarks).</summary>
    public Tensor? PositionIds { get; init; }

    /// <summary>Train or eval.</summary>
    public ForwardMode Mode { get; init; } = ForwardMode.Eval;

    /// <summary>Which positions get logits (all, or only the last one during generation).</summary>
    public LogitsSelection Logits { get; init; } = LogitsSelection.All;

    /// <summary>Logits (default) or the last hidden state (the LM head is skipped).</summary>
    public ModelOutput Output { get; init; } = ModelOutput.Logits;

    /// <summary>The activation sink, or null (then <see cref="Tap"/> does nothing).</summary>
    public IActivationSink? Sink { get; init; }

    /// <summary>Number of positions already in the cache (0 without a cache).</summary>
    public int PastLength => Cache?.Length ?? 0;

    /// <summary>Hands <paramref name="value"/> to the sink under <paramref name="name"/> and <paramref name="layer"/>; a no-op without a sink.</summary>
    public void Tap(string name, int layer, Tensor value) => Sink?.OnActivation(name, layer, value);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> (replacing any previous value).</summary>
    public ForwardContext Set<T>(ContextKey<T> key, T value)
    {
        ArgumentNullException.ThrowIfNull(key);
        (_slots ??= new Dictionary<object, object?>(ReferenceEqualityComparer.Instance))[key] = value;
        return this;
    }

    /// <summary>The value stored under <paramref name="key"/>, if any.</summary>
    public bool TryGet<T>(ContextKey<T> key, out T value)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_slots is not null && _slots.TryGetValue(key, out var v) && v is T t)
        {
            value = t;
            return true;
        }
        value = default!;
        return false;
    }

    /// <summary>
    /// A copy of this context (same cache, mode, logits selection, sink and typed slots) with another padding mask and
    /// position ids — for running one logical forward in several chunks.
    /// </summary>
    public ForwardContext WithInputs(Tensor? attentionMask, Tensor? positionIds) => Copy(Cache, attentionMask, positionIds, Logits, Output, Sink);

    /// <summary>
    /// A copy of this context (same mask, positions, mode and typed slots) for a second pass over the same inputs with
    /// its own <paramref name="cache"/>, logits selection and output, and no activation sink — X-LoRA's scaling pass.
    /// </summary>
    public ForwardContext ForPass(KvCache? cache, LogitsSelection logits, ModelOutput output) => Copy(cache, AttentionMask, PositionIds, logits, output, null);

    private ForwardContext Copy(KvCache? cache, Tensor? attentionMask, Tensor? positionIds, LogitsSelection logits, ModelOutput output, IActivationSink? sink) => new()
    {
        Cache = cache,
        AttentionMask = attentionMask,
        PositionIds = positionIds,
        Mode = Mode,
        Logits = logits,
        Output = output,
        Sink = sink,
        _slots = _slots is null ? null : new Dictionary<object, object?>(_slots, ReferenceEqualityComparer.Instance),
    };

    /// <summary>Removes the value under <paramref name="key"/>; true when there was one.</summary>
    public bool Remove<T>(ContextKey<T> key) => _slots is not null && _slots.Remove(key);
}
