// A bounded log of the gate's scalings, one entry per forward call: [b, s_new, Lx, n] plus the tokens it scored.
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.XLora;

/// <summary>Which scalings the log records.</summary>
public enum XLoraLogPoint
{
    /// <summary>λ after softmax/temperature, before top-k (what the references log).</summary>
    BeforeTopK,

    /// <summary>λ as applied, after top-k.</summary>
    AfterTopK,
}

/// <summary>One logged forward call: λ [Batch, Tokens, Layers, Experts] (Layers = Lx: 1 when not layerwise) and its tokens.</summary>
/// <param name="Values">λ row-major [Batch, Tokens, Layers, Experts] (a copy).</param>
/// <param name="Batch">b.</param>
/// <param name="Tokens">s_new: tokens scored by this call (prompt length at prefill, 1 per cached decode step).</param>
/// <param name="Layers">Lx.</param>
/// <param name="Experts">n.</param>
/// <param name="TokenIds">The call's input ids [Batch, Tokens].</param>
/// <param name="PastLength">Positions already cached before the call.</param>
public sealed record XLoraScalingsEntry(float[] Values, int Batch, int Tokens, int Layers, int Experts, int[] TokenIds, int PastLength)
{
    /// <summary>λ[b, t, ℓ, i] (ℓ is taken modulo Lx, so a non-layerwise entry answers for every module).</summary>
    public float At(int b, int t, int layer, int expert) => Values[(((b * Tokens) + t) * Layers + (Layers == 1 ? 0 : layer)) * Experts + expert];
}

/// <summary>
/// Bounded in memory: at most <see cref="CapacityValues"/> floats are kept; when a new entry would exceed it the
/// oldest entries are dropped (counted in <see cref="Dropped"/>). Entries are copies, never views of live buffers.
/// </summary>
public sealed class XLoraScalingsLog
{
    private readonly LinkedList<XLoraScalingsEntry> _entries = new();
    private long _values;

    /// <summary>Whether forwards append to the log (off by default).</summary>
    public bool Enabled { get; set; }

    /// <summary>Which scalings are recorded.</summary>
    public XLoraLogPoint Point { get; set; } = XLoraLogPoint.BeforeTopK;

    /// <summary>The most floats kept (default 16 Mi = 64 MiB).</summary>
    public long CapacityValues { get; set; } = 16L << 20;

    /// <summary>Entries dropped to stay within the capacity.</summary>
    public long Dropped { get; private set; }

    /// <summary>The entries, oldest first.</summary>
    public IReadOnlyList<XLoraScalingsEntry> Entries => [.. _entries];

    /// <summary>Empties the log.</summary>
    public void Clear()
    {
        _entries.Clear();
        _values = 0;
        Dropped = 0;
    }

    /// <summary>Appends λ <paramref name="scalings"/> [B, T, Lx, n] scored on <paramref name="inputIds"/> [B, T] (copies both).</summary>
    internal void Append(Tensor scalings, Tensor inputIds, int pastLength)
    {
        ArgumentNullException.ThrowIfNull(scalings);
        ArgumentNullException.ThrowIfNull(inputIds);
        if (!Enabled) return;
        var entry = new XLoraScalingsEntry(scalings.ToArray(), scalings.Size(0), scalings.Size(1), scalings.Size(2), scalings.Size(3),
            [.. inputIds.ToInt64Array().Select(v => (int)v)], pastLength);
        _entries.AddLast(entry);
        _values += entry.Values.Length;
        while (_values > CapacityValues && _entries.Count > 1)
        {
            _values -= _entries.First!.Value.Values.Length;
            _entries.RemoveFirst();
            Dropped++;
        }
    }

    /// <summary>Entry indices grouped by sequence length s_new (the xlora bucketed view, keyed by length, not batch).</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<int>> BySequenceLength()
    {
        var map = new SortedDictionary<int, List<int>>();
        int i = 0;
        foreach (var e in _entries)
        {
            if (!map.TryGetValue(e.Tokens, out var list)) map[e.Tokens] = list = [];
            list.Add(i++);
        }
        return map.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<int>)kv.Value);
    }
}
