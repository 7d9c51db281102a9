// One chat message (role + content) with an escape hatch for extra fields such as tool_calls or reasoning_content.
namespace ExpertMix.Models.Chat;

/// <summary>
/// A chat message as templates see it: a dict with "role" and "content", plus any <see cref="Extra"/> fields
/// (e.g. "tool_calls", "reasoning_content", "name") which may hold strings, numbers, bools, null, lists,
/// dictionaries or <see cref="System.Text.Json.JsonElement"/> values.
/// </summary>
/// <param name="Role">"system", "user", "assistant" or another role the template knows.</param>
/// <param name="Content">The message text.</param>
public sealed record ChatMessage(string Role, string Content)
{
    /// <summary>Additional fields, rendered as dict entries after role and content (insertion order kept).</summary>
    public IReadOnlyDictionary<string, object?>? Extra { get; init; }

    /// <summary>The message as the dictionary the template receives.</summary>
    public IReadOnlyDictionary<string, object?> ToDictionary()
    {
        var d = new OrderedDictionary<string, object?> { ["role"] = Role, ["content"] = Content };
        if (Extra is not null)
        {
            foreach (var kv in Extra) d[kv.Key] = kv.Value;
        }
        return d;
    }
}
