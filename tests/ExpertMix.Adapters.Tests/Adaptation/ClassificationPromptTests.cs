// Transformer² §9.1: the exact classification prompt bytes, the \boxed{…} parser and the first-pass chat.
using System.Text;
using ExpertMix.Adapters.Adaptation;
using ExpertMix.Models.Chat;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Adaptation;

public class ClassificationPromptTests
{
    private static string FixturePath => Path.Combine(RepoPaths.Root, "tests", "ExpertMix.Adapters.Tests", "Adaptation", "fixtures", "classification-prompt.txt");

    [Fact]
    public void System_prompt_equals_the_committed_fixture_byte_for_byte()
    {
        byte[] fixture = File.ReadAllBytes(FixturePath);
        Assert.Equal(fixture, Encoding.UTF8.GetBytes(ClassificationPrompt.SystemPrompt));
    }

    [Fact]
    public void System_prompt_has_the_faithful_layout()
    {
        string s = ClassificationPrompt.SystemPrompt;
        Assert.StartsWith("\n    # Analyze the given question", s, StringComparison.Ordinal);
        Assert.EndsWith("\\boxed{category}\n    ", s, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", s, StringComparison.Ordinal);
        Assert.DoesNotContain("\\\\", s, StringComparison.Ordinal);
        Assert.Contains("general understanding. \n", s, StringComparison.Ordinal);
        var lines = s.Split('\n');
        Assert.Equal("", lines[0]);
        foreach (string line in lines.Skip(1).SkipLast(1))
        {
            Assert.True(line.Length == 0 || line.StartsWith("    ", StringComparison.Ordinal) && line[4] != ' ', $"line \"{line}\" must be empty or indented by exactly 4 spaces");
        }
        Assert.Equal("    ", lines[^1]);
        Assert.Equal(3, lines.Skip(1).Count(l => l.Length == 0));   // the three blank separator lines
    }

    [Theory]
    [InlineData("Classification: \\boxed{code}", "code", "code")]
    [InlineData("Classification: \\boxed{math}", "math", "math")]
    [InlineData("\\boxed{reasoning}", "reasoning", "reasoning")]
    [InlineData("\\boxed{other}", "other", "other")]
    [InlineData("\\boxed{Math}", "other", "math")]
    [InlineData("boxed{math}", "other", "other")]
    [InlineData("\\boxed{math} then \\boxed{code}", "math", "math")]
    [InlineData("\\boxed{Code} then \\boxed{math}", "other", "code")]
    [InlineData("\\boxed{ reasoning }", "other", "reasoning")]
    [InlineData("\\boxed{\tMATH\n}", "other", "math")]
    [InlineData("\\boxed{}", "other", "other")]
    [InlineData("\\boxed{\\text{math}}", "other", "other")]
    [InlineData("\\boxed{{math}}", "other", "other")]
    [InlineData("\\boxed{ｍａｔｈ}", "other", "other")]
    [InlineData("\\boxed{mäth}", "other", "other")]
    [InlineData("\\boxed{math", "other", "other")]
    [InlineData("\\Boxed{math}", "other", "other")]
    [InlineData("\\boxed {math}", "other", "other")]
    [InlineData("no box at all", "other", "other")]
    [InlineData("", "other", "other")]
    [InlineData("\\boxed{unknown} \\boxed{math}", "other", "other")]
    [InlineData("\\\\boxed{code}", "code", "code")]
    [InlineData("\\boxed{mathematics}", "other", "other")]
    public void Parse_follows_the_spec_table_and_tricky_outputs(string output, string faithful, string lenient)
    {
        Assert.Equal(faithful, ClassificationPrompt.Parse(output, LabelParsing.Faithful));
        Assert.Equal(lenient, ClassificationPrompt.Parse(output, LabelParsing.Lenient));
    }

    [Fact]
    public void Question_is_the_first_present_field()
    {
        Assert.Equal("p", ClassificationPrompt.QuestionOf(new Dictionary<string, string?> { ["instruction"] = "i", ["question"] = "q", ["problem"] = "p" }));
        Assert.Equal("q", ClassificationPrompt.QuestionOf(new Dictionary<string, string?> { ["instruction"] = "i", ["question"] = "q", ["problem"] = null }));
        Assert.Equal("i", ClassificationPrompt.QuestionOf(new Dictionary<string, string?> { ["instruction"] = "i", ["answer"] = "a" }));
        var e = Assert.Throws<ArgumentException>(() => ClassificationPrompt.QuestionOf(new Dictionary<string, string?> { ["answer"] = "a" }));
        Assert.Contains("answer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_puts_the_prompt_in_the_system_turn_and_the_question_in_the_user_turn()
    {
        var template = ChatTemplate.Parse(
            "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}");
        string text = ClassificationPrompt.Render(template, "What is 2+2?", ClassificationPrompt.AssistantPrefill);
        string expected = "<|system|>" + ClassificationPrompt.SystemPrompt + "<|end|><|user|>What is 2+2?<|end|><|assistant|>Classification: \\boxed{";
        Assert.EndsWith(expected, text, StringComparison.Ordinal);
        Assert.Equal(2, ClassificationPrompt.Messages("q").Count);
        Assert.Equal("system", ClassificationPrompt.Messages("q")[0].Role);
        Assert.Equal(["code", "math", "reasoning", "other"], ClassificationPrompt.Labels);
    }
}
