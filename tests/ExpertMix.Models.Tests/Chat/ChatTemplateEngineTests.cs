// One small template per Jinja construct (lexer whitespace rules, expressions, filters, tests, statements, errors) against jinja2's output.
using ExpertMix.Models.Chat;

namespace ExpertMix.Models.Tests.Chat;

public sealed class ChatTemplateEngineTests
{
    public static TheoryData<string> Snippets()
    {
        var data = new TheoryData<string>();
        foreach (var s in ChatGolden.Root.GetProperty("snippets").EnumerateArray()) data.Add(s.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Snippets))]
    public void Snippet_renders_like_jinja2(string name)
    {
        var s = ChatGolden.Snippet(name);
        var variables = ChatGolden.Dict(s.GetProperty("variables"));
        ChatGolden.AssertOutcome(s, () => ChatTemplate.Parse(s.GetProperty("template").GetString()!).RenderVariables(variables, ChatGolden.FixedNow), name);
    }

    [Fact]
    public void Unsupported_clr_variable_types_are_rejected_by_name()
    {
        var chat = ChatTemplate.Parse("{{ x }}");
        var ex = Assert.Throws<ArgumentException>(() => chat.RenderVariables(new Dictionary<string, object?> { ["x"] = new Uri("http://a") }));
        Assert.Contains("System.Uri", ex.Message, StringComparison.Ordinal);
    }
}
