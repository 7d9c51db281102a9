// One sequence's scalings across log entries: prefill + decode steps of one batch row, ordered by position.
namespace ExpertMix.Adapters.XLora;

/// <summary>
/// λ of one batch row along the sequence: Values [T, L, n] row-major (Lx = 1 expanded to every module), one column
/// per distinct position, ascending. Built from log entries where entry e covers positions
/// PastLength_e + t (t = 0..Tokens_e − 1); when several entries cover a position (a no-cache run logs the whole
/// sequence every step) the latest entry wins.
/// </summary>
/// <param name="Positions">Absolute positions, ascending [T].</param>
/// <param name="TokenIds">Token ids [T].</param>
/// <param name="TokenTexts">Token text [T] (raw, not made visible).</param>
/// <param name="Values">λ [T, L, n].</param>
/// <param name="Layers">L.</param>
/// <param name="Experts">n.</param>
internal sealed record XLoraScalingsSequence(int[] Positions, int[] TokenIds, string[] TokenTexts, float[] Values, int Layers, int Experts)
{
    /// <summary>T: the number of tokens.</summary>
    public int Length => Positions.Length;

    /// <summary>λ[t, ℓ, i].</summary>
    public float At(int t, int layer, int expert) => Values[((t * Layers) + layer) * Experts + expert];

    /// <summary>
    /// The sequence of batch row <paramref name="batchRow"/> across <paramref name="entries"/> (checked against
    /// <paramref name="labels"/>). Pass the entries of one generation, e.g. <see cref="LastSequence"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An entry does not fit the labels or lacks the batch row.</exception>
    public static XLoraScalingsSequence Build(IReadOnlyList<XLoraScalingsEntry> entries, XLoraScalingsLabels labels, int batchRow = 0)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(labels);
        labels.Validate(entries);
        var at = new SortedDictionary<int, (int Entry, int Token)>();
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            if (batchRow < 0 || batchRow >= e.Batch) throw new ArgumentException($"X-LoRA scalings entry {i} has batch {e.Batch}; it has no row {batchRow}");
            for (int t = 0; t < e.Tokens; t++) at[e.PastLength + t] = (i, t);
        }
        int len = at.Count, l = labels.ModuleCount, n = labels.AdapterCount;
        var positions = new int[len];
        var ids = new int[len];
        var texts = new string[len];
        var values = new float[(long)len * l * n];                                           // [T, L, n]
        int col = 0;
        foreach (var (pos, (ei, t)) in at)
        {
            var e = entries[ei];
            positions[col] = pos;
            ids[col] = e.TokenIds[batchRow * e.Tokens + t];
            texts[col] = labels.TokenText(ei, e, batchRow, t);
            for (int layer = 0; layer < l; layer++)
            {
                for (int x = 0; x < n; x++) values[((col * l) + layer) * n + x] = e.At(batchRow, t, layer, x);
            }
            col++;
        }
        return new XLoraScalingsSequence(positions, ids, texts, values, l, n);
    }

    /// <summary>
    /// The entries of the last generation in a log: from the last entry that starts at position 0 (a prefill, or a
    /// no-cache step that re-scores the whole sequence) to the end; all entries when none starts at 0.
    /// </summary>
    public static IReadOnlyList<XLoraScalingsEntry> LastSequence(IReadOnlyList<XLoraScalingsEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        int start = 0;
        for (int i = entries.Count - 1; i >= 0; i--)
        {
            if (entries[i].PastLength == 0)
            {
                start = i;
                break;
            }
        }
        return [.. entries.Skip(start)];
    }
}
