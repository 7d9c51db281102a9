// Size limits and choices for the X-LoRA scalings SVG.
namespace ExpertMix.Adapters.XLora;

/// <summary>Options of <see cref="XLoraScalingsSvg"/>: which batch row, and the caps that keep the SVG small.</summary>
internal sealed record XLoraScalingsSvgOptions
{
    /// <summary>The batch row plotted (0 by default).</summary>
    public int BatchRow { get; init; }

    /// <summary>The most token columns; longer sequences are averaged in bins of ⌈T / MaxTokens⌉ consecutive tokens.</summary>
    public int MaxTokens { get; init; } = 160;

    /// <summary>The most module rows; more modules are averaged in bins of ⌈L / MaxModules⌉ consecutive modules.</summary>
    public int MaxModules { get; init; } = 96;

    /// <summary>
    /// The most heatmap cells over the n expert panels and the dominant panel together:
    /// columns · rows · (n + 1) ≤ MaxCells (bins grow, the wider axis first, until it holds).
    /// </summary>
    public int MaxCells { get; init; } = 24_000;

    /// <summary>Token labels longer than this are cut with '…'.</summary>
    public int MaxLabelLength { get; init; } = 16;

    /// <summary>A title to show instead of the default "X-LoRA scalings λ".</summary>
    public string? Title { get; init; }

    /// <summary>Checks the limits.</summary>
    /// <exception cref="ArgumentException">A limit below 1 or a negative batch row.</exception>
    public void Validate()
    {
        if (BatchRow < 0) throw new ArgumentException($"X-LoRA scalings plot: batch row must be ≥ 0 (got {BatchRow})");
        if (MaxTokens < 1 || MaxModules < 1 || MaxCells < 1 || MaxLabelLength < 1)
        {
            throw new ArgumentException($"X-LoRA scalings plot: limits must be ≥ 1 (MaxTokens {MaxTokens}, MaxModules {MaxModules}, MaxCells {MaxCells}, MaxLabelLength {MaxLabelLength})");
        }
    }
}
