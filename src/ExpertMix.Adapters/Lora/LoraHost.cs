// Attaches LoRA adapters to a model's projection slots: several at once, each with its own weight; merge and unmerge.
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Lora;

/// <summary>
/// The LoRA runtime of one model. Adapters are attached by name with a user weight (unmerged: every forward adds
/// w·s·B·A·x per adapted module); <see cref="Merge"/> folds all active adapters into the base weights and
/// <see cref="Unmerge"/> restores them exactly. Module paths and shapes are checked against the model: an adapter
/// for another base is refused naming the module and shapes. Disposing the host restores the model's original
/// projections and disposes the attached adapters.
/// </summary>
public sealed class LoraHost : IDisposable
{
    private readonly ICausalLm _model;
    private readonly Dictionary<string, LinearSlot> _slots;
    private readonly List<(LoraAdapter Adapter, float Weight)> _adapters = [];

    /// <summary>A host over <paramref name="model"/> (the model stays owned by the caller and must outlive the host).</summary>
    public LoraHost(ICausalLm model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _slots = model.Linears.ToDictionary(s => s.ModulePath, StringComparer.Ordinal);
    }

    /// <summary>The model.</summary>
    public ICausalLm Model => _model;

    /// <summary>Attached adapters and their weights, in attachment order.</summary>
    public IReadOnlyList<(LoraAdapter Adapter, float Weight)> Adapters => _adapters;

    /// <summary>Whether the active adapters are merged into the base weights.</summary>
    public bool IsMerged { get; private set; }

    /// <summary>The random stream of LoRA dropout in training forwards.</summary>
    internal Rng DropoutRng { get; } = new(0x10AA);

    /// <summary>Every linear module path of the model, in module order.</summary>
    internal IEnumerable<string> LinearModulePaths => _model.Linears.Select(s => s.ModulePath);

    /// <summary>The output head's module path (excluded by <c>all-linear</c>).</summary>
    internal string OutputHeadPath => _model.Linears[^1].ModulePath;

    /// <summary>Module paths <paramref name="config"/> targets on this model.</summary>
    /// <exception cref="ArgumentException">It targets nothing: the message lists the model's linear modules.</exception>
    internal IReadOnlyList<string> ResolveTargets(LoraConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var hits = _model.Linears.Select(s => s.ModulePath).Where(p => config.Targets(p, p == OutputHeadPath)).ToList();
        if (hits.Count == 0)
        {
            var names = _model.Linears.Select(s => s.ModulePath).ToList();
            var suffixes = names.Select(n => n[(n.LastIndexOf('.') + 1)..]).Distinct().ToList();
            throw new ArgumentException($"target_modules {config.TargetModules} match no linear module of this {_model.Info.Architecture}; "
                + $"its linear modules are named {string.Join(", ", suffixes)} (e.g. {names[0]}), {names.Count} in all");
        }
        return hits;
    }

    /// <summary>
    /// Creates a new trainable adapter per PEFT's init (<see cref="LoraConfig.Init"/>): A Kaiming-uniform
    /// U(−1/√in, 1/√in) (or N(0, 1/r) for Gaussian), B = 0 (random for <see cref="LoraInit.Random"/>), attaches it
    /// with weight 1 and returns it (owned by the host). Factors require grad.
    /// </summary>
    internal LoraAdapter CreateAdapter(string name, LoraConfig config, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        config.Validate();
        bool conv1D = _model.Linears.Any(s => Unwrap(s.Module) is Conv1DLinear);
        config = config with { FanInFanOut = config.FanInFanOut || conv1D };
        var modules = new List<LoraModule>();
        foreach (var path in ResolveTargets(config))
        {
            var slot = _slots[path];
            int r = config.RankFor(path), fanIn = slot.Module.InFeatures, fanOut = slot.Module.OutFeatures;
            var a = Tensor.EmptyExact(new Shape(r, fanIn));      // [r, in]
            var b = Tensor.EmptyExact(new Shape(fanOut, r));     // [out, r]
            FillInit(a, b, config.Init, fanIn, r, rng);
            a.RequiresGrad = true;
            b.RequiresGrad = true;
            modules.Add(new LoraModule(path, a, b, config.ScalingFor(path)));
        }
        var adapter = new LoraAdapter(name, config, modules);
        Add(adapter);
        return adapter;
    }

    /// <summary>Attaches <paramref name="adapter"/> (ownership moves to the host) with user weight <paramref name="weight"/>.</summary>
    /// <exception cref="ArgumentException">Name taken, a module the model lacks or of another shape (named), or a target rule violated.</exception>
    /// <exception cref="InvalidOperationException">The host is merged.</exception>
    public void Add(LoraAdapter adapter, float weight = 1f)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        if (IsMerged) throw new InvalidOperationException($"unmerge before adding adapter '{adapter.Name}'");
        if (_adapters.Any(a => a.Adapter.Name == adapter.Name)) throw new ArgumentException($"an adapter named '{adapter.Name}' is already attached");
        foreach (var m in adapter.Modules.Values)
        {
            if (!_slots.TryGetValue(m.ModulePath, out var slot))
            {
                throw new ArgumentException($"adapter '{adapter.Name}' does not fit this base model: it adapts module {m.ModulePath}, which this "
                    + $"{_model.Info.Architecture} does not have (its linear modules look like {_model.Linears[0].ModulePath})");
            }
            if (slot.Module.InFeatures != m.InFeatures || slot.Module.OutFeatures != m.OutFeatures)
            {
                throw new ArgumentException($"adapter '{adapter.Name}' does not fit this base model: module {m.ModulePath} has W [{slot.Module.OutFeatures}, {slot.Module.InFeatures}] "
                    + $"but lora_A is {m.A.Shape} and lora_B {m.B.Shape} (expected [r, {slot.Module.InFeatures}] and [{slot.Module.OutFeatures}, r])");
            }
        }
        foreach (var m in adapter.Modules.Values)
        {
            var slot = _slots[m.ModulePath];
            if (slot.Module is not LoraLinear lora)
            {
                lora = new LoraLinear(slot.Module);
                slot.Module = lora;
            }
            lora.Attach(adapter.Name, m, weight, adapter.Config.Dropout, DropoutRng);
        }
        _adapters.Add((adapter, weight));
    }

    /// <summary>Sets adapter <paramref name="name"/>'s user weight (0 disables it).</summary>
    public void SetWeight(string name, float weight)
    {
        if (IsMerged) throw new InvalidOperationException($"unmerge before changing the weight of adapter '{name}'");
        int i = IndexOf(name);
        _adapters[i] = (_adapters[i].Adapter, weight);
        foreach (var l in Wrappers())
        {
            foreach (var b in l.Branches.Where(b => b.Adapter == name)) b.Weight = weight;
        }
    }

    /// <summary>Detaches adapter <paramref name="name"/> and returns it (the caller owns it again).</summary>
    public LoraAdapter Remove(string name)
    {
        if (IsMerged) throw new InvalidOperationException($"unmerge before removing adapter '{name}'");
        int i = IndexOf(name);
        var adapter = _adapters[i].Adapter;
        _adapters.RemoveAt(i);
        foreach (var l in Wrappers()) l.Detach(name);
        return adapter;
    }

    /// <summary>Folds every active adapter into its module's weight (idempotent).</summary>
    public void Merge()
    {
        foreach (var l in Wrappers()) l.Merge();
        IsMerged = true;
    }

    /// <summary>Restores the original base weights (no-op when not merged).</summary>
    public void Unmerge()
    {
        foreach (var l in Wrappers()) l.Unmerge();
        IsMerged = false;
    }

    /// <summary>The factors of adapter <paramref name="name"/> as (PEFT key, tensor), for optimisers and checkpoints.</summary>
    internal IReadOnlyList<(string Name, Tensor Param)> Parameters(string name) => _adapters[IndexOf(name)].Adapter.NamedFactors().ToList();

    /// <summary>Restores the model's original projections and disposes the adapters.</summary>
    public void Dispose()
    {
        Unmerge();
        foreach (var slot in _model.Linears)
        {
            if (slot.Module is LoraLinear l) slot.Module = l.Base; // the wrapper owned the base; hand it back to the slot
        }
        foreach (var (a, _) in _adapters) a.Dispose();
        _adapters.Clear();
    }

    private IEnumerable<LoraLinear> Wrappers() => _model.Linears.Select(s => s.Module).OfType<LoraLinear>();

    private int IndexOf(string name)
    {
        int i = _adapters.FindIndex(a => a.Adapter.Name == name);
        return i >= 0 ? i : throw new KeyNotFoundException($"no adapter named '{name}' is attached (attached: {string.Join(", ", _adapters.Select(a => a.Adapter.Name))})");
    }

    private static ILinearLike Unwrap(ILinearLike m) => m is LoraLinear l ? l.Base : m;

    private static void FillInit(Tensor a, Tensor b, LoraInit init, int fanIn, int r, Rng rng)
    {
        var av = a.Span;
        if (init == LoraInit.Gaussian)
        {
            float std = 1f / MathF.Sqrt(r);
            for (int i = 0; i < av.Length; i++) av[i] = (float)rng.NextNormal() * std;
        }
        else
        {
            float bound = 1f / MathF.Sqrt(fanIn); // kaiming_uniform_(a=√5): gain √(2/(1+5)) · √(3/fan_in) = 1/√fan_in
            for (int i = 0; i < av.Length; i++) av[i] = (2f * rng.NextFloat() - 1f) * bound;
        }
        var bv = b.Span;
        if (init == LoraInit.Random)
        {
            float bound = 1f / MathF.Sqrt(r);
            for (int i = 0; i < bv.Length; i++) bv[i] = (2f * rng.NextFloat() - 1f) * bound;
        }
        else
        {
            bv.Clear();
        }
    }
}
