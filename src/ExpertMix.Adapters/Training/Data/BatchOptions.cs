// Options of a batch source: batch size, shuffle seed and mode, last-batch policy, fixed length, pad id.
namespace ExpertMix.Adapters.Training.Data;

/// <summary>Whether a batch source reorders the sequences every epoch.</summary>
internal enum ShuffleMode
{
    /// <summary>A fresh Fisher–Yates permutation per epoch from the seeded generator; the default.</summary>
    PerEpoch,

    /// <summary>Data order every epoch.</summary>
    None,
}

/// <summary>What happens to a final batch with fewer than BatchSize sequences.</summary>
internal enum LastBatchPolicy
{
    /// <summary>Yield it (smaller B); the default.</summary>
    Keep,

    /// <summary>Skip it (every batch has exactly BatchSize rows; the skipped sequences differ per epoch when shuffled).</summary>
    Drop,
}

/// <summary>Options of <see cref="JsonlBatchSource"/>.</summary>
internal sealed record BatchOptions
{
    /// <summary>Sequences per batch (B ≥ 1). Default 8.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Seed of the per-epoch shuffle.</summary>
    public ulong Seed { get; init; }

    /// <summary>Shuffle mode. Default <see cref="ShuffleMode.PerEpoch"/>.</summary>
    public ShuffleMode Shuffle { get; init; } = ShuffleMode.PerEpoch;

    /// <summary>Last-batch policy. Default <see cref="LastBatchPolicy.Keep"/>.</summary>
    public LastBatchPolicy LastBatch { get; init; } = LastBatchPolicy.Keep;

    /// <summary>T of every batch (MaxLength under Pad and Pack), or null to pad each batch to its longest sequence.</summary>
    public int? FixedLength { get; init; }

    /// <summary>The id written into padded positions (attention 0, label −100).</summary>
    public int PadId { get; init; }

    /// <summary>The batch options matching <paramref name="data"/>'s length policy: FixedLength = MaxLength under Pad/Pack, else null.</summary>
    public static BatchOptions For(DataOptions data, int batchSize, ulong seed, int padId)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new BatchOptions
        {
            BatchSize = batchSize,
            Seed = seed,
            PadId = padId,
            FixedLength = data.Length == LengthPolicy.Truncate ? null : data.MaxLength,
        };
    }

    /// <summary>Checks ranges.</summary>
    /// <exception cref="ArgumentOutOfRangeException">BatchSize &lt; 1 or FixedLength &lt; 1.</exception>
    public void Validate()
    {
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchOptions.BatchSize must be ≥ 1");
        if (FixedLength is < 1) throw new ArgumentOutOfRangeException(nameof(FixedLength), FixedLength, "BatchOptions.FixedLength must be ≥ 1");
    }
}
