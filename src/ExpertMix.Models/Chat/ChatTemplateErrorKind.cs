// Categories of chat-template failures, mirroring the jinja2 exception classes.
namespace ExpertMix.Models.Chat;

/// <summary>What went wrong while parsing or rendering a chat template (jinja2's exception classes).</summary>
public enum ChatTemplateErrorKind
{
    /// <summary>The template called <c>raise_exception(message)</c> (jinja2 <c>TemplateError</c>).</summary>
    Raised,

    /// <summary>An undefined value was used where jinja2 raises <c>UndefinedError</c>.</summary>
    Undefined,

    /// <summary>A Python-level type or value error (wrong operand types, bad arguments, division by zero).</summary>
    Type,

    /// <summary>The sandbox refused an operation (e.g. <c>list.append</c> in the immutable sandbox).</summary>
    Security,

    /// <summary>The template text is not valid Jinja (<see cref="ChatTemplateSyntaxException"/>).</summary>
    Syntax,
}
