// How a text prompt becomes token ids.
namespace ExpertMix.Models.Generation;

/// <summary>How <see cref="Generator"/> turns a prompt string into ids.</summary>
public enum PromptFormat
{
    /// <summary>Encode the text as is, with the tokenizer's special tokens (BOS where the tokenizer adds one).</summary>
    Raw,

    /// <summary>Render one user message through the chat template (add_generation_prompt), then encode without adding special tokens, as transformers' apply_chat_template does.</summary>
    Chat,
}
