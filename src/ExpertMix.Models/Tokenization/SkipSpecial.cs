// Whether Decode drops special tokens (HF skip_special_tokens).
namespace ExpertMix.Models.Tokenization;

/// <summary>Whether <see cref="Tokenizer.Decode"/> drops special added tokens (HF skip_special_tokens).</summary>
public enum SkipSpecial
{
    /// <summary>skip_special_tokens = false: special tokens appear in the text.</summary>
    No,

    /// <summary>skip_special_tokens = true: tokens marked <c>special</c> in added_tokens are left out.</summary>
    Yes,
}
