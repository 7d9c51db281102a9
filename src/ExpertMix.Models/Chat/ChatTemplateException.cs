// Exception raised when a chat template fails to parse or render; raise_exception(msg) surfaces here with msg.
namespace ExpertMix.Models.Chat;

/// <summary>
/// A chat template failed. For <c>raise_exception(msg)</c> the <see cref="Exception.Message"/> is exactly
/// <c>msg</c> and <see cref="Kind"/> is <see cref="ChatTemplateErrorKind.Raised"/>; undefined-value errors carry
/// jinja2's message (e.g. <c>'foo' is undefined</c>).
/// </summary>
public class ChatTemplateException : Exception
{
    /// <summary>Creates an exception of kind <see cref="ChatTemplateErrorKind.Type"/>.</summary>
    public ChatTemplateException()
        : this("chat template error", ChatTemplateErrorKind.Type)
    {
    }

    /// <summary>Creates an exception of kind <see cref="ChatTemplateErrorKind.Type"/>.</summary>
    public ChatTemplateException(string message)
        : this(message, ChatTemplateErrorKind.Type)
    {
    }

    /// <summary>Creates an exception of kind <see cref="ChatTemplateErrorKind.Type"/> wrapping <paramref name="innerException"/>.</summary>
    public ChatTemplateException(string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = ChatTemplateErrorKind.Type;
    }

    /// <summary>Creates an exception of the given kind.</summary>
    public ChatTemplateException(string message, ChatTemplateErrorKind kind)
        : base(message)
    {
        Kind = kind;
    }

    /// <summary>The jinja2 exception class this failure corresponds to.</summary>
    public ChatTemplateErrorKind Kind { get; }
}
