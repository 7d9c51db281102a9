// Whether Encode adds the post-processor's special tokens (HF add_special_tokens).
namespace ExpertMix.Models.Tokenization;

/// <summary>Whether <see cref="Tokenizer.Encode"/> applies the post-processor's template (e.g. a leading BOS).</summary>
public enum SpecialTokens
{
    /// <summary>add_special_tokens = false: only the text's own tokens (added tokens written in the text still match).</summary>
    None,

    /// <summary>add_special_tokens = true: the post-processor adds its special tokens (Llama-2: <c>&lt;s&gt;</c> first).</summary>
    Add,
}
