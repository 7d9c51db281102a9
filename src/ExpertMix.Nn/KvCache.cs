// Preallocated per-layer key/value cache [B, Hkv, Smax, Dh] for incremental decoding.
using ExpertMix.Tensors;

namespace ExpertMix.Nn;

/// <summary>
/// Keys and values of every layer, preallocated as [B, Hkv, Smax, Dh] in <see cref="DType"/>: F32 (the default, exact)
/// or BF16 (half the bytes: each appended key/value is rounded to bf16, round-to-nearest-even, as a torch bf16 model's
/// cache holds it; attention widens them exactly, see <see cref="Ops.ScaledDotProductAttention"/>). A forward appends its T new positions in
/// every layer (<see cref="Append"/> writes at <see cref="Length"/>), then the model calls <see cref="Advance"/>
/// once. Batched sequences of different lengths share one cache with left padding, masked by
/// <see cref="ForwardContext.AttentionMask"/>. Two independent caches serve X-LoRA's two passes.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;
    private KvCache? _companion;

    /// <summary>Allocates <paramref name="layers"/> × 2 zeroed buffers [batch, kvHeads, maxLength, headDim] of <paramref name="dtype"/> (F32 or BF16).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or <paramref name="dtype"/> is neither F32 nor BF16.</exception>
    public KvCache(int layers, int batch, int kvHeads, int maxLength, int headDim, DType dtype = DType.F32)
    {
        if (dtype is not (DType.F32 or DType.BF16)) throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "a KV cache stores F32 or BF16");
        foreach (var (v, n) in new[] { (layers, nameof(layers)), (batch, nameof(batch)), (kvHeads, nameof(kvHeads)), (maxLength, nameof(maxLength)), (headDim, nameof(headDim)) })
        {
            if (v <= 0) throw new ArgumentOutOfRangeException(n, v, "KV cache sizes must be positive");
        }
        Layers = layers;
        Batch = batch;
        KvHeads = kvHeads;
        MaxLength = maxLength;
        HeadDim = headDim;
        DType = dtype;
        _keys = new Tensor[layers];
        _values = new Tensor[layers];
        var shape = new Shape(batch, kvHeads, maxLength, headDim);
        for (int l = 0; l < layers; l++)
        {
            _keys[l] = TensorScope.Forget(Tensor.Zeros(shape, dtype));
            _values[l] = TensorScope.Forget(Tensor.Zeros(shape, dtype));
        }
    }

    /// <summary>Number of layers.</summary>
    public int Layers { get; }

    /// <summary>B.</summary>
    public int Batch { get; }

    /// <summary>Hkv.</summary>
    public int KvHeads { get; }

    /// <summary>Smax.</summary>
    public int MaxLength { get; }

    /// <summary>Dh.</summary>
    public int HeadDim { get; }

    /// <summary>Storage type of the keys and values (F32 or BF16).</summary>
    public DType DType { get; }

    /// <summary>Positions filled so far (the same in every layer between forwards).</summary>
    public int Length { get; private set; }

    /// <summary>Bytes held by the buffers (the companion's included).</summary>
    public long Bytes => 2L * Layers * Batch * KvHeads * MaxLength * HeadDim * DType.SizeOf() + (Companion?.Bytes ?? 0);

    /// <summary>
    /// A second cache owned by this one, for a model that runs two causal passes per forward (X-LoRA's scaling pass
    /// uses the companion, the real pass this cache): the two never share positions. Disposed, reset and truncated
    /// with this cache; set once.
    /// </summary>
    /// <exception cref="InvalidOperationException">Already set.</exception>
    public KvCache? Companion
    {
        get => _companion;
        set
        {
            if (_companion is not null) throw new InvalidOperationException("the KV cache already has a companion");
            _companion = value;
        }
    }

    /// <summary>
    /// Copies <paramref name="k"/>, <paramref name="v"/> [B, Hkv, T, Dh] (converted to <see cref="DType"/>) into positions [Length, Length + T) of
    /// <paramref name="layer"/> and returns views of the filled part [B, Hkv, Length + T, Dh] (caller disposes the views).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes do not match the cache.</exception>
    /// <exception cref="InvalidOperationException">The cache would overflow <see cref="MaxLength"/>, or k/v require grad while grad mode is on (the cache would silently cut their gradient).</exception>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor k, Tensor v)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        if ((uint)layer >= (uint)Layers) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"the cache has {Layers} layers");
        if (k.Rank != 4 || k.Size(0) != Batch || k.Size(1) != KvHeads || k.Size(3) != HeadDim || v.Shape != k.Shape)
        {
            throw new ArgumentException($"KV cache append: k {k.Shape}, v {v.Shape} must be [{Batch}, {KvHeads}, T, {HeadDim}]", nameof(k));
        }
        if (Autograd.IsEnabled && (k.RequiresGrad || v.RequiresGrad))
        {
            throw new InvalidOperationException("KV cache append of keys/values that require grad: the cache does not propagate gradients; run training forwards without a cache (or under Autograd.NoGrad)");
        }
        int t = k.Size(2);
        if (Length + t > MaxLength) throw new InvalidOperationException($"KV cache overflow: {Length} cached + {t} new > capacity {MaxLength}");
        using (Autograd.NoGrad())
        {
            using (var dk = _keys[layer].Narrow(2, Length, t)) dk.CopyFrom(k);
            using (var dv = _values[layer].Narrow(2, Length, t)) dv.CopyFrom(v);
        }
        return (_keys[layer].Narrow(2, 0, Length + t), _values[layer].Narrow(2, 0, Length + t));
    }

    /// <summary>Marks <paramref name="t"/> more positions as filled (called once per forward, after every layer appended).</summary>
    public void Advance(int t)
    {
        if (t < 0 || Length + t > MaxLength) throw new ArgumentOutOfRangeException(nameof(t), t, $"cannot advance {Length} by {t} within {MaxLength}");
        Length += t;
    }

    /// <summary>Forgets every position (buffers are kept).</summary>
    public void Reset()
    {
        Length = 0;
        _companion?.Reset();
    }

    /// <summary>Drops positions ≥ <paramref name="length"/>.</summary>
    public void Truncate(int length)
    {
        if ((uint)length > (uint)Length) throw new ArgumentOutOfRangeException(nameof(length), length, $"cache holds {Length}");
        Length = length;
        if (_companion is { } c && c.Length > length) c.Truncate(length);
    }

    /// <summary>Releases the buffers.</summary>
    public void Dispose()
    {
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
        _companion?.Dispose();
    }
}
