// Training one LoRA adapter on a frozen base, set up exactly as `expertmix lora train` does: options, the prepared run, its result.
using ExpertMix.Adapters.Training;
using ExpertMix.Adapters.Training.Data;
using ExpertMix.Models;
using ExpertMix.Models.Tokenization;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Lora;

/// <summary>
/// Options of <see cref="LoraAdapter.Train(ICausalLm, Tokenizer, IReadOnlyList{string}, LoraTrainingOptions, ITrainingObserver, CancellationToken)"/>
/// and <see cref="LoraTrainingRun"/>; each member is the typed form of a <c>lora train</c> flag and defaults as the
/// library types do (the CLI's defaults differ only where its flags say so, e.g. α = 2r).
/// </summary>
public sealed record LoraTrainingOptions
{
    /// <summary>The adapter: rank, α, targets (<see cref="TargetModules.PeftDefault"/> for PEFT's per-architecture default), dropout, init.</summary>
    public required LoraConfig Lora { get; init; }

    /// <summary>The trainer: output folder, steps, learning rate, schedule, evaluation, checkpoints, seed, resume.</summary>
    public required TrainerOptions Trainer { get; init; }

    /// <summary>Tokenisation and length policy of the data (<c>--max-length</c>, <c>--length</c>, <c>--loss-on</c>).</summary>
    public DataOptions Data { get; init; } = new();

    /// <summary>The validation split (<c>--validation</c>, default 10% of the rows).</summary>
    public ValidationSize Validation { get; init; } = ValidationSize.OfFraction(0.1);

    /// <summary>Seed of the train/validation split (<c>--split-seed</c>).</summary>
    public ulong SplitSeed { get; init; } = 42;

    /// <summary>Sequences per micro-batch (<c>--batch-size</c>).</summary>
    public int BatchSize { get; init; } = 8;
}

/// <summary>
/// A LoRA training run set up and not yet started: the base model wrapped by a <see cref="LoraHost"/>, a new adapter
/// attached with weight 1 (named after the output folder, initialised from an <see cref="Rng"/> seeded with
/// <see cref="TrainerOptions.Seed"/> ^ 0x5EED10AA so that the init, the shuffling and dropout differ), and the data
/// split and tokenised. Without validation sequences there is no best checkpoint and the final weights are exported.
/// This is what <c>expertmix lora train</c> runs, so the same options give the same adapter bit for bit. Disposing
/// restores the model's projections and frees the in-memory adapter (the exported one stays on disk).
/// </summary>
internal sealed class LoraTrainingRun : IDisposable
{
    private const ulong InitSeedSalt = 0x5EED_10AAUL;
    private readonly LoraHost _host;
    private readonly LoraTrainable _trainable;

    private LoraTrainingRun(LoraHost host, LoraAdapter adapter, TrainingData data, LoraTrainingOptions options)
    {
        _host = host;
        Adapter = adapter;
        _trainable = new LoraTrainable(host, adapter);
        Data = data;
        Options = options;
        Trainer = data.Validation.Count > 0 ? options.Trainer : options.Trainer with { BestCheckpoint = BestCheckpointPolicy.None, Export = ArtifactExport.Final };
    }

    /// <summary>The adapter being trained (attached to the model; owned by the run).</summary>
    public LoraAdapter Adapter { get; }

    /// <summary>The split, tokenised and arranged data.</summary>
    public TrainingData Data { get; }

    /// <summary>The options the run was created with.</summary>
    public LoraTrainingOptions Options { get; }

    /// <summary>The trainer options in effect (<see cref="LoraTrainingOptions.Trainer"/>, adjusted when there is no validation set).</summary>
    public TrainerOptions Trainer { get; }

    /// <summary>Reads <paramref name="dataFiles"/> (JSONL rows: text, prompt/completion or messages) and prepares the run on <paramref name="model"/>.</summary>
    /// <exception cref="InvalidDataException">A malformed data row (names file:line).</exception>
    /// <exception cref="ArgumentException">No training sequence after the split and length policy; an invalid LoRA config; a base parameter that requires grad.</exception>
    public static LoraTrainingRun Create(ICausalLm model, Tokenizer tokenizer, IReadOnlyList<string> dataFiles, LoraTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var data = TrainingData.Load(dataFiles, tokenizer, options.Data, options.Validation, options.SplitSeed);
        return Create(model, data, options, string.Join(", ", dataFiles));
    }

    /// <summary>Prepares the run on rows already in memory (split and tokenised as the rows of a file would be).</summary>
    /// <exception cref="ArgumentException">No rows, or no training sequence after the split and length policy; an invalid LoRA config.</exception>
    public static LoraTrainingRun Create(ICausalLm model, Tokenizer tokenizer, IReadOnlyList<DataRow> rows, LoraTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var data = TrainingData.FromRows(rows, tokenizer, options.Data, options.Validation, options.SplitSeed);
        return Create(model, data, options, $"{rows.Count} rows");
    }

    /// <summary>
    /// Trains (<see cref="Training.Trainer.Run"/>) and returns how it ended; <see cref="TrainingSummary.ArtifactDirectory"/>
    /// holds the exported PEFT adapter (best on validation, or final). Call once per run.
    /// </summary>
    public TrainingSummary Run(ITrainingObserver? observer = null, CancellationToken ct = default)
    {
        int batch = Options.BatchSize;
        Func<IEnumerable<TrainingBatch>>? validation = Data.Validation.Count > 0 ? () => Data.ValidationBatches(batch) : null;
        return Training.Trainer.Run(_trainable, Data.CreateTrainSource(batch, Trainer.Seed), validation, Trainer, observer, ct);
    }

    /// <inheritdoc/>
    public void Dispose() => _host.Dispose();

    private static LoraTrainingRun Create(ICausalLm model, TrainingData data, LoraTrainingOptions options, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (options.BatchSize < 1) throw new ArgumentException($"LoraTrainingOptions.BatchSize must be ≥ 1 (got {options.BatchSize})");
        if (data.Train.Count == 0) throw new ArgumentException($"no training sequences in {source} after the split and length policy (DataOptions.MaxLength = {data.Options.MaxLength}; {data.DroppedWithoutLoss} without loss tokens dropped)");
        var host = new LoraHost(model);
        try
        {
            string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Trainer.OutputDirectory)));
            var adapter = host.CreateAdapter(name, options.Lora, new Rng(options.Trainer.Seed ^ InitSeedSalt));
            return new LoraTrainingRun(host, adapter, data, options);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }
}

/// <summary>What <see cref="LoraAdapter.Train(ICausalLm, Tokenizer, IReadOnlyList{string}, LoraTrainingOptions, ITrainingObserver, CancellationToken)"/> returns. Owns <see cref="Adapter"/>.</summary>
public sealed class LoraTrainingResult : IDisposable
{
    /// <summary>A result of <paramref name="summary"/> with the exported <paramref name="adapter"/> (or null).</summary>
    public LoraTrainingResult(LoraAdapter? adapter, TrainingSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        Adapter = adapter;
        Summary = summary;
    }

    /// <summary>
    /// The exported adapter, read back from <see cref="TrainingSummary.ArtifactDirectory"/> (detached, f32): the
    /// best-on-validation weights, or the final ones. Null when nothing was exported (the run diverged or was cancelled).
    /// </summary>
    public LoraAdapter? Adapter { get; }

    /// <summary>How the run ended: status, steps, losses, checkpoint and artefact folders.</summary>
    public TrainingSummary Summary { get; }

    /// <inheritdoc/>
    public void Dispose() => Adapter?.Dispose();
}
