// Row kinds → (ids, labels): BOS/EOS placement and exact loss masks, checked by decoding the trained tokens.
using ExpertMix.Adapters.Training;
using ExpertMix.Adapters.Training.Data;
using ExpertMix.Models.Chat;
using ExpertMix.Models.Tokenization;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests;

public sealed class DataTokenizationTests
{
    private static readonly DataOptions Defaults = new();

    /// <summary>The maximal runs of positions whose label is not −100, as id arrays.</summary>
    private static List<int[]> TrainedRuns(TokenizedExample e)
    {
        var runs = new List<int[]>();
        var cur = new List<int>();
        for (int i = 0; i <= e.Length; i++)
        {
            if (i < e.Length && e.Labels[i] != TrainingBatch.IgnoreIndex)
            {
                cur.Add(e.Labels[i]);
            }
            else if (cur.Count > 0)
            {
                runs.Add([.. cur]);
                cur.Clear();
            }
        }
        return runs;
    }

    [Fact]
    public void Text_row_gets_bos_from_the_post_processor_eos_appended_and_loss_everywhere()
    {
        var tok = DataFixtures.Tiny();
        var e = new ExampleTokenizer(tok, Defaults).Tokenize(DataRow.FromText("héllo world"));
        Assert.Equal(DataFixtures.Bos, e.InputIds[0]);
        Assert.Equal(DataFixtures.Eos, e.InputIds[^1]);
        Assert.Equal(e.InputIds, e.Labels);
        Assert.Equal("héllo world", tok.Decode(e.InputIds, SkipSpecial.Yes));
        Assert.Equal(tok.Encode("héllo world", SpecialTokens.Add), e.InputIds[..^1]);

        var noEos = new ExampleTokenizer(tok, Defaults with { Eos = EosPolicy.None }).Tokenize(DataRow.FromText("héllo world"));
        Assert.Equal(e.InputIds[..^1], noEos.InputIds);
    }

    [Theory]
    [InlineData("Question: 2+2?\nAnswer:\n", "4")]
    [InlineData("Translate: chat\n", "cat, not a chat ✓")]
    [InlineData("", "only completion")]
    public void Prompt_completion_masks_exactly_the_prompt(string prompt, string completion)
    {
        var tok = DataFixtures.Tiny();
        var e = new ExampleTokenizer(tok, Defaults).Tokenize(DataRow.FromPromptCompletion(prompt, completion));
        int promptLen = tok.Encode(prompt, SpecialTokens.Add).Count;
        Assert.All(e.Labels[..promptLen], l => Assert.Equal(TrainingBatch.IgnoreIndex, l));
        Assert.All(e.Labels[promptLen..], l => Assert.NotEqual(TrainingBatch.IgnoreIndex, l));
        Assert.Equal(completion + "</s>", tok.Decode(e.TrainedIds(), SkipSpecial.No));
        Assert.Equal("<s>" + prompt + completion + "</s>", tok.Decode(e.InputIds, SkipSpecial.No));
    }

    [Fact]
    public void Post_processor_tokens_wrap_the_whole_prompt_completion_sequence()
    {
        // A template [<s>, $A, </s>]: the trailing </s> must follow the completion, not the prompt, and not twice.
        var tok = DataFixtures.TinyWrappingEos();
        var e = new ExampleTokenizer(tok, Defaults).Tokenize(DataRow.FromPromptCompletion("Q\n", "A"));
        Assert.Equal("<s>Q\nA</s>", tok.Decode(e.InputIds, SkipSpecial.No));
        Assert.Equal("A</s>", tok.Decode(e.TrainedIds(), SkipSpecial.No));
        var text = new ExampleTokenizer(tok, Defaults).Tokenize(DataRow.FromText("T"));
        Assert.Equal("<s>T</s>", tok.Decode(text.InputIds, SkipSpecial.No));
    }

    [Fact]
    public void Loss_scope_all_trains_every_token_of_every_kind()
    {
        var tok = DataFixtures.Tiny();
        var all = new ExampleTokenizer(tok, Defaults with { Loss = LossScope.All }, DataFixtures.TinyTemplate());
        var masked = new ExampleTokenizer(tok, Defaults, DataFixtures.TinyTemplate());
        var rows = new[]
        {
            DataRow.FromPromptCompletion("P?\n", "C"),
            DataRow.FromMessages([new("system", "s"), new("user", "u"), new("assistant", "a")]),
        };
        foreach (var row in rows)
        {
            var e = all.Tokenize(row);
            Assert.Equal(e.InputIds, e.Labels);
            Assert.Equal(masked.Tokenize(row).InputIds, e.InputIds);
        }
    }

    [SkippableFact]
    public void Prompt_completion_with_the_stories260K_tokenizer_trains_exactly_the_completion()
    {
        var tok = DataFixtures.SharedTokenizer("models/stories260K");
        var rows = new[] { ("Once upon a time\n", "there was a cat."), ("Lily said:", "Hello, Tom!") };
        foreach (var (prompt, completion) in rows)
        {
            var e = new ExampleTokenizer(tok, Defaults).Tokenize(DataRow.FromPromptCompletion(prompt, completion));
            Assert.Equal(tok.BosId, e.InputIds[0]);
            var trained = e.TrainedIds();
            Assert.Equal(tok.EosId, trained[^1]);
            Assert.Equal(completion, tok.Decode(trained[..^1], SkipSpecial.No));
            Assert.Equal(e.Length - trained.Length, tok.Encode(prompt, SpecialTokens.Add).Count);
        }
    }

    [Fact]
    public void Messages_train_only_assistant_contents_and_their_end_of_turn_token()
    {
        var tok = DataFixtures.Tiny();
        var messages = new List<ChatMessage>
        {
            new("system", "Be brief."),
            new("user", "Hi"),
            new("assistant", "Hello!\nHow can I help?"),
            new("user", "2+2?"),
            new("assistant", "4"),
        };
        var e = new ExampleTokenizer(tok, Defaults, DataFixtures.TinyTemplate()).Tokenize(DataRow.FromMessages(messages));
        var runs = TrainedRuns(e).Select(r => tok.Decode(r, SkipSpecial.No)).ToList();
        Assert.Equal(["Hello!\nHow can I help?<|im_end|>", "4<|im_end|>"], runs);
        string rendered = DataFixtures.TinyTemplate().Render(new ChatTemplateInput(messages));
        Assert.Equal(rendered, tok.Decode(e.InputIds, SkipSpecial.No));
        Assert.NotEqual(DataFixtures.Eos, e.InputIds[^1]);
    }

    [SkippableFact]
    public void Messages_with_the_qwen3_template_locate_every_assistant_turn_including_the_rewritten_last_one()
    {
        var tok = DataFixtures.SharedTokenizer("tokenizers/qwen3");
        var template = ChatTemplate.FromTokenizerConfig(SharedData.Require("tokenizers/qwen3/tokenizer_config.json"))!;
        var messages = new List<ChatMessage>
        {
            new("user", "Name a prime."),
            new("assistant", "7 is prime."),
            new("user", "And an even one?"),
            new("assistant", "2 is the only even prime."),
        };
        var e = new ExampleTokenizer(tok, Defaults, template).Tokenize(DataRow.FromMessages(messages));
        var runs = TrainedRuns(e).Select(r => tok.Decode(r, SkipSpecial.No)).ToList();
        Assert.Equal(2, runs.Count);
        Assert.Equal("7 is prime.<|im_end|>", runs[0]);
        // Qwen3 writes an (empty) think block before the final answer; it belongs to the generated turn.
        Assert.EndsWith("\n\n2 is the only even prime.<|im_end|>", runs[1], StringComparison.Ordinal);
        Assert.StartsWith("<think>", runs[1], StringComparison.Ordinal);
        Assert.Equal(template.Render(new ChatTemplateInput(messages)), tok.Decode(e.InputIds, SkipSpecial.No));
    }

    [SkippableTheory]
    [InlineData("tokenizers/llama3", "<|eot_id|>")]
    [InlineData("tokenizers/gemma3", "<end_of_turn>")]
    [InlineData("tokenizers/qwen3", "<|im_end|>")]
    public void Messages_with_real_templates_train_each_assistant_turn_through_its_end_of_turn_token(string dir, string endOfTurn)
    {
        var tok = DataFixtures.SharedTokenizer(dir);
        var template = ChatTemplate.FromTokenizerConfig(SharedData.Require(dir + "/tokenizer_config.json"))!;
        var messages = new List<ChatMessage>
        {
            new("system", "You are terse."),
            new("user", "Capital of France?"),
            new("assistant", "Paris."),
            new("user", "And of Italy?"),
            new("assistant", "Rome, of course."),
        };
        var e = new ExampleTokenizer(tok, Defaults, template).Tokenize(DataRow.FromMessages(messages));
        var runs = TrainedRuns(e).Select(r => tok.Decode(r, SkipSpecial.No)).ToList();
        Assert.Equal(2, runs.Count);
        Assert.EndsWith("Paris." + endOfTurn, runs[0], StringComparison.Ordinal);
        Assert.EndsWith("Rome, of course." + endOfTurn, runs[1], StringComparison.Ordinal);
        Assert.All(runs, r => Assert.DoesNotContain("France", r, StringComparison.Ordinal));
        // Cutting the text at span boundaries changes no token here: same ids as encoding the rendering whole.
        string rendered = template.Render(new ChatTemplateInput(messages));
        Assert.Equal(tok.Encode(rendered, SpecialTokens.None), e.InputIds);
    }

    [Fact]
    public void Messages_row_without_a_template_names_the_row()
    {
        var row = DataRow.FromMessages([new("user", "a"), new("assistant", "b")], "data.jsonl:4");
        var ex = Assert.Throws<InvalidDataException>(() => new ExampleTokenizer(DataFixtures.Tiny(), Defaults).Tokenize(row));
        Assert.Contains("data.jsonl:4", ex.Message, StringComparison.Ordinal);
        Assert.Contains("chat template", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Template_that_reorders_turns_is_refused_with_the_row_named()
    {
        // Renders the conversation newest first, so prefixes of the conversation are not prefixes of the text.
        var template = ChatTemplate.Parse("{% for m in messages|reverse %}{{ m['role'] + ':' + m['content'] + '\\n' }}{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}");
        var row = DataRow.FromMessages([new("user", "a"), new("assistant", "b"), new("user", "c"), new("assistant", "d")], "x.jsonl:9");
        var ex = Assert.Throws<InvalidDataException>(() => new ExampleTokenizer(DataFixtures.Tiny(), Defaults, template).Tokenize(row));
        Assert.Contains("x.jsonl:9", ex.Message, StringComparison.Ordinal);
    }
}
