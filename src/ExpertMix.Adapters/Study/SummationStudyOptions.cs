// Options of the naive-summation study (docs/merging-and-orthogonality.md §6–7).
using ExpertMix.Adapters.Lora;

namespace ExpertMix.Adapters.Study;

/// <summary>One domain: a name and a JSONL file of prompt/completion rows (text rows are accepted by the standard objective only).</summary>
/// <param name="Name">Short label (e.g. math).</param>
/// <param name="File">The JSONL file.</param>
internal sealed record StudyDomain(string Name, string File);

/// <summary>Whether the adapters of one seed start from the same A or from independent draws.</summary>
internal enum InitSharing
{
    /// <summary>Each adapter draws its own A (the generator mixes seed and adapter name).</summary>
    Independent,

    /// <summary>All adapters of one seed start from the same A (factor summation then approaches k·ΣΔWᵢ).</summary>
    Shared,
}

/// <summary>The training objective and its matching perplexity protocol (spec §7 items 4 and 6).</summary>
internal enum StudyObjective
{
    /// <summary>
    /// (b) Standard causal LM on prompt + completion with the loss on completion tokens only; perplexity is
    /// token-weighted over the whole (capped) test sets: exp(Σ_batches loss·n / Σ n).
    /// </summary>
    Standard,

    /// <summary>
    /// (a) The paper scripts' quirk: input = prompt tokens, labels = completion tokens, both padded with EOS to the
    /// maximum length and aligned position by position, no −100 masking (so logits[t] is trained to predict
    /// completion[t + 1] from the prompt prefix). Perplexity: <see cref="SummationStudyOptions.FaithfulEvalRows"/>
    /// shuffled rows per domain (split seed), batches of 8, length <see cref="SummationStudyOptions.FaithfulEvalLength"/>,
    /// last partial batch dropped, PPL = exp(mean batch loss).
    /// </summary>
    Faithful,
}

/// <summary>
/// The study recipe. Per domain an 80/10/10 train/validation/test split by <see cref="SplitSeed"/>; for each seed and
/// objective one adapter per domain, and one joint adapter per pair and for all domains trained on the concatenated
/// data with batch k·<see cref="BatchSize"/> (k domains, as the paper's joint runs) for the same number of steps;
/// AdamW, linear decay with 2 warm-up steps, gradient clipping at 1. Then held-out perplexity of base, singles, both
/// naive sums and joints, ΔPPL% = 100·(PPL_sum − PPL_joint)/PPL_joint on the union of the combined domains' test
/// sets, the orthogonality metrics of every pair and the correlation of ΔPPL% with RMS cosine.
/// </summary>
internal sealed record SummationStudyOptions
{
    /// <summary>The base model directory (Hugging Face layout).</summary>
    public required string ModelDirectory { get; init; }

    /// <summary>At least two domains with distinct names.</summary>
    public required IReadOnlyList<StudyDomain> Domains { get; init; }

    /// <summary>Where adapters, report.json, report.md and the SVG plots go.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>LoRA rank (paper: 4).</summary>
    public int Rank { get; init; } = 4;

    /// <summary>lora_alpha (paper: 64, so s = α/r = 16).</summary>
    public float Alpha { get; init; } = 64;

    /// <summary>Targets; null = the paper's c_attn + c_proj on GPT-2 (suffix matching also catches mlp.c_proj), q/k/v/o_proj + down_proj elsewhere.</summary>
    public TargetModules? Targets { get; init; }

    /// <summary>LoRA dropout (paper scripts: 0.1).</summary>
    public float Dropout { get; init; } = 0.1f;

    /// <summary>Optimizer steps of every adapter.</summary>
    public int Steps { get; init; } = 200;

    /// <summary>Sequences per batch of a single-domain run (paper: 8); a joint run over k domains uses k times as many.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Tokens per training sequence (paper: 128).</summary>
    public int MaxLength { get; init; } = 128;

    /// <summary>Peak learning rate (paper: 5e-5 on GPT-2; tiny models want more).</summary>
    public double LearningRate { get; init; } = 5e-5;

    /// <summary>AdamW weight decay (paper: 0.01).</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Training seeds (the spec asks for ≥ 3).</summary>
    public IReadOnlyList<ulong> Seeds { get; init; } = [1, 2, 3];

    /// <summary>Shared or independent A initialisation.</summary>
    public InitSharing Init { get; init; } = InitSharing.Independent;

    /// <summary>Objectives to run (each gets its own table and fit).</summary>
    public IReadOnlyList<StudyObjective> Objectives { get; init; } = [StudyObjective.Standard, StudyObjective.Faithful];

    /// <summary>Seed of the 80/10/10 split and of the faithful protocol's shuffle (paper: 42).</summary>
    public ulong SplitSeed { get; init; } = 42;

    /// <summary>Training rows used per domain (0 = all of the 80%).</summary>
    public int MaxTrainRows { get; init; }

    /// <summary>Test rows per domain for the standard protocol (0 = all of the 10%).</summary>
    public int MaxTestRows { get; init; } = 200;

    /// <summary>Rows per domain of the faithful protocol (paper: 50).</summary>
    public int FaithfulEvalRows { get; init; } = 50;

    /// <summary>Sequence length of the faithful protocol (paper: 64).</summary>
    public int FaithfulEvalLength { get; init; } = 64;

    /// <summary>Sequences per evaluation batch (paper: 8).</summary>
    public int EvalBatchSize { get; init; } = 8;

    /// <summary>Checks the options and the data files.</summary>
    /// <exception cref="ArgumentException">Fewer than two domains, repeated names, or an out-of-range number (named).</exception>
    /// <exception cref="FileNotFoundException">A domain's file does not exist.</exception>
    public SummationStudyOptions Validate()
    {
        if (Domains.Count < 2) throw new ArgumentException($"the summation study needs at least two domains (got {Domains.Count})");
        var dup = Domains.GroupBy(d => d.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"domain name '{dup.Key}' is given twice; names must be distinct");
        foreach (var d in Domains)
        {
            if (string.IsNullOrWhiteSpace(d.Name) || d.Name.IndexOfAny(['+', '/', '\\', ' ']) >= 0) throw new ArgumentException($"domain name '{d.Name}' must be non-empty without '+', '/', '\\' or spaces");
            if (!File.Exists(d.File)) throw new FileNotFoundException($"domain {d.Name}: data file not found: {d.File}", d.File);
        }
        Check(Rank >= 1, $"rank must be ≥ 1 (got {Rank})");
        Check(Alpha > 0, $"alpha must be > 0 (got {Alpha})");
        Check(Dropout is >= 0 and < 1, $"dropout must be in [0, 1) (got {Dropout})");
        Check(Steps >= 3, $"steps must be ≥ 3 (2 are warm-up; got {Steps})");
        Check(BatchSize >= 1 && EvalBatchSize >= 1, "batch sizes must be ≥ 1");
        Check(MaxLength >= 8 && FaithfulEvalLength >= 8, "sequence lengths must be ≥ 8");
        Check(LearningRate > 0, $"learning rate must be > 0 (got {LearningRate})");
        Check(Seeds.Count >= 1 && Seeds.Distinct().Count() == Seeds.Count, "give at least one seed, each once");
        Check(Objectives.Count >= 1 && Objectives.Distinct().Count() == Objectives.Count, "give at least one objective, each once");
        Check(MaxTrainRows >= 0 && MaxTestRows >= 0 && FaithfulEvalRows >= EvalBatchSize,
            $"row caps must be ≥ 0 and the faithful protocol needs at least one batch ({FaithfulEvalRows} rows < batch {EvalBatchSize})");
        return this;
    }

    private static void Check(bool ok, string message)
    {
        if (!ok) throw new ArgumentException($"summation study: {message}");
    }
}
