// Shipped chat templates (llama3, qwen3, gemma3, Llama-2-chat reference) rendered exactly as Python's jinja2 renders them.
using System.Text.Json;
using ExpertMix.Models.Chat;
using ExpertMix.Testing;

namespace ExpertMix.Models.Tests.Chat;

public sealed class ChatTemplateTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var t in ChatGolden.Templates)
        {
            if (!t.TryGetProperty("cases", out var cases)) continue;
            foreach (var c in cases.EnumerateArray()) data.Add(t.GetProperty("name").GetString()!, c.GetProperty("name").GetString()!);
        }
        return data;
    }

    private static ChatTemplateInput InputOf(JsonElement template, JsonElement c)
    {
        var conversation = template.GetProperty("conversations").GetProperty(c.GetProperty("conversation").GetString()!);
        var messages = conversation.GetProperty("messages").EnumerateArray().Select(m => (IReadOnlyDictionary<string, object?>)ChatGolden.Dict(m)).ToList();
        var tools = conversation.GetProperty("tools");
        return new ChatTemplateInput(messages)
        {
            AddGenerationPrompt = c.GetProperty("add_generation_prompt").GetBoolean(),
            BosToken = ChatGolden.Str(template, "bos_token"),
            EosToken = ChatGolden.Str(template, "eos_token"),
            Tools = tools.ValueKind == JsonValueKind.Null ? null : tools.EnumerateArray().Select(x => (object?)x).ToList(),
            Extra = ChatGolden.Dict(conversation.GetProperty("extra")),
            Now = ChatGolden.FixedNow,
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Shipped_template_renders_like_jinja2(string template, string caseName)
    {
        var t = ChatGolden.Template(template);
        var c = ChatGolden.Case(template, caseName);
        var chat = ChatTemplate.Parse(t.GetProperty("template").GetString()!);
        ChatGolden.AssertOutcome(c, () => chat.Render(InputOf(t, c)), $"{template}/{caseName}");
    }

    [Fact]
    public void Golden_covers_every_shipped_template_with_tools_reasoning_and_errors()
    {
        var names = ChatGolden.Templates.Where(t => t.GetProperty("has_template").GetBoolean()).Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Equal(["llama3", "qwen3", "gemma3", "llama3.1-style-reference", "mistral-style-reference", "chatml-macro-style-reference", "llama2-chat-reference"], names);
        Assert.Contains(ChatGolden.Template("qwen3").GetProperty("cases").EnumerateArray(), c => c.GetProperty("name").GetString() == "tool_call_round_trip_agp");
        Assert.Equal("TemplateError", ChatGolden.Str(ChatGolden.Case("llama2-chat-reference", "non_alternating_agp"), "error_type"));
    }

    [SkippableFact]
    public void Shared_tokenizer_configs_hold_the_golden_templates_and_tokens()
    {
        foreach (var t in ChatGolden.Templates)
        {
            var relative = ChatGolden.Str(t, "source")!;
            if (!relative.StartsWith("shared/", StringComparison.Ordinal)) continue;
            var path = SharedData.Require(relative["shared/".Length..]);
            var chat = ChatTemplate.FromTokenizerConfig(path);
            if (!t.GetProperty("has_template").GetBoolean())
            {
                Assert.Null(chat);
                continue;
            }
            Assert.NotNull(chat);
            Assert.Equal(ChatGolden.Str(t, "template"), chat.Source);
            Assert.Equal(ChatGolden.Str(t, "bos_token"), chat.BosToken);
            Assert.Equal(ChatGolden.Str(t, "eos_token"), chat.EosToken);
        }
    }

    [SkippableFact]
    public void Template_from_config_uses_its_own_bos_token_by_default()
    {
        var chat = ChatTemplate.FromTokenizerConfig(SharedData.Require("tokenizers/llama3/tokenizer_config.json"))!;
        var c = ChatGolden.Case("llama3", "single_user_agp");
        var rendered = chat.Render(new ChatTemplateInput([new ChatMessage("user", "Hello!")]) { AddGenerationPrompt = true });
        Assert.Equal(ChatGolden.Str(c, "expected"), rendered);
    }

    [Fact]
    public void Chat_message_records_with_extra_fields_render_like_dictionaries()
    {
        var t = ChatGolden.Template("qwen3");
        var c = ChatGolden.Case("qwen3", "reasoning_content_last");
        var chat = ChatTemplate.Parse(t.GetProperty("template").GetString()!);
        var input = new ChatTemplateInput(
        [
            new ChatMessage("user", "2+2?"),
            new ChatMessage("assistant", "4") { Extra = new Dictionary<string, object?> { ["reasoning_content"] = "\nSimple arithmetic.\n" } },
        ])
        { EosToken = "<|im_end|>" };
        Assert.Equal(ChatGolden.Str(c, "expected"), chat.Render(input));
    }

    [Fact]
    public void Config_with_named_template_list_picks_default_and_reads_added_token_dicts()
    {
        var dir = Directory.CreateTempSubdirectory("chat-config-");
        try
        {
            var path = Path.Combine(dir.FullName, "tokenizer_config.json");
            File.WriteAllText(path, """
                {"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>",
                 "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "{{ bos_token }}D{{ eos_token }}"}]}
                """);
            var chat = ChatTemplate.FromTokenizerConfig(path)!;
            Assert.Equal("<s>D</s>", chat.Render(new ChatTemplateInput([new ChatMessage("user", "x")])));
            Assert.Equal("T", ChatTemplate.FromTokenizerConfig(path, "tool_use")!.Source);
            var ex = Assert.Throws<InvalidDataException>(() => ChatTemplate.FromTokenizerConfig(path, "missing"));
            Assert.Contains("tool_use, default", ex.Message, StringComparison.Ordinal);
            File.WriteAllText(path, """{"bos_token": null}""");
            Assert.Null(ChatTemplate.FromTokenizerConfig(path));
            File.WriteAllText(Path.Combine(dir.FullName, "chat_template.jinja"), "{% for m in messages %}{{ m.role }}{% endfor %}\n");
            Assert.Equal("user", ChatTemplate.FromTokenizerConfig(path)!.Render(new ChatTemplateInput([new ChatMessage("user", "x")])));
            File.WriteAllText(path, """{"chat_template": 5}""");
            Assert.Throws<InvalidDataException>(() => ChatTemplate.FromTokenizerConfig(path));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Raise_exception_surfaces_its_exact_message()
    {
        var chat = ChatTemplate.Parse(ChatGolden.Template("gemma3").GetProperty("template").GetString()!);
        var ex = Assert.Throws<ChatTemplateException>(() => chat.Render(new ChatTemplateInput([new ChatMessage("user", "a"), new ChatMessage("user", "b")])));
        Assert.Equal(ChatTemplateErrorKind.Raised, ex.Kind);
        Assert.Equal("Conversation roles must alternate user/assistant/user/assistant/...", ex.Message);
    }

    [Fact]
    public void Syntax_errors_name_line_and_column()
    {
        var ex = Assert.Throws<ChatTemplateSyntaxException>(() => ChatTemplate.Parse("ok\n  {{ 1 + }}"));
        Assert.Equal(2, ex.Line);
        Assert.Equal(10, ex.Column);
        Assert.Contains("line 2, column 10", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pathologically_nested_templates_fail_cleanly_instead_of_overflowing_the_stack()
    {
        var deep = "{{ " + new string('(', 5000) + "1" + new string(')', 5000) + " }}";
        Assert.Throws<ChatTemplateSyntaxException>(() => ChatTemplate.Parse(deep));
        var blocks = string.Concat(Enumerable.Repeat("{% if true %}", 5000)) + string.Concat(Enumerable.Repeat("{% endif %}", 5000));
        Assert.Throws<ChatTemplateSyntaxException>(() => ChatTemplate.Parse(blocks));
    }
}
