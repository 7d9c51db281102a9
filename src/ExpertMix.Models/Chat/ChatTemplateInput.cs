// The variables a chat template is rendered with, mirroring transformers' apply_chat_template.
namespace ExpertMix.Models.Chat;

/// <summary>
/// Render variables, as transformers' <c>apply_chat_template</c> passes them: <c>messages</c>,
/// <c>tools</c> (None when absent), <c>documents</c> (None when absent), <c>add_generation_prompt</c>,
/// <c>bos_token</c> / <c>eos_token</c> (only when known: from here, else from the tokenizer config the template
/// was loaded from), then every <see cref="Extra"/> entry (e.g. <c>enable_thinking</c>), which wins over the rest.
/// Values may be strings, numbers, bools, null, lists, dictionaries (insertion order kept) or JsonElement.
/// </summary>
public sealed record ChatTemplateInput
{
    /// <summary>Creates an input from message dictionaries (role, content and any extra fields).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="messages"/> is null.</exception>
    public ChatTemplateInput(IReadOnlyList<IReadOnlyDictionary<string, object?>> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        Messages = messages;
    }

    /// <summary>Creates an input from <see cref="ChatMessage"/> records.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="messages"/> is null.</exception>
    public ChatTemplateInput(IEnumerable<ChatMessage> messages)
        : this((messages ?? throw new ArgumentNullException(nameof(messages))).Select(m => m.ToDictionary()).ToList())
    {
    }

    /// <summary>The conversation, oldest first.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, object?>> Messages { get; init; }

    /// <summary><c>add_generation_prompt</c>: end with the header of an assistant turn.</summary>
    public bool AddGenerationPrompt { get; init; }

    /// <summary><c>bos_token</c>; null falls back to the template's tokenizer config (undefined if none).</summary>
    public string? BosToken { get; init; }

    /// <summary><c>eos_token</c>; null falls back to the template's tokenizer config (undefined if none).</summary>
    public string? EosToken { get; init; }

    /// <summary><c>tools</c>: JSON-schema tool descriptions (dictionaries or JsonElement); null renders as None.</summary>
    public IReadOnlyList<object?>? Tools { get; init; }

    /// <summary><c>documents</c> for RAG templates; null renders as None.</summary>
    public IReadOnlyList<object?>? Documents { get; init; }

    /// <summary>Extra template variables (transformers' **kwargs), e.g. <c>enable_thinking</c>.</summary>
    public IReadOnlyDictionary<string, object?>? Extra { get; init; }

    /// <summary>The time <c>strftime_now</c> reports; null means the current local time.</summary>
    public DateTimeOffset? Now { get; init; }
}
