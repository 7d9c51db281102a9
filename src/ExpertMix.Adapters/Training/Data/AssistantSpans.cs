// Locates the assistant turns of a rendered chat by rendering prefixes of the conversation.
using ExpertMix.Models.Chat;

namespace ExpertMix.Adapters.Training.Data;

/// <summary>A rendered conversation and the character spans [Start, End) of its assistant turns.</summary>
/// <param name="Text">render(messages, add_generation_prompt=false).</param>
/// <param name="Spans">One span per assistant message, ascending and disjoint.</param>
internal sealed record RenderedChat(string Text, IReadOnlyList<(int Start, int End)> Spans);

/// <summary>
/// Finds the characters of each assistant turn in the rendered conversation without template-specific rules.
/// With full = render(messages, add_generation_prompt=false), for assistant message i:
/// <list type="number">
/// <item>head = render(messages[..i], add_generation_prompt=true) must be a prefix of full; the span starts at
/// |head| (just after the assistant header), so anything the template writes before the content (Qwen3's think
/// block) is part of the turn.</item>
/// <item>The content (trimmed, as templates often <c>| trim</c> it) is searched in full from there; its end is
/// the content end.</item>
/// <item>The end-of-turn text is what follows the content both in full and in
/// through = render(messages[..(i+1)], add_generation_prompt=false) (their common prefix after the content, so
/// the next message's header is never taken), cut after its first special token (so a header that a template
/// always appends, as Llama-3's first template does, is not taken either). Without a special token there the
/// span ends with the content.</item>
/// </list>
/// The span thus holds what the model generates after the generation prompt: (think block +) content + the
/// end-of-turn token (e.g. <c>&lt;|im_end|&gt;</c>, <c>&lt;|eot_id|&gt;</c>, <c>&lt;end_of_turn&gt;</c>, <c>&lt;/s&gt;</c>).
/// All renders of a row use one clock value, so date-stamped templates render consistent prefixes.
/// </summary>
internal static class AssistantSpans
{
    /// <summary>The assistant role name.</summary>
    public const string AssistantRole = "assistant";

    /// <summary>Renders <paramref name="messages"/> and finds the assistant spans.</summary>
    /// <param name="template">The chat template.</param>
    /// <param name="messages">The conversation.</param>
    /// <param name="variables">Extra template variables (e.g. enable_thinking), or null.</param>
    /// <param name="specialTokens">The tokenizer's special token strings (end-of-turn candidates).</param>
    /// <param name="source">The row's origin (file:line) for error messages.</param>
    /// <exception cref="InvalidDataException">The template failed or renders prefixes inconsistently; names <paramref name="source"/>.</exception>
    public static RenderedChat Find(ChatTemplate template, IReadOnlyList<ChatMessage> messages,
        IReadOnlyDictionary<string, object?>? variables, IReadOnlyCollection<string> specialTokens, string source)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(specialTokens);
        var now = DateTimeOffset.Now;
        string full = Render(template, messages, messages.Count, false, variables, now, source);
        var spans = new List<(int, int)>();
        int previousEnd = 0;
        for (int i = 0; i < messages.Count; i++)
        {
            if (messages[i].Role != AssistantRole) continue;
            string head = Render(template, messages, i, true, variables, now, source);
            if (!full.StartsWith(head, StringComparison.Ordinal) || head.Length < previousEnd)
            {
                throw new InvalidDataException($"{source}: the chat template's rendering of messages[0..{i}) with add_generation_prompt is not a prefix of the whole conversation, so assistant message {i} cannot be located");
            }
            int start = head.Length;
            string content = messages[i].Content.Trim();
            string through = Render(template, messages, i + 1, false, variables, now, source);
            int inFull = content.Length == 0 ? start : full.IndexOf(content, start, StringComparison.Ordinal);
            int inThrough = content.Length == 0 ? Math.Min(start, through.Length) : through.LastIndexOf(content, StringComparison.Ordinal);
            if (inFull < 0 || inThrough < 0)
            {
                throw new InvalidDataException($"{source}: the content of assistant message {i} does not appear in the rendered conversation (the template rewrites it)");
            }
            int contentEnd = inFull + content.Length;
            int end = contentEnd + EndOfTurn(full.AsSpan(contentEnd), through.AsSpan(inThrough + content.Length), specialTokens);
            spans.Add((start, end));
            previousEnd = end;
        }
        return new RenderedChat(full, spans);
    }

    /// <summary>The length of the common prefix of the two remainders, cut after its first special token (0 if none).</summary>
    private static int EndOfTurn(ReadOnlySpan<char> afterInFull, ReadOnlySpan<char> afterInThrough, IReadOnlyCollection<string> specialTokens)
    {
        int common = afterInFull.CommonPrefixLength(afterInThrough);
        var shared = afterInFull[..common];
        int best = -1, bestEnd = 0;
        foreach (string token in specialTokens)
        {
            if (token.Length == 0) continue;
            int at = shared.IndexOf(token, StringComparison.Ordinal);
            if (at < 0) continue;
            if (best < 0 || at < best || (at == best && at + token.Length > bestEnd))
            {
                best = at;
                bestEnd = at + token.Length;
            }
        }
        return best < 0 ? 0 : bestEnd;
    }

    private static string Render(ChatTemplate template, IReadOnlyList<ChatMessage> messages, int count, bool generationPrompt,
        IReadOnlyDictionary<string, object?>? variables, DateTimeOffset now, string source)
    {
        try
        {
            return template.Render(new ChatTemplateInput(messages.Take(count)) { AddGenerationPrompt = generationPrompt, Extra = variables, Now = now });
        }
        catch (ChatTemplateException e)
        {
            throw new InvalidDataException($"{source}: chat template failed on messages[0..{count}) (add_generation_prompt={generationPrompt}): {e.Message}", e);
        }
    }
}
