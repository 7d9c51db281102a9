// Exception for invalid template text: carries the 1-based line and column of the offending token.
namespace ExpertMix.Models.Chat;

/// <summary>The template text is not valid Jinja. The message ends with "(line L, column C)".</summary>
public sealed class ChatTemplateSyntaxException : ChatTemplateException
{
    /// <summary>Creates a syntax error at <paramref name="line"/>:<paramref name="column"/> (1-based).</summary>
    public ChatTemplateSyntaxException(string message, int line, int column)
        : base($"{message} (line {line}, column {column})", ChatTemplateErrorKind.Syntax)
    {
        Line = line;
        Column = column;
        Reason = message;
    }

    /// <summary>1-based line of the offending token.</summary>
    public int Line { get; }

    /// <summary>1-based column of the offending token.</summary>
    public int Column { get; }

    /// <summary>The message without the position (jinja2's wording).</summary>
    public string Reason { get; }
}
