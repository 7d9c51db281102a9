// model.Generate(tokenizer, prompt): one call over the Generator, for any ICausalLm (adapted, X-LoRA, SVF models included).
using ExpertMix.Models.Chat;
using ExpertMix.Models.Tokenization;

namespace ExpertMix.Models.Generation;

/// <summary>Generation as a call on the model; a thin shortcut for <see cref="Generator"/> (the one generation path).</summary>
public static class GenerationExtensions
{
    /// <summary>
    /// Generates a continuation of <paramref name="prompt"/>: <c>new Generator(model, tokenizer, chatTemplate).Generate(prompt, options, format)</c>.
    /// Options default to <see cref="GenerationOptions"/>'s (greedy, up to <see cref="GenerationOptions.DefaultMaxNewTokens"/>
    /// new tokens, stopping at the model's EOS ids). <see cref="PromptFormat.Chat"/> needs <paramref name="chatTemplate"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An empty prompt, or prompt + max new tokens beyond the model's positions.</exception>
    /// <exception cref="InvalidOperationException">Chat format without a chat template.</exception>
    public static GenerationResult Generate(this ICausalLm model, Tokenizer tokenizer, string prompt, GenerationOptions? options = null,
        PromptFormat format = PromptFormat.Raw, ChatTemplate? chatTemplate = null, CancellationToken cancellationToken = default) =>
        new Generator(model, tokenizer, chatTemplate).Generate(prompt, options ?? new GenerationOptions(), format, cancellationToken);
}
