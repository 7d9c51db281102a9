// Size and schedule of the demo's base LM, pretrained from scratch on the world's corpus.
namespace ExpertMix.Cli.Demo;

/// <summary>
/// A tiny Llama (byte vocabulary of 259 = 256 bytes + &lt;s&gt; &lt;/s&gt; &lt;pad&gt;, tied embeddings, SwiGLU, RoPE)
/// and its pretraining run: AdamW, linear warm-up then cosine decay to <see cref="MinLrRatio"/>·lr, one corpus
/// sentence per sequence (BOS + sentence + EOS), <see cref="BatchSize"/> sentences per step.
/// </summary>
internal sealed record DemoBaseModelOptions
{
    /// <summary>Hidden size C. Default 128.</summary>
    public int HiddenSize { get; init; } = 128;

    /// <summary>SwiGLU inner size. Default 256.</summary>
    public int IntermediateSize { get; init; } = 256;

    /// <summary>Decoder layers. Default 2.</summary>
    public int Layers { get; init; } = 2;

    /// <summary>Attention heads (no grouped-query sharing); must divide <see cref="HiddenSize"/>. Default 4.</summary>
    public int Heads { get; init; } = 4;

    /// <summary>max_position_embeddings. Default 256 (prompts and answers are under 128 bytes).</summary>
    public int MaxPositions { get; init; } = 256;

    /// <summary>
    /// Optimizer steps. Default 2000 (≈ 73 epochs of the default world's 877-sentence corpus), after which the base
    /// completes 99 % of the corpus sentences word for word (cloze recall).
    /// </summary>
    public int Steps { get; init; } = 2000;

    /// <summary>Sentences per step. Default 32.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Peak learning rate. Default 3e-3.</summary>
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>Linear warm-up steps. Default 30.</summary>
    public int WarmupSteps { get; init; } = 30;

    /// <summary>Floor of the cosine decay as a fraction of the peak. Default 0.1.</summary>
    public double MinLrRatio { get; init; } = 0.1;

    /// <summary>Seed of the weights and of the batch order. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The <c>--quick</c> run: 400 steps of the same model (a smoke run: the quick corpus is only partly memorised).</summary>
    public static DemoBaseModelOptions Quick { get; } = new() { Steps = 400, WarmupSteps = 20 };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option and what is expected.</summary>
    public void Validate()
    {
        if (HiddenSize < 8) throw new ArgumentException($"DemoBaseModelOptions.HiddenSize = {HiddenSize}; expected ≥ 8");
        if (Heads < 1 || HiddenSize % Heads != 0 || HiddenSize / Heads % 2 != 0)
            throw new ArgumentException($"DemoBaseModelOptions.Heads = {Heads}; expected a divisor of HiddenSize {HiddenSize} leaving an even head size");
        if (IntermediateSize < 1) throw new ArgumentException($"DemoBaseModelOptions.IntermediateSize = {IntermediateSize}; expected ≥ 1");
        if (Layers < 1) throw new ArgumentException($"DemoBaseModelOptions.Layers = {Layers}; expected ≥ 1");
        if (MaxPositions < 16) throw new ArgumentException($"DemoBaseModelOptions.MaxPositions = {MaxPositions}; expected ≥ 16");
        if (Steps < 1) throw new ArgumentException($"DemoBaseModelOptions.Steps = {Steps}; expected ≥ 1");
        if (BatchSize < 1) throw new ArgumentException($"DemoBaseModelOptions.BatchSize = {BatchSize}; expected ≥ 1");
        if (!(LearningRate > 0)) throw new ArgumentException($"DemoBaseModelOptions.LearningRate = {LearningRate}; expected > 0");
        if (WarmupSteps < 0 || WarmupSteps > Steps) throw new ArgumentException($"DemoBaseModelOptions.WarmupSteps = {WarmupSteps}; expected 0..Steps ({Steps})");
        if (MinLrRatio is < 0 or > 1 || double.IsNaN(MinLrRatio)) throw new ArgumentException($"DemoBaseModelOptions.MinLrRatio = {MinLrRatio}; expected 0..1");
    }
}
