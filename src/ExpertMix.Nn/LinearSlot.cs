// A named, replaceable place for one projection, so adapters can wrap linears without touching model files.
using ExpertMix.Tensors;

namespace ExpertMix.Nn;

/// <summary>
/// Holds the <see cref="ILinearLike"/> a model calls for one projection. Models enumerate their slots; adapters
/// replace <see cref="Module"/> with a wrapper around the original (e.g. a LoRA linear). The model disposes the
/// module held at disposal time; a wrapper therefore owns the module it wraps.
/// </summary>
public sealed class LinearSlot
{
    private ILinearLike _module;

    /// <summary>A slot holding <paramref name="module"/>.</summary>
    public LinearSlot(ILinearLike module)
    {
        ArgumentNullException.ThrowIfNull(module);
        _module = module;
        ModulePath = module.ModulePath;
    }

    /// <summary>The HF dotted module name of this projection (fixed).</summary>
    public string ModulePath { get; }

    /// <summary>The projection currently called by the model.</summary>
    /// <exception cref="ArgumentException">The replacement has different in/out features or module path.</exception>
    public ILinearLike Module
    {
        get => _module;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.InFeatures != _module.InFeatures || value.OutFeatures != _module.OutFeatures || value.ModulePath != ModulePath)
            {
                throw new ArgumentException($"{ModulePath}: replacement {value.ModulePath} [{value.OutFeatures}, {value.InFeatures}] does not match [{_module.OutFeatures}, {_module.InFeatures}]", nameof(value));
            }
            _module = value;
        }
    }

    /// <summary>Forwards through the current module.</summary>
    public Tensor Forward(Tensor x, ForwardContext ctx) => _module.Forward(x, ctx);

    /// <summary>Disposes the current module when it is disposable (called by the owning model).</summary>
    public void DisposeModule() => (_module as IDisposable)?.Dispose();
}
