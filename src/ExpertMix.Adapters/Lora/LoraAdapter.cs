// A LoRA adapter in memory: its configuration and the factors of every module it adapts.
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Lora;

/// <summary>
/// A detached LoRA adapter (not attached to any model): <see cref="Config"/> plus one <see cref="LoraModule"/> per
/// adapted module, keyed by HF module path. Load and save it in PEFT's layout with <see cref="PeftFormat"/>; attach it
/// with LoraHost. Owns its modules.
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

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var m in _modules.Values) m.Dispose();
        _modules.Clear();
    }
}
