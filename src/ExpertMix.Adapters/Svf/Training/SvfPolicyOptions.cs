// Typed options of the SVF policy-gradient trainer: faithful (reference REINFORCE) and default (sampled groups) modes.
using System.Globalization;
using System.Text;
using ExpertMix.Adapters.Training;

namespace ExpertMix.Adapters.Svf.Training;

/// <summary>Which policy-gradient recipe (spec §7).</summary>
internal enum SvfPolicyMode
{
    /// <summary>
    /// §7.1, the reference: one greedy rollout per prompt, reward ±1, summed log-prob, optional KL(π_ref ‖ π_W') summed
    /// over tokens; loss = Σ_j (−logp_j·r_j + λ·KL_j) / B.
    /// </summary>
    Faithful,

    /// <summary>
    /// §7.2: G sampled completions per prompt, leave-one-out (or GRPO) advantages, length-normalised log-prob and a
    /// per-token KL(π_W' ‖ π_W); L = −(1/(N·G)) Σ A·ℓ + β·mean KL.
    /// </summary>
    Default,
}

/// <summary>Baseline of the sampled-group advantages (default mode).</summary>
internal enum SvfAdvantage
{
    /// <summary>Leave-one-out: A_g = r_g − mean_{h≠g} r_h.</summary>
    Rloo,

    /// <summary>GRPO: A_g = (r_g − mean r) / (std r + 1e-6), std with the 1/(G−1) (unbiased) normaliser as in TRL.</summary>
    Grpo,
}

/// <summary>How a sample's summed log-probability becomes ℓ (default mode).</summary>
internal enum SvfLengthNormalization
{
    /// <summary>ℓ = (1/|y|) Σ_t log π(y_t) (the default).</summary>
    SampleMean,

    /// <summary>ℓ = Σ_t log π(y_t) (the reference).</summary>
    Sum,

    /// <summary>ℓ = (N·G / Σ_samples |y|) Σ_t log π(y_t): a token mean over the whole batch.</summary>
    BatchTokenMean,

    /// <summary>ℓ = (1/max_new_tokens) Σ_t log π(y_t) (a constant divisor).</summary>
    MaxNewTokens,
}

/// <summary>Which KL divergence penalises drifting from the base weights.</summary>
internal enum SvfKlDirection
{
    /// <summary>KL(π_W' ‖ π_W) = Σ_v π_W'(v)(log π_W'(v) − log π_W(v)): the paper's direction (default mode).</summary>
    PolicyToBase,

    /// <summary>KL(π_W ‖ π_W') = Σ_v π_W(v)(log π_W(v) − log π_W'(v)): the reference code's direction (faithful mode).</summary>
    BaseToPolicy,
}

/// <summary>
/// Options of <see cref="SvfPolicyTrainer"/>. Start from <see cref="For"/>, which fills the mode's defaults
/// (faithful: G = 1, greedy, summed log-prob, KL 0 in the reference direction; default: G = 4, temperature 1,
/// RLOO, per-sample token mean, β = 0.1 in the paper direction); both use Adam with lr 2e-3 and a global clip of 1e-3.
/// </summary>
internal sealed record SvfPolicyOptions
{
    /// <summary>Run folder: <c>checkpoints/</c> (<c>step-N</c>, <c>best</c>), <c>metrics.jsonl</c> and the exported <c>expert/</c>.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>The recipe.</summary>
    public required SvfPolicyMode Mode { get; init; }

    /// <summary>Policy updates to run.</summary>
    public int Iterations { get; init; } = 200;

    /// <summary>Prompts per iteration (min(B, |train|), drawn without replacement); reference 256.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Completions per prompt G (1 in faithful mode).</summary>
    public int GroupSize { get; init; } = 1;

    /// <summary>Sampling temperature of the rollouts (0 = greedy, faithful mode).</summary>
    public float Temperature { get; init; }

    /// <summary>Generation limit (null = the task's <c>MaxNewTokens</c>).</summary>
    public int? MaxNewTokens { get; init; }

    /// <summary>KL coefficient (λ faithful, β default); 0 = no reference forward at all.</summary>
    public double KlCoefficient { get; init; }

    /// <summary>Direction of the KL term.</summary>
    public SvfKlDirection KlDirection { get; init; } = SvfKlDirection.BaseToPolicy;

    /// <summary>Advantage baseline (default mode).</summary>
    public SvfAdvantage Advantage { get; init; } = SvfAdvantage.Rloo;

    /// <summary>Length normalisation of the log-probability.</summary>
    public SvfLengthNormalization LengthNormalization { get; init; } = SvfLengthNormalization.Sum;

    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>Learning-rate schedule over the run, no warm-up: constant (the reference) or cosine/linear decay to 0 (the paper's appendix).</summary>
    public LrScheduleKind Schedule { get; init; } = LrScheduleKind.Constant;

    /// <summary>Decoupled weight decay (0 = Adam, the reference).</summary>
    public double WeightDecay { get; init; }

    /// <summary>Global 2-norm clip of the gradient of all p (0 = off).</summary>
    public double MaxGradNorm { get; init; } = 1e-3;

    /// <summary>Evaluate on the dev set (greedy) every N iterations, and after the last; 0 = only after the last.</summary>
    public int EvalEvery { get; init; } = 10;

    /// <summary>Rows per generation call.</summary>
    public int GenerationBatch { get; init; } = 8;

    /// <summary>Step checkpoints kept, newest first (the best one is kept apart).</summary>
    public int KeepLastCheckpoints { get; init; } = 2;

    /// <summary>Seed of prompt sampling and rollout sampling.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Resume from a checkpoint folder, or <c>"latest"</c> (null = fresh start).</summary>
    public string? Resume { get; init; }

    /// <summary>Where the final expert goes (null = <c>OutputDirectory/expert</c>): the best-dev checkpoint's, else the last.</summary>
    public string? ExpertDirectory { get; init; }

    /// <summary>Folder of the exported expert.</summary>
    public string ResolvedExpertDirectory => ExpertDirectory ?? Path.Combine(OutputDirectory, "expert");

    /// <summary>The defaults of <paramref name="mode"/> (see the type summary).</summary>
    public static SvfPolicyOptions For(SvfPolicyMode mode, string outputDirectory) => mode == SvfPolicyMode.Faithful
        ? new SvfPolicyOptions { OutputDirectory = outputDirectory, Mode = mode }
        : new SvfPolicyOptions
        {
            OutputDirectory = outputDirectory,
            Mode = mode,
            GroupSize = 4,
            Temperature = 1f,
            KlCoefficient = 0.1,
            KlDirection = SvfKlDirection.PolicyToBase,
            LengthNormalization = SvfLengthNormalization.SampleMean,
        };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option and what is expected.</summary>
    public void Validate()
    {
        static ArgumentException Bad(string name, object? value, string expected) =>
            new($"SVF policy option {name} = {Convert.ToString(value, CultureInfo.InvariantCulture)}: {expected}", name);
        if (string.IsNullOrWhiteSpace(OutputDirectory)) throw Bad(nameof(OutputDirectory), OutputDirectory, "an output directory is required");
        if (!Enum.IsDefined(Mode)) throw Bad(nameof(Mode), Mode, "unknown mode");
        if (Iterations < 1) throw Bad(nameof(Iterations), Iterations, "must be ≥ 1");
        if (BatchSize < 1) throw Bad(nameof(BatchSize), BatchSize, "must be ≥ 1");
        if (GroupSize < 1) throw Bad(nameof(GroupSize), GroupSize, "must be ≥ 1");
        if (Mode == SvfPolicyMode.Faithful && GroupSize != 1) throw Bad(nameof(GroupSize), GroupSize, "faithful mode has one rollout per prompt (1)");
        if (Mode == SvfPolicyMode.Default && GroupSize < 2) throw Bad(nameof(GroupSize), GroupSize, "default mode needs groups of ≥ 2 completions for its baseline");
        if (!float.IsFinite(Temperature) || Temperature < 0) throw Bad(nameof(Temperature), Temperature, "must be finite and ≥ 0 (0 = greedy)");
        if (MaxNewTokens is < 1) throw Bad(nameof(MaxNewTokens), MaxNewTokens, "must be ≥ 1");
        if (!(KlCoefficient >= 0) || double.IsInfinity(KlCoefficient)) throw Bad(nameof(KlCoefficient), KlCoefficient, "must be a finite number ≥ 0");
        if (!Enum.IsDefined(KlDirection)) throw Bad(nameof(KlDirection), KlDirection, "unknown direction");
        if (!Enum.IsDefined(Advantage)) throw Bad(nameof(Advantage), Advantage, "unknown baseline");
        if (!Enum.IsDefined(Schedule)) throw Bad(nameof(Schedule), Schedule, "unknown schedule");
        if (!Enum.IsDefined(LengthNormalization)) throw Bad(nameof(LengthNormalization), LengthNormalization, "unknown normalisation");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw Bad(nameof(LearningRate), LearningRate, "must be a finite number > 0");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) throw Bad(nameof(WeightDecay), WeightDecay, "must be a finite number ≥ 0");
        if (!(MaxGradNorm >= 0) || double.IsInfinity(MaxGradNorm)) throw Bad(nameof(MaxGradNorm), MaxGradNorm, "must be a finite number ≥ 0 (0 = off)");
        if (EvalEvery < 0) throw Bad(nameof(EvalEvery), EvalEvery, "must be ≥ 0");
        if (GenerationBatch < 1) throw Bad(nameof(GenerationBatch), GenerationBatch, "must be ≥ 1");
        if (KeepLastCheckpoints < 1) throw Bad(nameof(KeepLastCheckpoints), KeepLastCheckpoints, "must be ≥ 1 (resume needs one)");
        if (Resume is not null && string.IsNullOrWhiteSpace(Resume)) throw Bad(nameof(Resume), Resume, "a checkpoint folder or \"latest\"");
    }

    /// <summary>The options that decide the trajectory as <c>key=value</c> lines; a resume with other values is refused.</summary>
    public string Fingerprint()
    {
        var sb = new StringBuilder();
        void Add(string key, object? value) => sb.Append(key).Append('=').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append('\n');
        Add("mode", Mode);
        Add("iterations", Iterations);
        Add("batch_size", BatchSize);
        Add("group_size", GroupSize);
        Add("temperature", Temperature.ToString("R", CultureInfo.InvariantCulture));
        Add("max_new_tokens", MaxNewTokens);
        Add("kl", KlCoefficient.ToString("R", CultureInfo.InvariantCulture));
        Add("kl_direction", KlDirection);
        Add("advantage", Advantage);
        Add("length_normalization", LengthNormalization);
        Add("learning_rate", LearningRate.ToString("R", CultureInfo.InvariantCulture));
        Add("schedule", Schedule);
        Add("weight_decay", WeightDecay.ToString("R", CultureInfo.InvariantCulture));
        Add("max_grad_norm", MaxGradNorm.ToString("R", CultureInfo.InvariantCulture));
        Add("eval_every", EvalEvery);
        Add("seed", Seed);
        return sb.ToString();
    }
}
