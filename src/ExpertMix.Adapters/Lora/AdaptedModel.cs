// A model with LoRA adapters attached, usable wherever an ICausalLm is (generation, scoring, logits).
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Lora;

/// <summary>
/// An <see cref="ICausalLm"/> whose projections carry the adapters of <see cref="Host"/>: the forward is the base
/// model's (the adapters sit in its linear slots). Disposing it disposes the host (restoring the base projections,
/// disposing the adapters) and then the model.
/// </summary>
public sealed class AdaptedModel : ICausalLm
{
    private readonly ICausalLm _model;

    /// <summary>Takes ownership of <paramref name="model"/> and attaches each adapter directory with its weight.</summary>
    /// <exception cref="ArgumentException">An adapter does not fit the model (module and shapes named).</exception>
    public AdaptedModel(ICausalLm model, IEnumerable<(string Directory, float Weight)> adapters)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(adapters);
        _model = model;
        Host = new LoraHost(model);
        try
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (dir, weight) in adapters)
            {
                string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)));
                for (int k = 2; !names.Add(name); k++) name = $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)))}#{k}";
                var adapter = PeftFormat.Load(dir, name);
                try
                {
                    Host.Add(adapter, weight);
                }
                catch
                {
                    adapter.Dispose();
                    throw;
                }
            }
        }
        catch
        {
            Host.Dispose();
            throw;
        }
    }

    /// <summary>The LoRA runtime (change weights, merge, unmerge).</summary>
    public LoraHost Host { get; }

    /// <inheritdoc/>
    public ModelInfo Info => _model.Info;

    /// <inheritdoc/>
    public IReadOnlyList<LinearSlot> Linears => _model.Linears;

    /// <inheritdoc/>
    public Tensor Forward(Tensor inputIds, ForwardContext ctx) => _model.Forward(inputIds, ctx);

    /// <inheritdoc/>
    public KvCache CreateCache(int batch, int maxLength, DType dtype = DType.F32) => _model.CreateCache(batch, maxLength, dtype);

    /// <inheritdoc/>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters() => _model.NamedParameters();

    /// <inheritdoc/>
    public void Dispose()
    {
        Host.Dispose();
        _model.Dispose();
    }
}
