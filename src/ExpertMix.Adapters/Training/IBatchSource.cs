// An endless, resumable stream of training batches (the data pipeline implements it; the trainer consumes it).
namespace ExpertMix.Adapters.Training;

/// <summary>
/// Yields training batches epoch after epoch (reshuffled per epoch by seed). Its position is serialisable so a
/// resumed run sees exactly the batches the uninterrupted run would have seen.
/// </summary>
internal interface IBatchSource
{
    /// <summary>Batches in one epoch.</summary>
    int BatchesPerEpoch { get; }

    /// <summary>The next batch (caller owns it); wraps into the next epoch.</summary>
    TrainingBatch Next();

    /// <summary>The current position (epoch, cursor, shuffle state) as a JSON string.</summary>
    string SaveState();

    /// <summary>Restores a position written by <see cref="SaveState"/>.</summary>
    /// <exception cref="InvalidDataException">The state is malformed or belongs to different data.</exception>
    void RestoreState(string state);
}
