// Typed options of the data pipeline: sequence length, truncation side, EOS policy, length policy, pad id.
namespace ExpertMix.Adapters.Training.Data;

/// <summary>Whether an EOS token is appended after a text row or a completion.</summary>
public enum EosPolicy
{
    /// <summary>Append the tokenizer's EOS (with a label, so the model learns to stop); the default.</summary>
    Append,

    /// <summary>Append nothing.</summary>
    None,
}

/// <summary>Which tokens take loss.</summary>
public enum LossScope
{
    /// <summary>Only the completion of prompt/completion rows and the assistant turns of messages rows (text rows: all); the default.</summary>
    Completion,

    /// <summary>Every token (labels = input ids, as in Hugging Face's plain causal-LM collator); e.g. a --loss-on-prompt option.</summary>
    All,
}

/// <summary>Which end of an over-long example is kept by <see cref="LengthPolicy.Truncate"/> / <see cref="LengthPolicy.Pad"/>.</summary>
public enum TruncationSide
{
    /// <summary>Keep the first MaxLength tokens (drop the tail); the default.</summary>
    Right,

    /// <summary>Keep the last MaxLength tokens (drop the head, e.g. an over-long prompt).</summary>
    Left,
}

/// <summary>How examples are fitted to the sequence length.</summary>
public enum LengthPolicy
{
    /// <summary>
    /// Cut each example to MaxLength (on <see cref="DataOptions.Truncation"/>'s side); a batch is right-padded to
    /// its longest example (dynamic padding).
    /// </summary>
    Truncate,

    /// <summary>Cut as for <see cref="Truncate"/>, then right-pad every batch to exactly MaxLength (static shape).</summary>
    Pad,

    /// <summary>
    /// Concatenate the examples (each followed by EOS unless it already ends with it) into blocks of exactly
    /// MaxLength tokens; an example may straddle two blocks; the last block is right-padded. Labels are kept
    /// (prompt masks survive). Attention crosses example boundaries, as in Hugging Face's packing without
    /// flash-attention position resets (no per-example position ids or block-diagonal mask).
    /// </summary>
    Pack,
}

/// <summary>Options of tokenisation and sequence layout.</summary>
public sealed record DataOptions
{
    /// <summary>Sequence length T (tokens); must be ≥ 1. Default 512.</summary>
    public int MaxLength { get; init; } = 512;

    /// <summary>Which side is kept when truncating. Default <see cref="TruncationSide.Right"/>.</summary>
    public TruncationSide Truncation { get; init; } = TruncationSide.Right;

    /// <summary>EOS after text rows and completions. Default <see cref="EosPolicy.Append"/>.</summary>
    public EosPolicy Eos { get; init; } = EosPolicy.Append;

    /// <summary>Which tokens take loss. Default <see cref="LossScope.Completion"/>.</summary>
    public LossScope Loss { get; init; } = LossScope.Completion;

    /// <summary>Truncate, pad or pack. Default <see cref="LengthPolicy.Truncate"/>.</summary>
    public LengthPolicy Length { get; init; } = LengthPolicy.Truncate;

    /// <summary>
    /// Padding id; null resolves (see <see cref="PadTokens.Resolve"/>) to tokenizer_config.json's pad_token, else
    /// EOS, else 0. Padding never takes loss (label −100) nor attention (mask 0), so its value only matters for
    /// embedding lookups.
    /// </summary>
    public int? PadId { get; init; }

    /// <summary>Checks ranges.</summary>
    /// <exception cref="ArgumentOutOfRangeException">MaxLength &lt; 1.</exception>
    public void Validate()
    {
        if (MaxLength < 1) throw new ArgumentOutOfRangeException(nameof(MaxLength), MaxLength, "DataOptions.MaxLength must be ≥ 1");
    }
}
