// Path-scoped weight loading: Scope("model").Scope("layers").Scope(0).Get("self_attn.q_proj.weight", [out, in]).
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Models;

/// <summary>
/// Hands out checkpoint tensors by dotted name under a prefix (candle's VarBuilder idea). Every <see cref="Get"/>
/// checks the shape and float dtype and fails with the full name, the file, and the expected and actual shape and
/// dtype; every consumed name is recorded so <see cref="UnusedNames"/> can report the rest. A meta source
/// (<see cref="Meta"/>) hands out shape-only tensors (<see cref="MetaTensor"/>) and records the requests, so a
/// manifest of a 1B model never allocates its weights. Returned tensors are owned by the caller (the model) and are
/// not registered in any <see cref="TensorScope"/>.
/// </summary>
public sealed class WeightSource
{
    private readonly State _state;

    private WeightSource(State state, string prefix)
    {
        _state = state;
        Prefix = prefix;
    }

    /// <summary>The dotted prefix of this scope ("" at the root, else ending in '.').</summary>
    public string Prefix { get; }

    /// <summary>True for a shape-only source.</summary>
    public bool IsMeta => _state.Source is null && _state.Random is null;

    /// <summary>The checkpoint's path (file or index) or "(meta)".</summary>
    public string Path => _state.Source?.Path ?? (_state.Random is null ? "(meta)" : "(random)");

    /// <summary>Every tensor requested so far, in request order.</summary>
    public IReadOnlyList<ManifestEntry> Requested => _state.Requested;

    /// <summary>A source over <paramref name="source"/> (not owned) applying <paramref name="policy"/>.</summary>
    public static WeightSource FromCheckpoint(ISafetensorsSource source, DTypePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new WeightSource(new State(source, policy, DType.F32), "");
    }

    /// <summary>A shape-only source whose tensors have <paramref name="dtype"/>.</summary>
    public static WeightSource Meta(DType dtype) => new(new State(null, DTypePolicy.Keep, dtype), "");

    /// <summary>
    /// A source of seeded random weights of <paramref name="dtype"/> for benchmarks of real shapes without a checkpoint:
    /// every required tensor (norm weights included) is drawn from N(0, 0.02²); optional tensors (biases) are absent.
    /// </summary>
    public static WeightSource Random(DType dtype, ulong seed) => new(new State(null, DTypePolicy.Keep, dtype) { Random = new Rng(seed) }, "");

    /// <summary>A child scope: prefix + <paramref name="name"/> + '.'.</summary>
    public WeightSource Scope(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new WeightSource(_state, Prefix + name + ".");
    }

    /// <summary>A child scope for list index <paramref name="index"/> (e.g. <c>layers.3.</c>).</summary>
    public WeightSource Scope(int index) => Scope(index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The full dotted name of <paramref name="name"/> in this scope.</summary>
    public string FullName(string name) => Prefix + name;

    /// <summary>True when the checkpoint holds prefix + <paramref name="name"/> (always false for a meta source).</summary>
    public bool Contains(string name) => _state.Source?.Contains(FullName(name)) ?? false;

    /// <summary>The tensor prefix + <paramref name="name"/> with shape <paramref name="shape"/>.</summary>
    /// <exception cref="InvalidDataException">Missing, wrong shape or non-float dtype; the message names the file and the full tensor name.</exception>
    public Tensor Get(string name, params int[] shape) => Load(name, shape, optional: false)!;

    /// <summary>Like <see cref="Get"/>, but null when the checkpoint lacks the tensor (declared optional). A meta source returns null.</summary>
    public Tensor? GetOptional(string name, params int[] shape) => Load(name, shape, optional: true);

    /// <summary>
    /// Declares that prefix + <paramref name="name"/>, when present, duplicates a tensor loaded elsewhere (tied
    /// lm_head) or is a non-parameter buffer (GPT-2's attn.bias): it counts as consumed and is not loaded.
    /// </summary>
    public void DeclareConsumed(string name)
    {
        lock (_state) _state.Used.Add(FullName(name));
    }

    /// <summary>Checkpoint tensors no <see cref="Get"/>/<see cref="DeclareConsumed"/> touched, in checkpoint order.</summary>
    public IReadOnlyList<string> UnusedNames()
    {
        if (_state.Source is null) return [];
        lock (_state) return _state.Source.Names.Where(n => !_state.Used.Contains(n)).ToArray();
    }

    /// <summary>Disposes every tensor handed out so far (a failed load releases what it had mapped or converted).</summary>
    public void DisposeHandedOut()
    {
        lock (_state)
        {
            foreach (var t in _state.Handed) t.Dispose();
            _state.Handed.Clear();
        }
    }

    private Tensor? Load(string name, int[] shape, bool optional)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        string full = FullName(name);
        var expected = new Shape(shape);
        var src = _state.Source;
        if (src is null && _state.Random is { } rng)
        {
            if (optional) return null;
            Tensor r;
            lock (_state)
            {
                r = RandomTensor(expected, _state.MetaDType, rng);
                _state.Requested.Add(new ManifestEntry(full, expected, _state.MetaDType, optional));
            }
            r.Name = full;
            lock (_state) _state.Handed.Add(r);
            return TensorScope.Forget(r);
        }
        if (src is null)
        {
            if (optional) return null;
            lock (_state) _state.Requested.Add(new ManifestEntry(full, expected, _state.MetaDType, optional));
            return TensorScope.Forget(MetaTensor.Create(expected, _state.MetaDType));
        }
        if (!src.Contains(full))
        {
            if (optional) return null;
            throw new InvalidDataException($"{src.Path}: missing tensor '{full}' (expected shape {expected})");
        }
        var info = src.GetInfo(full);
        if (info.DType is not (DType.F32 or DType.F16 or DType.BF16))
        {
            throw new InvalidDataException($"{info.File}: tensor '{full}' has dtype {info.DType.SafetensorsName()}, expected a float (F32, F16 or BF16) of shape {expected}");
        }
        if (info.Shape != expected)
        {
            throw new InvalidDataException($"{info.File}: tensor '{full}' has shape {info.Shape} {info.DType.SafetensorsName()}, expected {expected} (a float dtype)");
        }
        Tensor t;
        try
        {
            t = src.GetTensor(full);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{info.File}: cannot read tensor '{full}': {e.Message}", e);
        }
        if (_state.Policy == DTypePolicy.F32 && t.DType != DType.F32)
        {
            var f = t.Compact(DType.F32); // exactly sized: weights live as long as the model
            t.Dispose();
            t = f;
        }
        t.Name = full;
        lock (_state)
        {
            _state.Handed.Add(t);
            _state.Used.Add(full);
            _state.Requested.Add(new ManifestEntry(full, expected, t.DType, optional));
        }
        return TensorScope.Forget(t);
    }

    /// <summary>N(0, 0.02²) values drawn straight into <paramref name="dtype"/> storage (no f32 copy of the whole tensor).</summary>
    private static Tensor RandomTensor(Shape shape, DType dtype, Rng rng)
    {
        if (dtype is not (DType.F32 or DType.BF16)) throw new NotSupportedException($"random weights in {dtype.SafetensorsName()} (use F32 or BF16)");
        var t = Tensor.EmptyExact(shape, dtype);
        if (dtype == DType.F32)
        {
            var values = t.Span;
            for (int i = 0; i < values.Length; i++) values[i] = (float)rng.NextNormal() * 0.02f;
            return t;
        }
        var bits = t.AsSpan<ushort>();
        for (int i = 0; i < bits.Length; i++) bits[i] = Bf16.FromSingle(0.02f * (float)rng.NextNormal());
        return t;
    }

    private sealed class State(ISafetensorsSource? source, DTypePolicy policy, DType metaDType)
    {
        public ISafetensorsSource? Source { get; } = source;
        public DTypePolicy Policy { get; } = policy;
        public DType MetaDType { get; } = metaDType;
        public HashSet<string> Used { get; } = new(StringComparer.Ordinal);
        public List<ManifestEntry> Requested { get; } = [];
        public Rng? Random { get; init; }
        public List<Tensor> Handed { get; } = [];
    }
}
