// A base causal LM + frozen LoRA experts + a learned gate: X-LoRA as an ICausalLm (generation, scoring, training).
using System.Runtime.CompilerServices;
using ExpertMix.Adapters.Lora;
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.XLora;

/// <summary>
/// X-LoRA (spec xlora.md): every forward runs a scaling pass (experts weighted by the constant c; the base model when
/// c = 0) whose last hidden state h [B, T, H] feeds the gate, giving λ [B, T, Lx, n]; then a real pass in which
/// wrapped module ℓ computes y = W x + b + Σ_i g·s_i·B_i(λ[…, ℓ, i] ⊙ A_i x). Both passes run through the model's
/// linear seam with an <see cref="ILoraMixing"/> in the forward context; no model code knows about X-LoRA. With a KV
/// cache from <see cref="CreateCache"/> the passes keep separate caches (exact, ~2 base decode steps per token).
/// Experts are attached at weight 0, so a forward without the mixing (the <see cref="Base"/> model) is the base.
/// Owns the base model, the experts and the gate.
/// </summary>
public sealed partial class XLoraModel : ICausalLm
{
    private readonly Dictionary<LoraLinear, XLoraModuleState> _states = new(ReferenceEqualityComparer.Instance);
    private readonly ConditionalWeakTable<KvCache, SequenceState> _sequences = [];

    /// <summary>
    /// Builds the model: attaches <paramref name="experts"/> (in the config's column order, names matching) to
    /// <paramref name="model"/> (ownership of both moves here) and uses <paramref name="classifier"/>, or a new gate
    /// initialised per <paramref name="init"/> when it is null.
    /// </summary>
    /// <exception cref="ArgumentException">Hidden size, expert names/order, an expert that binds no module, a gate of the wrong shape.</exception>
    internal XLoraModel(ICausalLm model, XLoraConfig config, IReadOnlyList<LoraAdapter> experts, XLoraClassifier? classifier = null,
        XLoraRuntimeOptions? options = null, XLoraGateInit init = XLoraGateInit.Default, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(experts);
        config.Validate();
        Options = options ?? new XLoraRuntimeOptions();
        Options.Validate();
        if (config.HiddenSize != model.Info.HiddenSize)
        {
            throw new ArgumentException($"X-LoRA config hidden_size {config.HiddenSize} does not match the base model's hidden size {model.Info.HiddenSize} "
                + "(the gate was trained on another base model)");
        }
        var names = config.AdapterNames;
        if (experts.Count != names.Count || !experts.Select(e => e.Name).SequenceEqual(names, StringComparer.Ordinal))
        {
            throw new ArgumentException($"X-LoRA experts [{string.Join(", ", experts.Select(e => e.Name))}] do not match the gate's column order "
                + $"[{string.Join(", ", names)}]; the gate only works with the experts, in the order, it was trained with");
        }
        foreach (var e in experts)
        {
            if (e.Modules.Count == 0) throw new ArgumentException($"X-LoRA expert '{e.Name}' adapts no module");
        }
        _model = model;
        Config = config;
        Host = new LoraHost(model);
        foreach (var e in experts) Host.Add(e, weight: 0f);
        var wrapped = model.Linears.Where(s => s.Module is LoraLinear).ToList();
        Layers = [.. wrapped.Select(s => s.ModulePath)];
        for (int l = 0; l < wrapped.Count; l++)
        {
            var linear = (LoraLinear)wrapped[l].Module;
            var present = linear.Branches.Select(b => (Column: IndexOf(names, b.Adapter), Branch: b)).ToList();
            _states[linear] = new XLoraModuleState(l, linear, present, names.Count);
        }
        ExpertModuleCounts = experts.ToDictionary(e => e.Name, e => e.Modules.Count, StringComparer.Ordinal);
        if (classifier is not null && (classifier.LayerCount != Layers.Count || classifier.Config.ExpertCount != names.Count))
        {
            throw new ArgumentException($"the X-LoRA gate scores {classifier.LayerCount} modules × {classifier.Config.ExpertCount} experts but the experts wrap "
                + $"{Layers.Count} modules of this model × {names.Count} experts");
        }
        Classifier = classifier ?? new XLoraClassifier(config, Layers.Count, init, new Rng((ulong)seed));
        foreach (var (_, p) in Classifier.NamedParameters()) p.RequiresGrad = true;
        foreach (var e in experts)
        {
            foreach (var (_, p) in e.NamedFactors()) p.RequiresGrad = config.UseTrainableAdapters;
        }
        Warnings = config.Warnings();
    }

    private readonly ICausalLm _model;

    /// <summary>
    /// Loads the X-LoRA checkpoint in <paramref name="dir"/> (the original xlora layout or PEFT's) onto
    /// <paramref name="model"/>: <see cref="XLoraFormat.Load"/>, which validates every file against the base. On
    /// success the returned model owns <paramref name="model"/>; on failure the caller still owns it, unchanged.
    /// </summary>
    /// <exception cref="InvalidDataException">A malformed file, or experts/gate that do not fit the base (named).</exception>
    /// <exception cref="DirectoryNotFoundException">An expert directory that does not resolve.</exception>
    /// <exception cref="FileNotFoundException">No config or classifier file.</exception>
    public static XLoraModel Load(ICausalLm model, string dir, XLoraLoadOptions? options = null) => XLoraFormat.Load(model, dir, options);

    /// <summary>Writes this model's experts and gate to <paramref name="dir"/> in <paramref name="layout"/> (<see cref="XLoraFormat.Save"/>).</summary>
    /// <exception cref="ArgumentException">PEFT layout for a gate PEFT cannot express (a linear stack of depth ≥ 2, or no bias).</exception>
    public void Save(string dir, XLoraLayout layout = XLoraLayout.Original) => XLoraFormat.Save(this, dir, layout);

    /// <summary>The base model (its projections carry the experts at weight 0: forwarding it directly gives the base).</summary>
    public ICausalLm Base => _model;

    /// <summary>The experts' LoRA runtime.</summary>
    public LoraHost Host { get; }

    /// <summary>The configuration (knobs and expert order).</summary>
    public XLoraConfig Config { get; }

    /// <summary>The gate.</summary>
    internal XLoraClassifier Classifier { get; }

    /// <summary>Runtime options (cache mode, freezing, kernel).</summary>
    public XLoraRuntimeOptions Options { get; set; }

    /// <summary>The wrapped module paths in gate index order ℓ = 0..L−1 (HF registration order).</summary>
    public IReadOnlyList<string> Layers { get; }

    /// <summary>Modules wrapped per expert.</summary>
    public IReadOnlyDictionary<string, int> ExpertModuleCounts { get; }

    /// <summary>Warnings about the configuration.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The scalings log (off until enabled).</summary>
    public XLoraScalingsLog ScalingsLog { get; } = new();

    /// <summary>λ [B, T, Lx, n] of the last forward (before top-k; a copy), or null before the first.</summary>
    public Tensor? LatestScalings { get; private set; }

    /// <summary>The random stream of the gate's and the experts' dropout in training.</summary>
    internal Rng DropoutRng => Host.DropoutRng;

    /// <inheritdoc/>
    public ModelInfo Info => _model.Info;

    /// <inheritdoc/>
    public IReadOnlyList<LinearSlot> Linears => _model.Linears;

    /// <summary>The gate's parameters, plus the experts' factors when <see cref="XLoraConfig.UseTrainableAdapters"/>.</summary>
    internal IReadOnlyList<(string Name, Tensor Param)> TrainableParameters =>
    [
        .. Classifier.NamedParameters().Select(p => ("classifier." + p.Name, p.Param)),
        .. Config.UseTrainableAdapters ? Host.Adapters.SelectMany(a => a.Adapter.NamedFactors().Select(f => ($"experts.{a.Adapter.Name}.{f.Key}", f.Tensor))) : [],
    ];

    /// <summary>A dual cache: the real pass's cache with the scaling pass's as its <see cref="KvCache.Companion"/>.</summary>
    public KvCache CreateCache(int batch, int maxLength, DType dtype = DType.F32)
    {
        var cache = _model.CreateCache(batch, maxLength, dtype);
        cache.Companion = _model.CreateCache(batch, Options.Cache == XLoraCacheMode.Dual ? maxLength : 1, dtype);
        return cache;
    }

    /// <summary>The base model's parameters and the gate's (the experts are listed by <see cref="Host"/>).</summary>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters() =>
        _model.NamedParameters().Concat(Classifier.NamedParameters().Select(p => ("xlora_classifier." + p.Name, p.Param)));

    /// <summary>Call after changing expert factors in place (e.g. training them): the fused copies are rebuilt.</summary>
    internal void InvalidateFusedFactors()
    {
        foreach (var s in _states.Values) s.Invalidate();
    }

    /// <summary>Releases the gate, the experts (restoring the base projections) and the base model.</summary>
    public void Dispose()
    {
        foreach (var s in _states.Values) s.Dispose();
        LatestScalings?.Dispose();
        Classifier.Dispose();
        Host.Dispose();
        _model.Dispose();
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (names[i] == name) return i;
        }
        throw new InvalidOperationException($"expert '{name}' is not in the X-LoRA config");
    }

    /// <summary>Per-cache state: token history (no-cache mode) and frozen scalings (freeze-after-k).</summary>
    private sealed class SequenceState
    {
        public List<int[]> History { get; } = [];
        public int DecodeSteps { get; set; }
        public float[]? Last { get; set; }     // λ of the last position [B, 1, Lx, n]
    }
}
