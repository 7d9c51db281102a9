// One training row as read from JSONL: plain text, a prompt/completion pair, or a chat conversation.
using ExpertMix.Models.Chat;

namespace ExpertMix.Adapters.Training.Data;

/// <summary>The shape of a <see cref="DataRow"/>, i.e. which JSON keys it was read from.</summary>
public enum DataRowKind
{
    /// <summary><c>{"text": "..."}</c>: loss on every token.</summary>
    Text,

    /// <summary><c>{"prompt": "...", "completion": "..."}</c>: loss only on the completion (and its EOS).</summary>
    PromptCompletion,

    /// <summary><c>{"messages": [{"role", "content"}, ...]}</c>: rendered by the chat template; loss on assistant turns.</summary>
    Messages,
}

/// <summary>
/// A training row. Exactly the members of its <see cref="Kind"/> are set: <see cref="Text"/> for
/// <see cref="DataRowKind.Text"/>, <see cref="Prompt"/> + <see cref="Completion"/> for
/// <see cref="DataRowKind.PromptCompletion"/>, <see cref="Messages"/> for <see cref="DataRowKind.Messages"/>.
/// </summary>
public sealed record DataRow
{
    private DataRow(DataRowKind kind, string source)
    {
        Kind = kind;
        Source = source;
    }

    /// <summary>The row kind.</summary>
    public DataRowKind Kind { get; }

    /// <summary>Where the row came from, e.g. <c>data/train.jsonl:12</c> (used in error messages).</summary>
    public string Source { get; }

    /// <summary>The text of a <see cref="DataRowKind.Text"/> row.</summary>
    public string? Text { get; private init; }

    /// <summary>The prompt of a <see cref="DataRowKind.PromptCompletion"/> row (no loss).</summary>
    public string? Prompt { get; private init; }

    /// <summary>The completion of a <see cref="DataRowKind.PromptCompletion"/> row (loss).</summary>
    public string? Completion { get; private init; }

    /// <summary>The conversation of a <see cref="DataRowKind.Messages"/> row, oldest first.</summary>
    public IReadOnlyList<ChatMessage>? Messages { get; private init; }

    /// <summary>A plain-text row.</summary>
    public static DataRow FromText(string text, string source = "<memory>") =>
        new(DataRowKind.Text, source) { Text = text ?? throw new ArgumentNullException(nameof(text)) };

    /// <summary>A prompt/completion row.</summary>
    public static DataRow FromPromptCompletion(string prompt, string completion, string source = "<memory>") => new(DataRowKind.PromptCompletion, source)
    {
        Prompt = prompt ?? throw new ArgumentNullException(nameof(prompt)),
        Completion = completion ?? throw new ArgumentNullException(nameof(completion)),
    };

    /// <summary>A chat row.</summary>
    /// <exception cref="ArgumentException">The conversation is empty.</exception>
    public static DataRow FromMessages(IReadOnlyList<ChatMessage> messages, string source = "<memory>")
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0) throw new ArgumentException($"{source}: a messages row needs at least one message", nameof(messages));
        return new DataRow(DataRowKind.Messages, source) { Messages = messages };
    }
}
