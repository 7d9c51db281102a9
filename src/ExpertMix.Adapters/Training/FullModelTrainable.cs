// Every parameter of a causal LM being trained (pretraining from scratch or full fine-tuning): what the shared trainer needs.
using System.Text;
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Adapters.Training;

/// <summary>
/// Trains all parameters of <see cref="Model"/> (each F32, named by its Hugging Face checkpoint name; a tied lm_head
/// shares the embedding tensor, so its gradient is the sum of both uses). The loss is <see cref="CausalLmLoss"/>;
/// there is no random stream (no dropout). The artefact is a Hugging Face model directory: <c>config.json</c>
/// (<see cref="Config"/>), <c>model.safetensors</c> with every named parameter, plus whatever
/// <see cref="FullModelTrainable(ICausalLm, HfConfigJson, Action{string}?)"/>'s side-file writer adds (e.g. a
/// tokenizer), loadable by <see cref="CausalLm.Load"/>.
/// </summary>
internal sealed class FullModelTrainable : ITrainable
{
    private readonly Action<string>? _writeSideFiles;

    /// <summary>Trains every parameter of <paramref name="model"/>, whose architecture is described by <paramref name="config"/>.</summary>
    /// <param name="model">The model (e.g. <see cref="CausalLm.BuildRandom"/> with <see cref="DType.F32"/>); its parameters are set to require grad.</param>
    /// <param name="config">The config written as config.json with the weights.</param>
    /// <param name="writeSideFiles">Called with the artefact folder after the weights are written (e.g. to write tokenizer.json); null = none.</param>
    /// <exception cref="ArgumentException">A parameter is not F32 (names it), or the config's architecture differs from the model's.</exception>
    public FullModelTrainable(ICausalLm model, HfConfigJson config, Action<string>? writeSideFiles = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        string arch = CausalLm.ResolveArchitecture(config);
        if (arch != model.Info.Architecture) throw new ArgumentException($"config architecture {arch} differs from the model's {model.Info.Architecture}", nameof(config));
        var list = model.NamedParameters().ToList();
        foreach (var (name, p) in list)
        {
            if (p.DType != DType.F32) throw new ArgumentException($"parameter {name} is {p.DType}; full-model training needs F32 weights (build or load with DType F32)", nameof(model));
            p.RequiresGrad = true;
        }
        Model = model;
        Config = config;
        TrainableParameters = list;
        _writeSideFiles = writeSideFiles;
    }

    /// <summary>The model being trained.</summary>
    public ICausalLm Model { get; }

    /// <summary>The architecture config saved with the weights.</summary>
    public HfConfigJson Config { get; }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Tensor Param)> TrainableParameters { get; }

    /// <inheritdoc/>
    public Rng? Rng => null;

    /// <inheritdoc/>
    public Tensor Loss(TrainingBatch batch, ForwardMode mode) => CausalLmLoss.Compute(Model, batch, mode);

    /// <inheritdoc/>
    public void SaveArtifact(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        Save(Model, Config, dir);
        _writeSideFiles?.Invoke(dir);
    }

    /// <summary>
    /// Writes <paramref name="model"/> as a Hugging Face directory: <c>config.json</c> from <paramref name="config"/> and
    /// <c>model.safetensors</c> holding every named parameter in its dtype (each file atomically).
    /// </summary>
    public static void Save(ICausalLm model, HfConfigJson config, string dir)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(dir);
        Directory.CreateDirectory(dir);
        var tensors = model.NamedParameters().Select(p => (p.Path, p.Param.Detach())).ToList();
        try
        {
            SafetensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
        AtomicFile.WriteAllBytes(Path.Combine(dir, "config.json"), Encoding.UTF8.GetBytes(config.ToJson() + "\n"));
    }

    /// <summary>
    /// Resets the normalisation parameters of a freshly built random model to their usual initial values: every rank-1
    /// parameter whose name ends in <c>.weight</c> (RMSNorm/LayerNorm gains) becomes 1, every other rank-1 parameter
    /// (biases) becomes 0; matrices are left as drawn. <see cref="CausalLm.BuildRandom"/> draws all tensors from
    /// N(0, 0.02²), which would make every norm output ≈ 0.02·x̂ and slow training from scratch.
    /// </summary>
    public static void InitializeNorms(ICausalLm model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var (name, p) in model.NamedParameters())
        {
            if (p.Rank != 1) continue;
            using var value = Tensor.Full(p.Shape, name.EndsWith(".weight", StringComparison.Ordinal) ? 1f : 0f); // [n]
            p.CopyFrom(value);
        }
    }
}
