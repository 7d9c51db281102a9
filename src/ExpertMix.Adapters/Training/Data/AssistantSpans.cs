// Locates the assistant turns of a rendered chat by rendering prefixes of the conversation.
using ExpertMix.Models.Chat;

namespace ExpertMix.Adapters.Training.Data;

/// <summary>A rendered conversation and the character spans [Start, End) of its assistant turns.</summary>
/// <param name="Text">render(messages, add_generation_prompt=false).</param>
/// <param name="Spans">One span per assistant message, ascending and disjoint.</param>
public sealed record RenderedChat(string Text, IReadOnlyList<(int Start, int End)> Spans);

/// <summary>
/// Finds the characters of each assistant turn in the rendered conversation without template-specific rules.
/// With full = render(messages, add_generation_prompt=false), for assistant message i:
/// start = |render(messages[..i], add_generation_prompt=true)| (the text up to and including the assistant
/// header) and end = |render(messages[..(i+1)], add_generation_prompt=false)| (through the turn's end-of-turn
/// marker); both renders must be prefixes of full. Templates that render the final turn differently from an
/// earlier one (Qwen3 adds an empty think block to the last assistant turn) fail the second test; then the
/// turn's content is searched in full from start, and end = its end plus the text that followed the content in
/// render(messages[..(i+1)]) (the end-of-turn marker), which must follow it in full too. Trailing whitespace
/// (the newline after <c>&lt;|im_end|&gt;</c>) is left out of the span. The span thus holds what the model
/// generates after the generation prompt: the content (and any think block the template writes) plus the
/// end-of-turn token.
/// </summary>
public static class AssistantSpans
{
    /// <summary>The assistant role name.</summary>
    public const string AssistantRole = "assistant";

    /// <summary>Renders <paramref name="messages"/> and finds the assistant spans.</summary>
    /// <param name="template">The chat template.</param>
    /// <param name="messages">The conversation.</param>
    /// <param name="variables">Extra template variables (e.g. enable_thinking), or null.</param>
    /// <param name="source">The row's origin (file:line) for error messages.</param>
    /// <exception cref="InvalidDataException">The template failed or renders prefixes inconsistently; names <paramref name="source"/>.</exception>
    public static RenderedChat Find(ChatTemplate template, IReadOnlyList<ChatMessage> messages,
        IReadOnlyDictionary<string, object?>? variables, string source)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(messages);
        string full = Render(template, messages, messages.Count, false, variables, source);
        var spans = new List<(int, int)>();
        int previousEnd = 0;
        for (int i = 0; i < messages.Count; i++)
        {
            if (messages[i].Role != AssistantRole) continue;
            string head = Render(template, messages, i, true, variables, source);
            if (!full.StartsWith(head, StringComparison.Ordinal) || head.Length < previousEnd)
            {
                throw new InvalidDataException($"{source}: the chat template's rendering of messages[0..{i}) with add_generation_prompt is not a prefix of the whole conversation, so assistant message {i} cannot be located");
            }
            int start = head.Length;
            string through = Render(template, messages, i + 1, false, variables, source);
            int end;
            if (full.StartsWith(through, StringComparison.Ordinal) && through.Length >= start)
            {
                end = through.Length;
            }
            else
            {
                end = ByContent(full, through, messages[i].Content, start, i, source);
            }
            while (end > start && char.IsWhiteSpace(full[end - 1])) end--;
            spans.Add((start, end));
            previousEnd = end;
        }
        return new RenderedChat(full, spans);
    }

    private static int ByContent(string full, string through, string content, int start, int index, string source)
    {
        int inThrough = content.Length == 0 ? -1 : through.LastIndexOf(content, StringComparison.Ordinal);
        int inFull = inThrough < 0 ? -1 : full.IndexOf(content, start, StringComparison.Ordinal);
        if (inFull < 0)
        {
            throw new InvalidDataException($"{source}: cannot locate assistant message {index} in the rendered conversation (its content is empty or the template rewrites it)");
        }
        string suffix = through[(inThrough + content.Length)..];
        int end = inFull + content.Length;
        if (!full.AsSpan(end).StartsWith(suffix, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{source}: assistant message {index} is not followed in the whole conversation by the end-of-turn text the template writes after it alone");
        }
        return end + suffix.Length;
    }

    private static string Render(ChatTemplate template, IReadOnlyList<ChatMessage> messages, int count, bool generationPrompt,
        IReadOnlyDictionary<string, object?>? variables, string source)
    {
        try
        {
            return template.Render(new ChatTemplateInput(messages.Take(count)) { AddGenerationPrompt = generationPrompt, Extra = variables });
        }
        catch (ChatTemplateException e)
        {
            throw new InvalidDataException($"{source}: chat template failed on messages[0..{count}) (add_generation_prompt={generationPrompt}): {e.Message}", e);
        }
    }
}
