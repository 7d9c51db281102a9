// Endless, exactly resumable stream of shuffled batches over tokenised sequences; plus one ordered validation pass.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Training.Data;

/// <summary>
/// Batches over a fixed list of sequences (see <see cref="SequenceLayout.Arrange"/>). Epoch e visits the sequences
/// in the order of a Fisher–Yates permutation drawn from one <see cref="Rng"/> seeded with
/// <see cref="BatchOptions.Seed"/> (the generator continues across epochs), B at a time. The position (epoch,
/// cursor = batches taken this epoch, the generator's state at the start of the epoch) plus a fingerprint of the
/// data and the batch settings is the JSON state; restoring it regenerates the epoch's permutation, so the batches
/// after <see cref="RestoreState"/> equal those of the uninterrupted run.
/// </summary>
internal sealed class JsonlBatchSource : IBatchSource
{
    private const string Format = "expertmix.batch-source/1";
    private readonly IReadOnlyList<TokenizedExample> _sequences;
    private readonly BatchOptions _options;
    private readonly Rng _rng;
    private ulong[] _epochStart;
    private int[] _order;
    private int _cursor;

    /// <summary>Creates a source at epoch 0, cursor 0.</summary>
    /// <exception cref="ArgumentException">No sequences, or fewer than one batch under <see cref="LastBatchPolicy.Drop"/>, or a sequence longer than FixedLength.</exception>
    public JsonlBatchSource(IReadOnlyList<TokenizedExample> sequences, BatchOptions options)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (sequences.Count == 0) throw new ArgumentException("a batch source needs at least one sequence", nameof(sequences));
        if (options.FixedLength is int t && sequences.Any(s => s.Length > t))
            throw new ArgumentException($"a sequence is longer than the fixed batch length {t}; arrange (truncate or pack) first", nameof(sequences));
        _sequences = sequences;
        _options = options;
        BatchesPerEpoch = options.LastBatch == LastBatchPolicy.Drop
            ? sequences.Count / options.BatchSize
            : (sequences.Count + options.BatchSize - 1) / options.BatchSize;
        if (BatchesPerEpoch == 0)
            throw new ArgumentException($"{sequences.Count} sequences make no full batch of {options.BatchSize} (LastBatchPolicy.Drop)", nameof(sequences));
        Fingerprint = ComputeFingerprint(sequences);
        _rng = new Rng(options.Seed);
        (_epochStart, _order) = StartEpoch();
    }

    /// <inheritdoc/>
    public int BatchesPerEpoch { get; }

    /// <summary>The current epoch (0-based).</summary>
    public int Epoch { get; private set; }

    /// <summary>Batches already taken in the current epoch.</summary>
    public int Cursor => _cursor;

    /// <summary>Number of sequences.</summary>
    public int Count => _sequences.Count;

    /// <summary>The data fingerprint stored in the state (see <see cref="ComputeFingerprint"/>).</summary>
    public string Fingerprint { get; }

    /// <inheritdoc/>
    public TrainingBatch Next()
    {
        if (_cursor == BatchesPerEpoch)
        {
            Epoch++;
            _cursor = 0;
            (_epochStart, _order) = StartEpoch();
        }
        int from = _cursor * _options.BatchSize, to = Math.Min(_sequences.Count, from + _options.BatchSize);
        var rows = new TokenizedExample[to - from];
        for (int i = from; i < to; i++) rows[i - from] = _sequences[_order[i]];
        _cursor++;
        return SequenceLayout.Collate(rows, _options.FixedLength, _options.PadId);
    }

    /// <summary>The sequence indices of the current epoch's order (for tests and logging).</summary>
    public IReadOnlyList<int> EpochOrder => _order;

    private (ulong[] State, int[] Order) StartEpoch()
    {
        var state = _rng.GetState();
        int n = _sequences.Count;
        if (_options.Shuffle == ShuffleMode.None) return (state, Enumerable.Range(0, n).ToArray());
        return (state, DataSplit.Permutation(n, _rng));
    }

    /// <summary>
    /// Each sequence once, in data order, B at a time, e.g. for validation; a smaller last batch is yielded or
    /// skipped per <see cref="BatchOptions.LastBatch"/>. Each batch is created when enumerated and owned by the caller.
    /// </summary>
    public static IEnumerable<TrainingBatch> InOrder(IReadOnlyList<TokenizedExample> sequences, BatchOptions options)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        for (int from = 0; from < sequences.Count; from += options.BatchSize)
        {
            int to = Math.Min(sequences.Count, from + options.BatchSize);
            if (to - from < options.BatchSize && options.LastBatch == LastBatchPolicy.Drop) yield break;
            var rows = new TokenizedExample[to - from];
            for (int i = from; i < to; i++) rows[i - from] = sequences[i];
            yield return SequenceLayout.Collate(rows, options.FixedLength, options.PadId);
        }
    }

    /// <summary>
    /// "n=&lt;count&gt;;sha256=&lt;hex&gt;": SHA-256 over the count and, for the first and last sequence, their length,
    /// ids and labels (little-endian int32), truncated to 16 hex digits.
    /// </summary>
    public static string ComputeFingerprint(IReadOnlyList<TokenizedExample> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(BitConverter.GetBytes(sequences.Count));
        if (sequences.Count > 0)
        {
            foreach (var s in new[] { sequences[0], sequences[^1] })
            {
                sha.AppendData(BitConverter.GetBytes(s.Length));
                sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(s.InputIds.AsSpan()));
                sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(s.Labels.AsSpan()));
            }
        }
        return $"n={sequences.Count};sha256={Convert.ToHexStringLower(sha.GetHashAndReset())[..16]}";
    }

    /// <inheritdoc/>
    public string SaveState()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteString("fingerprint", Fingerprint);
            w.WriteNumber("batch_size", _options.BatchSize);
            w.WriteNumber("seed", _options.Seed);
            w.WriteString("shuffle", _options.Shuffle.ToString());
            w.WriteString("last_batch", _options.LastBatch.ToString());
            w.WriteNumber("epoch", Epoch);
            w.WriteNumber("cursor", _cursor);
            w.WriteStartArray("rng");
            foreach (ulong word in _epochStart) w.WriteStringValue(word.ToString("x16", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <inheritdoc/>
    public void RestoreState(string state)
    {
        ArgumentNullException.ThrowIfNull(state);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(state);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"batch source state: not valid JSON ({e.Message})", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException("batch source state: expected a JSON object");
            Expect(root, "format", Format);
            Expect(root, "fingerprint", Fingerprint, " (the state belongs to different data)");
            ExpectNumber(root, "batch_size", _options.BatchSize);
            Expect(root, "seed", _options.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), kind: JsonValueKind.Number);
            Expect(root, "shuffle", _options.Shuffle.ToString());
            Expect(root, "last_batch", _options.LastBatch.ToString());
            int epoch = Int(root, "epoch"), cursor = Int(root, "cursor");
            if (epoch < 0 || cursor < 0 || cursor > BatchesPerEpoch)
                throw new InvalidDataException($"batch source state: epoch {epoch} / cursor {cursor} out of range (0 ≤ cursor ≤ {BatchesPerEpoch})");
            if (!root.TryGetProperty("rng", out var rngEl) || rngEl.ValueKind != JsonValueKind.Array || rngEl.GetArrayLength() != 6)
                throw new InvalidDataException("batch source state: \"rng\" must be an array of 6 hex words");
            var words = new ulong[6];
            int i = 0;
            foreach (var w in rngEl.EnumerateArray())
            {
                if (w.ValueKind != JsonValueKind.String || !ulong.TryParse(w.GetString(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out words[i++]))
                    throw new InvalidDataException("batch source state: \"rng\" words must be hex strings");
            }
            _rng.SetState(words);
            (_epochStart, _order) = StartEpoch();
            Epoch = epoch;
            _cursor = cursor;
        }
    }

    private static void Expect(JsonElement root, string key, string expected, string why = "", JsonValueKind kind = JsonValueKind.String)
    {
        if (!root.TryGetProperty(key, out var v) || v.ValueKind != kind)
            throw new InvalidDataException($"batch source state: missing or mistyped \"{key}\"");
        string got = kind == JsonValueKind.String ? v.GetString()! : v.GetRawText();
        if (got != expected) throw new InvalidDataException($"batch source state: \"{key}\" is {got}, this source has {expected}{why}");
    }

    private static void ExpectNumber(JsonElement root, string key, int expected) =>
        Expect(root, key, expected.ToString(System.Globalization.CultureInfo.InvariantCulture), kind: JsonValueKind.Number);

    private static int Int(JsonElement root, string key) =>
        root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int x)
            ? x
            : throw new InvalidDataException($"batch source state: \"{key}\" must be an integer");
}
