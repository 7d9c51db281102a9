// What one `expertmix demo` run does: seed, size, where it writes, and the training recipe of each phase.
namespace ExpertMix.Cli.Demo;

/// <summary>The options of one demo run.</summary>
/// <param name="Seed">Seed of the world, the base model and every training and evaluation phase.</param>
/// <param name="Mode">Quick (CI, about a minute) or full.</param>
/// <param name="ReportDirectory">Where index.html, the SVGs and results.json go (work files in its <c>work/</c> folder).</param>
/// <param name="Output">Console output: a table or one JSON object.</param>
internal sealed record DemoOptions(ulong Seed, DemoMode Mode, string ReportDirectory, DemoOutputFormat Output)
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

/// <summary>Epochs, step counts and sizes of the demo's training phases.</summary>
/// <param name="LoraEpochs">Epochs of each LoRA expert over its domain's training set (batch 16).</param>
/// <param name="LoraRank">LoRA rank of each expert (all linear layers).</param>
/// <param name="LoraLearningRate">Peak learning rate of the LoRA experts (cosine decay).</param>
/// <param name="XLoraEpochs">Epochs of the X-LoRA gate over every training set, the cross-domain one included.</param>
/// <param name="SvfSteps">sft steps of each SVF expert (batch 16).</param>
/// <param name="CemIterations">Few-shot CEM iterations of Transformer².</param>
/// <param name="CemPopulation">Few-shot CEM candidates per iteration.</param>
internal sealed record DemoRecipe(int LoraEpochs, int LoraRank, double LoraLearningRate, int XLoraEpochs, int SvfSteps, int CemIterations, int CemPopulation)
{
    /// <summary>The full recipe (≤ 5 minutes on 2 cores).</summary>
    public static DemoRecipe Full { get; } = new(LoraEpochs: 40, LoraRank: 8, LoraLearningRate: 3e-3, XLoraEpochs: 10, SvfSteps: 200, CemIterations: 10, CemPopulation: 16);

    /// <summary>The quick recipe (≤ 1 minute on 2 cores; CI).</summary>
    public static DemoRecipe Quick { get; } = new(LoraEpochs: 20, LoraRank: 8, LoraLearningRate: 3e-3, XLoraEpochs: 4, SvfSteps: 60, CemIterations: 4, CemPopulation: 8);
}
