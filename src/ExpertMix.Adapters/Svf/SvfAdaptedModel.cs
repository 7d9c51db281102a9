// A causal LM with one SVF expert or an svf_mixture.json installed (the `--svf DIR` of the CLI verbs).
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Svf;

/// <summary>
/// A model whose SVF targets run W' = c·U diag(σ ⊙ z) Vᵀ for a fixed expert (z = max_mult·sigmoid(p)) or mixture
/// (z' = Σ_k α_k·sigmoid(p_k)). Owns the wrapped model, the basis, the host and the experts; disposing releases them.
/// </summary>
public sealed class SvfAdaptedModel : ICausalLm
{
    private readonly ICausalLm _model;
    private readonly IReadOnlyList<SvfExpert> _experts;

    private SvfAdaptedModel(ICausalLm model, SvfBasis basis, SvfHost host, IReadOnlyList<SvfExpert> experts)
    {
        _model = model;
        Basis = basis;
        Host = host;
        _experts = experts;
    }

    /// <summary>The basis.</summary>
    public SvfBasis Basis { get; }

    /// <summary>The SVF host (switch experts with it).</summary>
    public SvfHost Host { get; }

    /// <inheritdoc/>
    public ModelInfo Info => _model.Info;

    /// <inheritdoc/>
    public IReadOnlyList<LinearSlot> Linears => _model.Linears;

    /// <summary>
    /// Installs <paramref name="svfPath"/> (an expert directory, or an <c>svf_mixture.json</c> / a directory holding one)
    /// on <paramref name="model"/>, taking ownership of it. The basis comes from <see cref="ResolveBasis"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An expert that does not fit the basis (named).</exception>
    public static SvfAdaptedModel Load(ICausalLm model, string svfPath, string? basisPath = null, string? modelDirectory = null, Action<SvfProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(svfPath);
        bool mixture = SvfMixture.IsMixture(svfPath);
        var mix = mixture ? SvfMixture.Load(svfPath) : null;
        string firstExpert = mix?.Experts[0] ?? svfPath;
        SvfTargets? targets;
        using (var probe = SvfExpert.Load(firstExpert)) targets = TargetsOf(probe);
        var basis = ResolveBasis(model, basisPath, modelDirectory, targets, progress);
        SvfHost? host = null;
        try
        {
            host = new SvfHost(model, basis);
            IReadOnlyList<SvfExpert> experts;
            if (mix is not null)
            {
                experts = mix.ApplyTo(host);
            }
            else
            {
                var e = SvfExpert.Load(svfPath, basis);
                host.Apply(e);
                experts = [e];
            }
            return new SvfAdaptedModel(model, basis, host, experts);
        }
        catch
        {
            host?.Dispose();
            basis.Dispose();
            throw;
        }
    }

    /// <summary>The targets an expert was trained on (its <c>svf_config.json</c>), or null when unknown.</summary>
    internal static SvfTargets? TargetsOf(SvfExpert expert)
    {
        ArgumentNullException.ThrowIfNull(expert);
        return expert.Config is { Targets.Length: > 0 } c ? SvfTargets.Parse(c.Targets) : null;
    }

    /// <summary>
    /// The basis of <paramref name="model"/>: <paramref name="basisPath"/> when given (loaded, or decomposed and saved
    /// there), else <c>svf-basis.safetensors</c> in <paramref name="modelDirectory"/> when present, else a fresh
    /// in-memory decomposition of <paramref name="targets"/> (default MLP).
    /// </summary>
    internal static SvfBasis ResolveBasis(ICausalLm model, string? basisPath, string? modelDirectory, SvfTargets? targets, Action<SvfProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        string baseModel = modelDirectory is null ? "" : Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelDirectory)));
        if (basisPath is not null) return SvfBasis.LoadOrDecompose(basisPath, model, targets, baseModel, progress);
        if (modelDirectory is not null && File.Exists(Path.Combine(modelDirectory, SvfBasis.FileName))) return SvfBasis.Load(Path.Combine(modelDirectory, SvfBasis.FileName), model);
        return SvfBasis.Decompose(model, targets, baseModel, progress);
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor inputIds, ForwardContext ctx) => _model.Forward(inputIds, ctx);

    /// <inheritdoc/>
    public KvCache CreateCache(int batch, int maxLength, DType dtype = DType.F32) => _model.CreateCache(batch, maxLength, dtype);

    /// <inheritdoc/>
    public IEnumerable<(string Path, Tensor Param)> NamedParameters() => _model.NamedParameters();

    /// <summary>Restores the base modules and releases the experts, the basis and the model.</summary>
    public void Dispose()
    {
        Host.Dispose();
        foreach (var e in _experts) e.Dispose();
        Basis.Dispose();
        _model.Dispose();
    }
}
