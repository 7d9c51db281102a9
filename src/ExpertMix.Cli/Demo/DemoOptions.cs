// What one `expertmix demo` run does: seed, size, where it writes, and the training recipe of each phase.
namespace ExpertMix.Cli.Demo;

/// <summary>The options of one demo run.</summary>
/// <param name="Seed">Seed of the world, the base model and every training and evaluation phase.</param>
/// <param name="Mode">Quick (CI, about a minute) or full.</param>
/// <param name="ReportDirectory">Where index.html, the SVGs and results.json go (work files in its <c>work/</c> folder).</param>
/// <param name="Output">Console output: a table or one JSON object.</param>
public sealed record DemoOptions(ulong Seed, DemoMode Mode, string ReportDirectory, DemoOutputFormat Output)
{
    /// <summary>A user's Hugging Face model directory instead of the embedded world's pretrained base (needs <see cref="UserDomains"/>).</summary>
    public string? ModelDirectory { get; init; }

    /// <summary>The user's domains: name → prompt/completion JSONL (<see cref="DemoUserData"/>); empty for the embedded world.</summary>
    public IReadOnlyList<(string Name, string File)> UserDomains { get; init; } = [];

    /// <summary>The work folder: data, base model, experts, merges, gate, SVF experts.</summary>
    public string WorkDirectory => Path.Combine(ReportDirectory, "work");

    /// <summary>The training recipe of this mode.</summary>
    public DemoRecipe Recipe => Mode == DemoMode.Quick ? DemoRecipe.Quick : DemoRecipe.Full;
}

/// <summary>Step counts and sizes of the demo's training phases.</summary>
/// <param name="LoraSteps">Optimizer steps of each LoRA expert.</param>
/// <param name="LoraRank">LoRA rank of each expert.</param>
/// <param name="LoraLearningRate">Peak learning rate of the LoRA experts.</param>
/// <param name="XLoraSteps">Optimizer steps of the X-LoRA gate.</param>
/// <param name="SvfSteps">sft steps of each SVF expert.</param>
/// <param name="CemIterations">Few-shot CEM iterations of Transformer².</param>
/// <param name="CemPopulation">Few-shot CEM candidates per iteration.</param>
public sealed record DemoRecipe(int LoraSteps, int LoraRank, double LoraLearningRate, int XLoraSteps, int SvfSteps, int CemIterations, int CemPopulation)
{
    /// <summary>The full recipe (≤ 5 minutes on 2 cores).</summary>
    public static DemoRecipe Full { get; } = new(LoraSteps: 300, LoraRank: 8, LoraLearningRate: 3e-3, XLoraSteps: 300, SvfSteps: 200, CemIterations: 10, CemPopulation: 16);

    /// <summary>The quick recipe (≤ 1 minute on 2 cores; CI).</summary>
    public static DemoRecipe Quick { get; } = new(LoraSteps: 80, LoraRank: 8, LoraLearningRate: 5e-3, XLoraSteps: 80, SvfSteps: 60, CemIterations: 4, CemPopulation: 8);
}
