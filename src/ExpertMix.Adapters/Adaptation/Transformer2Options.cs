// Settings of the Transformer² two-pass runtime (spec §9): first-pass strategy, dispatch mode, few-shot CEM.
using ExpertMix.Models.Generation;

namespace ExpertMix.Adapters.Adaptation;

/// <summary>How the first pass chooses the second pass's weights (spec §9.1–§9.4).</summary>
public enum T2Strategy
{
    /// <summary>§9.1: generate greedily with the classification prompt under the base weights and parse <c>\boxed{…}</c>.</summary>
    Prompt,

    /// <summary>§9.2: as <see cref="Prompt"/>, with a dedicated SVF classification expert applied for the first pass.</summary>
    Classifier,

    /// <summary>§9.4: one prefill of the classification chat prefilled with <c>Classification: \boxed{</c>; each label is scored.</summary>
    LabelScore,

    /// <summary>§9.3: a mask-space mixture α found once by CEM on dev shots, applied to every prompt (no per-prompt first pass).</summary>
    FewShot,

    /// <summary>
    /// §9.2 + §9.4: the label-score pass under the classification expert (for models that cannot generate the
    /// <c>Classification: \boxed{…}</c> format, whose expert still shifts the labels' likelihoods).
    /// </summary>
    ClassifierScore,
}

/// <summary>How <see cref="T2Strategy.LabelScore"/> and <see cref="T2Strategy.ClassifierScore"/> turn the label scores into weights.</summary>
public enum LabelDispatch
{
    /// <summary>The argmax label's expert (the fallback, <c>other</c> for the paper, = base weights).</summary>
    Hard,

    /// <summary>α = softmax(scores/τ) over the categories' labels (paper: code, math, reasoning, other); mask-space mixture where the fallback contributes the constant z = max_mult.</summary>
    Soft,
}

/// <summary>Options of <see cref="Transformer2"/>.</summary>
public sealed record Transformer2Options
{
    /// <summary>The first-pass strategy.</summary>
    public T2Strategy Strategy { get; init; } = T2Strategy.Prompt;

    /// <summary>Hard or soft dispatch for <see cref="T2Strategy.LabelScore"/> and <see cref="T2Strategy.ClassifierScore"/>.</summary>
    public LabelDispatch Dispatch { get; init; } = LabelDispatch.Hard;

    /// <summary>τ of the soft dispatch's softmax(scores/τ) (&gt; 0).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>
    /// The first pass's categories: the labels parsed, scored and dispatched, and the default classification system
    /// text (<see cref="ClassificationCategories.SystemPrompt"/>). Default the paper's code / math / reasoning / other.
    /// </summary>
    public ClassificationCategories Categories { get; init; } = ClassificationCategories.Paper;

    /// <summary>How the generated first-pass answer is parsed (§9.1 <c>--lenient-labels</c>).</summary>
    public LabelParsing Parsing { get; init; } = LabelParsing.Faithful;

    /// <summary>Greedy token limit of the generating first pass (the reference uses the task's limit; the label fits in far fewer).</summary>
    public int FirstPassMaxNewTokens { get; init; } = 32;

    /// <summary>
    /// The system text of the classification chat (prompt, classifier and label-score first passes); null = the
    /// categories' generated text (for <see cref="ClassificationCategories.Paper"/> the reference §9.1 text). For models
    /// whose positions cannot hold that text; not the reference strategy.
    /// </summary>
    public string? ClassificationSystem { get; init; }

    /// <summary>Few-shot α: one per expert (<see cref="MixtureScope.Global"/>, K dims) or per expert and matrix (<see cref="MixtureScope.PerMatrix"/>, K×M dims).</summary>
    public MixtureScope Scope { get; init; } = MixtureScope.Global;

    /// <summary>CEM settings of the few-shot search (defaults: the reference's §9.3 values).</summary>
    internal CemOptions Cem { get; init; } = new();

    /// <summary>How the second pass (and few-shot answers) wrap a prompt: raw text or the model's chat template.</summary>
    public PromptFormat SecondPassFormat { get; init; } = PromptFormat.Raw;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">A setting is out of range (named).</exception>
    public Transformer2Options Validate()
    {
        if (Categories is null) throw new ArgumentException("Transformer²: no classification categories");
        if (!(Temperature > 0) || double.IsInfinity(Temperature)) throw new ArgumentException($"Transformer²: temperature {Temperature} must be a finite value > 0");
        if (FirstPassMaxNewTokens < 1) throw new ArgumentException($"Transformer²: first-pass max new tokens {FirstPassMaxNewTokens} must be ≥ 1");
        Cem.Validate();
        if (Strategy == T2Strategy.FewShot && (Cem.Lower < 0 || Cem.Upper > 1)) throw new ArgumentException($"Transformer²: few-shot α bounds [{Cem.Lower}, {Cem.Upper}] must lie in [0, 1]");
        return this;
    }
}

/// <summary>What the first pass decided for one prompt.</summary>
/// <param name="Label">The dispatched category (one of the categories' labels, e.g. code, math, reasoning, other); for soft dispatch the argmax; for few-shot <c>few-shot</c>.</param>
/// <param name="Alpha">Mixture coefficients when the weights are a mixture (soft dispatch: over the categories' labels; few-shot: the CEM α), else null.</param>
/// <param name="FirstPassText">The generated first-pass answer (prompt/classifier strategies), else null.</param>
/// <param name="Scores">The label scores (label-score and classifier-score strategies), else null.</param>
public sealed record T2Dispatch(string Label, double[]? Alpha = null, string? FirstPassText = null, double[]? Scores = null);

/// <summary>The result of <see cref="Transformer2.Generate"/>.</summary>
/// <param name="Dispatch">The first pass's decision.</param>
/// <param name="Output">The second pass's generation.</param>
/// <param name="FirstPassSeconds">Wall time of the first pass.</param>
/// <param name="SecondPassSeconds">Wall time of recomposition + the second pass.</param>
public sealed record T2Generation(T2Dispatch Dispatch, GenerationResult Output, double FirstPassSeconds, double SecondPassSeconds);
