// Transformer² two-pass self-adaptation (spec §9): a first pass picks SVF weights, they are recomposed, a second pass answers.
using System.Diagnostics;
using System.Globalization;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Adapters.Svf;
using ExpertMix.Models.Chat;
using ExpertMix.Models.Generation;

namespace ExpertMix.Adapters.Adaptation;

/// <summary>
/// The Transformer² runtime over one model: an <see cref="SvfHost"/> on the model's SVF targets and an expert map
/// from the expert categories of <see cref="Transformer2Options.Categories"/> (paper: code → z_code, math → z_math,
/// reasoning → z_reasoning) to SVF experts; the fallback (<c>other</c>; also any category without an expert) always
/// dispatches to the exact base weights (<see cref="SvfHost.Clear"/>), never to the last loaded expert. Experts are
/// installed as fixed masks z = max_mult·sigmoid(p) (no gradient path), so trainable experts can be dispatched too. Per prompt:
/// <list type="number">
/// <item>first pass (<see cref="Classify"/>) under the strategy's weights (<see cref="T2Strategy"/>);</item>
/// <item>recompose: hard dispatch installs one expert, soft dispatch the mask-space mixture
/// z'_m = Σ_l α_l·z_{l,m} with z_fallback = max_mult (a constant vector, alone the base weights), few-shot the CEM α;</item>
/// <item>second pass: greedy or sampled generation with the task's own prompt (<see cref="Generate"/>, or
/// <see cref="EvalHarness"/> through <see cref="AsFirstPass"/>, which times the two passes separately).</item>
/// </list>
/// Every first-pass decision is appended to <see cref="Log"/>. Owns the host, the basis and the experts (not the generator's model).
/// </summary>
public sealed partial class Transformer2 : IDisposable
{
    /// <summary>The key of the few-shot strategy's single decision.</summary>
    public const string FewShotKey = "few-shot";

    private readonly SvfExpert _constant;
    private readonly List<T2Dispatch> _log = [];
    private LabelScorer? _labelScorer;

    /// <summary>
    /// A runtime over <paramref name="generator"/>'s model with <paramref name="host"/> already attached to it.
    /// <paramref name="experts"/> maps expert categories of <see cref="Transformer2Options.Categories"/> (paper: code /
    /// math / reasoning) to experts of the host's basis; <paramref name="classifier"/> is the §9.2 classification expert
    /// (required by <see cref="T2Strategy.Classifier"/> and <see cref="T2Strategy.ClassifierScore"/>).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown category, a fallback entry, an expert of another basis, a missing classifier, or few-shot without experts.</exception>
    public Transformer2(Generator generator, SvfHost host, IReadOnlyDictionary<string, SvfExpert> experts, Transformer2Options? options = null, SvfExpert? classifier = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(experts);
        Options = (options ?? new Transformer2Options()).Validate();
        var categories = Options.Categories;
        foreach (var (label, expert) in experts)
        {
            if (label == categories.Fallback) throw new ArgumentException($"Transformer²: '{label}' always dispatches to the base weights; do not map an expert to it");
            if (!categories.ExpertLabels.Contains(label))
            {
                throw new ArgumentException($"Transformer²: unknown category '{label}'; the expert map takes {string.Join(", ", categories.ExpertLabels)}");
            }
            try
            {
                expert.CheckFits(host.Basis);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Transformer²: the {label} expert: {e.Message}", e);
            }
        }
        if (Options.Strategy is T2Strategy.Classifier or T2Strategy.ClassifierScore && classifier is null) throw new ArgumentException("Transformer²: the classifier strategy needs a classification expert (--classifier DIR)");
        classifier?.CheckFits(host.Basis);
        if (Options.Strategy == T2Strategy.FewShot && experts.Count == 0) throw new ArgumentException("Transformer²: few-shot adaptation needs at least one expert to mix");
        Generator = generator;
        Host = host;
        Experts = experts;
        Classifier = classifier;
        MixtureLabels = [.. categories.ExpertLabels.Where(experts.ContainsKey)];
        float maxMult = experts.Values.FirstOrDefault()?.MaxMult ?? 1f;
        _constant = new SvfExpert(categories.Fallback, [], maxMult, host.Basis.BaseModel, host.Basis.Fingerprint);
    }

    /// <summary>The generator (model, tokenizer, chat template) of both passes.</summary>
    public Generator Generator { get; }

    /// <summary>The SVF host on the generator's model.</summary>
    public SvfHost Host { get; }

    /// <summary>The expert map (expert category → expert; the fallback is the base weights).</summary>
    public IReadOnlyDictionary<string, SvfExpert> Experts { get; }

    /// <summary>The classification expert, or null.</summary>
    public SvfExpert? Classifier { get; }

    /// <summary>The options.</summary>
    public Transformer2Options Options { get; }

    /// <summary>The categories with an expert, in label order: the K experts of the few-shot mixture.</summary>
    public IReadOnlyList<string> MixtureLabels { get; }

    /// <summary>The few-shot α (K or K×M numbers), set by <see cref="AdaptFewShot"/> or <see cref="UseMixture"/>.</summary>
    public double[]? FewShotAlpha { get; private set; }

    /// <summary>Every first-pass decision so far, in call order.</summary>
    public IReadOnlyList<T2Dispatch> Log => _log;

    /// <summary>Number of α coordinates of the few-shot search: K (global) or K·M (per matrix).</summary>
    public int FewShotDimensions => MaskMixture.Dimensions(MixtureLabels.Count, Host.Linears.Count, Options.Scope);

    /// <summary>
    /// The first pass for <paramref name="question"/> (the weights are back to the base afterwards). Prompt: greedy
    /// generation of the §9.1 chat (system = <see cref="SystemText"/>) under the base weights, label =
    /// <see cref="ClassificationCategories.Parse"/> of <see cref="Transformer2Options.Categories"/>.
    /// Classifier: the same under the classification expert. Label score: the §9.4 one-prefill scores s_l, hard
    /// label = argmax, soft α = softmax(s/τ); classifier score: the same under the classification expert. Few-shot: the fixed α (no model call).
    /// </summary>
    /// <exception cref="InvalidOperationException">No chat template, or few-shot without an α.</exception>
    public T2Dispatch Classify(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        switch (Options.Strategy)
        {
            case T2Strategy.FewShot:
                return new T2Dispatch(FewShotKey, (double[])(FewShotAlpha ?? throw new InvalidOperationException("Transformer² few-shot: no α yet; run AdaptFewShot or load an svf_mixture.json")).Clone());
            case T2Strategy.LabelScore:
            case T2Strategy.ClassifierScore:
            {
                if (Options.Strategy == T2Strategy.ClassifierScore) Install(Classifier!);
                else Host.Clear();
                try
                {
                    _labelScorer ??= new LabelScorer(Generator.Model, Generator.Tokenizer);
                    var scores = _labelScorer.ScoreClassification(Template(), question, SystemText, Options.Categories);
                    double[]? alpha = Options.Dispatch == LabelDispatch.Soft ? scores.Softmax(Options.Temperature) : null;
                    return new T2Dispatch(scores.Best, alpha, Scores: scores.Scores);
                }
                finally
                {
                    Host.Clear();
                }
            }
            default:
            {
                if (Options.Strategy == T2Strategy.Classifier) Install(Classifier!);
                else Host.Clear();
                try
                {
                    var ids = ClassificationPrompt.Encode(Generator.Tokenizer, Template(), question, system: SystemText);
                    int room = Generator.Model.Info.MaxPositions - ids.Count;
                    if (room < 1) throw new ArgumentException($"Transformer²: the classification prompt has {ids.Count} tokens; the model has {Generator.Model.Info.MaxPositions} positions");
                    var gen = new GenerationOptions { MaxNewTokens = Math.Min(Options.FirstPassMaxNewTokens, room), Temperature = 0f };
                    string text = Generator.Generate([ids], gen)[0].Text;
                    return new T2Dispatch(Options.Categories.Parse(text, Options.Parsing), FirstPassText: text);
                }
                finally
                {
                    Host.Clear();
                }
            }
        }
    }

    /// <summary>
    /// Installs the weights of <paramref name="dispatch"/> until the result is disposed (then the base weights):
    /// few-shot → the α-mixture of <see cref="MixtureLabels"/>' experts; soft → the mixture over the categories' labels
    /// (the fallback and a category without an expert contribute the constant z = max_mult); hard → the label's expert,
    /// or the base weights for the fallback or a category without an expert.
    /// </summary>
    public IDisposable Apply(T2Dispatch dispatch)
    {
        ArgumentNullException.ThrowIfNull(dispatch);
        if (dispatch.Label == FewShotKey && dispatch.Alpha is { } a)
        {
            Host.ApplyMixture([.. MixtureLabels.Select(l => Experts[l])], a);
        }
        else if (dispatch.Alpha is { } soft)
        {
            Host.ApplyMixture([.. Options.Categories.Labels.Select(l => Experts.GetValueOrDefault(l) ?? _constant)], soft);
        }
        else if (Experts.TryGetValue(dispatch.Label, out var expert))
        {
            Install(expert);
        }
        else
        {
            Host.Clear();
        }
        return new Restore(Host);
    }

    /// <summary>
    /// Two passes for one prompt: <see cref="Classify"/> (timed as the first pass, logged), then <see cref="Apply"/> and
    /// generation of <paramref name="prompt"/> in <see cref="Transformer2Options.SecondPassFormat"/> (timed as the second pass).
    /// </summary>
    public T2Generation Generate(string prompt, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        var dispatch = Classify(prompt);
        _log.Add(dispatch);
        double first = clock.Elapsed.TotalSeconds;
        clock.Restart();
        GenerationResult output;
        using (Apply(dispatch))
        {
            var ids = Generator.EncodePrompt(prompt, Options.SecondPassFormat);
            output = Generator.Generate([ids], options)[0];
        }
        return new T2Generation(dispatch, output, first, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// This runtime as the <see cref="EvalHarness"/>'s first pass: Decide = <see cref="Classify"/> (logged), with key =
    /// the label for hard dispatch and few-shot (prompts sharing weights are batched together) and a per-prompt key for
    /// soft dispatch; Apply = <see cref="Apply"/>.
    /// </summary>
    internal IFirstPass AsFirstPass() => new DelegateFirstPass(
        prompt =>
        {
            var d = Classify(prompt);
            _log.Add(d);
            string key = d.Alpha is not null && d.Label != FewShotKey ? $"{d.Label}#{_log.Count.ToString(CultureInfo.InvariantCulture)}" : d.Label;
            return new FirstPassDecision(key, d);
        },
        decision => Apply((T2Dispatch)decision.Payload!));

    /// <summary>Sets the few-shot α (e.g. from an <c>svf_mixture.json</c>).</summary>
    /// <exception cref="ArgumentException">α has neither K nor K·M numbers, or a negative or non-finite number.</exception>
    public void UseMixture(IReadOnlyList<double> alpha)
    {
        ArgumentNullException.ThrowIfNull(alpha);
        int k = MixtureLabels.Count, m = Host.Linears.Count;
        if (alpha.Count != k && alpha.Count != k * m) throw new ArgumentException($"Transformer²: α has {alpha.Count} numbers; the {k} experts ({string.Join(", ", MixtureLabels)}) need {k} or {k * m}");
        if (alpha.Any(a => !(a >= 0) || double.IsInfinity(a))) throw new ArgumentException("Transformer²: mask-space α must be finite and ≥ 0");
        FewShotAlpha = [.. alpha];
    }

    /// <summary>Forgets the logged decisions.</summary>
    public void ClearLog() => _log.Clear();

    /// <summary>Releases the host (restoring the model's modules), the experts, the classifier and the basis.</summary>
    public void Dispose()
    {
        var basis = Host.Basis;
        Host.Dispose();
        foreach (var e in Experts.Values) e.Dispose();
        Classifier?.Dispose();
        _constant.Dispose();
        basis.Dispose();
    }

    /// <summary>The classification chat's system text: <see cref="Transformer2Options.ClassificationSystem"/>, else the categories' <see cref="ClassificationCategories.SystemPrompt"/>.</summary>
    public string SystemText => Options.ClassificationSystem ?? Options.Categories.SystemPrompt;

    /// <summary>The generator's chat template (the classification prompt is a chat).</summary>
    internal ChatTemplate Template() => Generator.ChatTemplate
        ?? throw new InvalidOperationException($"Transformer²: the first pass needs a chat template (none in tokenizer_config.json next to {Generator.Tokenizer.SourcePath})");

    /// <summary>Installs <paramref name="expert"/> as a fixed mask z = max_mult·sigmoid(p) (inference: no gradient path to p, whatever p requires).</summary>
    private void Install(SvfExpert expert) => Host.ApplyMixture([expert], [1.0]);

    private sealed class Restore(SvfHost host) : IDisposable
    {
        public void Dispose() => host.Clear();
    }
}
