// A LoRA adapter in memory: its configuration and the factors of every module it adapts; Load/Save/Train/Merge in one place.
using ExpertMix.Adapters.Merging;
using ExpertMix.Adapters.Training;
using ExpertMix.Adapters.Training.Data;
using ExpertMix.Models;
using ExpertMix.Models.Tokenization;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Lora;

/// <summary>
/// A detached LoRA adapter (not attached to any model): <see cref="Config"/> plus one <see cref="LoraModule"/> per
/// adapted module, keyed by HF module path. <see cref="Load"/>/<see cref="Save"/> read and write PEFT's layout,
/// <see cref="Train(ICausalLm, Tokenizer, IReadOnlyList{string}, LoraTrainingOptions, ITrainingObserver, CancellationToken)"/>
/// trains a new one as <c>lora train</c> does, <see cref="Merge"/> composes several as <c>lora merge</c> does; attach
/// it to a model with <see cref="LoraHost"/> or <see cref="AdaptedModel"/>. Owns its modules.
/// </summary>
public sealed class LoraAdapter : IDisposable
{
    private readonly SortedDictionary<string, LoraModule> _modules;

    /// <summary>An adapter named <paramref name="name"/> holding <paramref name="modules"/> (takes ownership).</summary>
    /// <exception cref="ArgumentException">Two modules share a path, or there are none.</exception>
    public LoraAdapter(string name, LoraConfig config, IEnumerable<LoraModule> modules)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(modules);
        Name = name;
        Config = config;
        _modules = new SortedDictionary<string, LoraModule>(StringComparer.Ordinal);
        foreach (var m in modules)
        {
            if (!_modules.TryAdd(m.ModulePath, m)) throw new ArgumentException($"adapter '{name}': module {m.ModulePath} appears twice");
        }
        if (_modules.Count == 0) throw new ArgumentException($"adapter '{name}' adapts no module");
    }

    /// <summary>A short name (directory name by default), used in reports and as the runtime key.</summary>
    public string Name { get; }

    /// <summary>The adapter's configuration.</summary>
    public LoraConfig Config { get; }

    /// <summary>Modules by path, in ordinal order.</summary>
    public IReadOnlyDictionary<string, LoraModule> Modules => _modules;

    /// <summary>Σ r·(in + out) over modules.</summary>
    public long ParameterCount => _modules.Values.Sum(m => (long)m.Rank * (m.InFeatures + m.OutFeatures));

    /// <summary>Every factor as (PEFT key without the adapter name, tensor), e.g. <c>base_model.model.X.lora_A.weight</c>.</summary>
    public IEnumerable<(string Key, Tensor Tensor)> NamedFactors()
    {
        foreach (var m in _modules.Values)
        {
            yield return (PeftFormat.KeyA(m.ModulePath), m.A);
            yield return (PeftFormat.KeyB(m.ModulePath), m.B);
        }
    }

    /// <summary>The re-compression of dense merges when <see cref="LoraMergeOptions.Recompress"/> is null: the smallest rank within 1% relative error per module.</summary>
    public static RankSelection DefaultRecompression { get; } = RankSelection.RelativeError(0.01);

    /// <summary>
    /// Reads the PEFT adapter in <paramref name="dir"/> (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>)
    /// into f32 factors (<see cref="PeftFormat.Load"/>); the name defaults to the directory name.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No such directory.</exception>
    /// <exception cref="FileNotFoundException">No adapter_config.json / adapter_model.safetensors.</exception>
    /// <exception cref="InvalidDataException">Malformed files, unsupported features (DoRA, embedding LoRA, lora_bias), keys or shapes that disagree with the config.</exception>
    public static LoraAdapter Load(string dir, string? name = null) => PeftFormat.Load(dir, name);

    /// <summary>
    /// Writes this adapter to <paramref name="dir"/> (created if needed) in PEFT's layout, f32 factors, each file
    /// atomically (temp + rename) (<see cref="PeftFormat.Save"/>); PEFT and <see cref="Load"/> read it back.
    /// </summary>
    public void Save(string dir) => PeftFormat.Save(this, dir);

    /// <summary>
    /// Trains a new adapter on the frozen <paramref name="model"/> with the rows of <paramref name="dataFiles"/>
    /// (JSONL: text, prompt/completion or chat messages) exactly as <c>expertmix lora train</c> does
    /// (<see cref="LoraTrainingRun"/>): the same options give the same adapter bit for bit. Load the base with
    /// <see cref="DTypePolicy.F32"/> for the CLI's numerics. The run writes <c>metrics.jsonl</c>, <c>checkpoints/</c> and
    /// the exported adapter under <see cref="TrainerOptions.OutputDirectory"/>; the model is left as it was.
    /// </summary>
    /// <returns>The exported adapter (read back) and the training summary; the caller disposes it.</returns>
    /// <exception cref="InvalidDataException">A malformed data row (names file:line), or a bad resume checkpoint.</exception>
    /// <exception cref="ArgumentException">Invalid options, or no training sequence after the split and length policy.</exception>
    /// <exception cref="InvalidOperationException">A fresh start into an output folder that already holds checkpoints.</exception>
    public static LoraTrainingResult Train(ICausalLm model, Tokenizer tokenizer, IReadOnlyList<string> dataFiles, LoraTrainingOptions options,
        ITrainingObserver? observer = null, CancellationToken ct = default)
    {
        using var run = LoraTrainingRun.Create(model, tokenizer, dataFiles, options);
        return Finish(run, run.Run(observer, ct));
    }

    /// <summary>
    /// Trains a new adapter on rows already in memory (<see cref="DataRow.FromText"/>, <see cref="DataRow.FromPromptCompletion"/>,
    /// <see cref="DataRow.FromMessages"/>); otherwise as the overload that reads files.
    /// </summary>
    /// <exception cref="ArgumentException">No rows, invalid options, or no training sequence after the split and length policy.</exception>
    /// <exception cref="InvalidOperationException">A fresh start into an output folder that already holds checkpoints.</exception>
    public static LoraTrainingResult Train(ICausalLm model, Tokenizer tokenizer, IReadOnlyList<DataRow> rows, LoraTrainingOptions options,
        ITrainingObserver? observer = null, CancellationToken ct = default)
    {
        using var run = LoraTrainingRun.Create(model, tokenizer, rows, options);
        return Finish(run, run.Run(observer, ct));
    }

    /// <summary>
    /// Composes <paramref name="adapters"/> (same base) into one adapter, as <c>expertmix lora merge</c> writes it:
    /// <see cref="LoraMerger.Merge"/> with <see cref="LoraMergeOptions.Method"/> on T = Σ wᵢ sᵢ Bᵢ Aᵢ; methods that
    /// give factors (cat, factor-sum, the PEFT methods) return them, dense methods (delta-sum, ties, dare, della,
    /// breadcrumbs, slerp, …) are re-compressed by truncated SVD (<see cref="LoraMergeOptions.Recompress"/>). The inputs
    /// are not changed and stay owned by the caller.
    /// </summary>
    /// <exception cref="ArgumentException">No adapters, a weight count other than the adapter count, invalid parameters, or ranks a factor-space method cannot combine (named).</exception>
    public static LoraMergeResult Merge(IReadOnlyList<LoraAdapter> adapters, LoraMergeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        options ??= new LoraMergeOptions();
        if (adapters.Count == 0) throw new ArgumentException("LoraAdapter.Merge needs at least one adapter", nameof(adapters));
        if (options.Weights is { } w && w.Count != adapters.Count)
        {
            throw new ArgumentException($"LoraMergeOptions.Weights has {w.Count} weights for {adapters.Count} adapters (expected one per adapter, or null for 1 each)", nameof(options));
        }
        var inputs = adapters.Select((a, i) => new MergeInput(a, options.Weights?[i] ?? 1f)).ToList();
        var merged = LoraMerger.Merge(inputs, options.Method, options.Parameters);
        if (merged.Adapter is { } factors) return new LoraMergeResult(factors, merged, merged, null);
        try
        {
            var rec = Recompressor.Recompress(merged, options.Recompress ?? DefaultRecompression, options.Parameters.Name);
            return new LoraMergeResult(rec.Adapter, rec.Adapter, merged, rec);
        }
        finally
        {
            merged.Dispose(); // the dense deltas are not needed once re-compressed
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var m in _modules.Values) m.Dispose();
        _modules.Clear();
    }

    private static LoraTrainingResult Finish(LoraTrainingRun run, TrainingSummary summary) =>
        new(summary.ArtifactDirectory is { } dir ? PeftFormat.Load(dir, run.Adapter.Name) : null, summary);
}
