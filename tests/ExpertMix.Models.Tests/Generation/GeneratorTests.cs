// Generator on the real stories260K model: greedy text/ids vs the PyTorch reference, batching, streaming, stops.
using System.Text.Json;
using ExpertMix.Models.Generation;
using ExpertMix.Models.Tokenization;
using ExpertMix.Testing;

namespace ExpertMix.Models.Tests.Generation;

public class GeneratorTests
{
    private static (Generator Generator, ICausalLm Model) Load()
    {
        string dir = SharedData.Require("models/stories260K");
        var model = CausalLm.Load(dir);
        return (new Generator(model, Tokenizer.FromDirectory(dir)), model);
    }

    private static JsonElement Reference() => JsonDocument.Parse(File.ReadAllText(
        Path.Combine(SharedData.Require("models/stories260K"), "reference", "greedy.json"))).RootElement;

    [SkippableFact]
    public void Greedy_generation_reproduces_the_reference_ids_and_text()
    {
        var (generator, model) = Load();
        using var _ = model;
        var reference = Reference();
        int[] expected = [.. reference.GetProperty("greedy_ids").EnumerateArray().Select(e => e.GetInt32())];
        var prompt = reference.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();

        var result = generator.Generate([prompt], new GenerationOptions { MaxNewTokens = expected.Length })[0];

        Assert.Equal(expected, result.TokenIds);
        Assert.Equal(FinishReason.MaxTokens, result.Finish);
        Assert.Equal(reference.GetProperty("greedy_text").GetString(), result.Text);
        Assert.Equal(expected.Length - 1, result.Timings.DecodeSteps);
    }

    [SkippableFact]
    public void A_text_prompt_gets_the_bos_token_and_continues_like_the_reference()
    {
        var (generator, model) = Load();
        using var _ = model;
        var reference = Reference();
        int[] expected = [.. reference.GetProperty("greedy_ids").EnumerateArray().Select(e => e.GetInt32())];
        // The reference continues from BOS alone; its first 8 tokens decode to a prompt whose greedy continuation is the rest.
        string head = generator.Tokenizer.Decode([1, .. expected[..8]], SkipSpecial.Yes);
        Assert.Equal([1, .. expected[..8]], generator.EncodePrompt(head, PromptFormat.Raw));

        var result = generator.Generate(head, new GenerationOptions { MaxNewTokens = 16 });

        Assert.Equal(expected[8..24], result.TokenIds);
    }

    [SkippableFact]
    public void A_left_padded_batch_generates_what_each_prompt_generates_alone()
    {
        var (generator, model) = Load();
        using var _ = model;
        var options = new GenerationOptions { MaxNewTokens = 12 };
        IReadOnlyList<int>[] prompts =
        [
            generator.EncodePrompt("Once upon a time, there was a big dog", PromptFormat.Raw),
            generator.EncodePrompt("Tom", PromptFormat.Raw),
        ];
        Assert.NotEqual(prompts[0].Count, prompts[1].Count);

        var batch = generator.Generate(prompts, options);

        for (int b = 0; b < prompts.Length; b++)
        {
            var alone = generator.Generate([prompts[b]], options)[0];
            Assert.Equal(alone.TokenIds, batch[b].TokenIds);
            Assert.Equal(alone.Text, batch[b].Text);
        }
    }

    [SkippableFact]
    public async Task Streamed_pieces_concatenate_to_the_generated_text()
    {
        var (generator, model) = Load();
        using var _ = model;
        var options = new GenerationOptions { MaxNewTokens = 40, Temperature = 0.8f, TopK = 40, Seed = 7 };

        var pieces = new List<string>();
        await foreach (var piece in generator.StreamAsync("Once upon a time", options)) pieces.Add(piece);
        var whole = generator.Generate("Once upon a time", options);

        Assert.True(pieces.Count > 5, $"only {pieces.Count} pieces streamed");
        Assert.Equal(whole.Text, string.Concat(pieces));
    }

    [SkippableFact]
    public void Seeded_sampling_repeats_and_a_stop_string_ends_the_text_before_it()
    {
        var (generator, model) = Load();
        using var _ = model;
        var sampled = new GenerationOptions { MaxNewTokens = 48, Temperature = 1f, Seed = 3 };
        var a = generator.Generate("Once upon a time", sampled);
        var b = generator.Generate("Once upon a time", sampled);
        var c = generator.Generate("Once upon a time", sampled with { Seed = 4 });
        Assert.Equal(a.TokenIds, b.TokenIds);
        Assert.NotEqual(a.TokenIds, c.TokenIds);

        var greedy = generator.Generate("Once upon a time", new GenerationOptions { MaxNewTokens = 48 });
        int cut = greedy.Text.IndexOf('.', StringComparison.Ordinal);
        Assert.True(cut > 0, greedy.Text);
        var stopped = generator.Generate("Once upon a time", new GenerationOptions { MaxNewTokens = 48, StopStrings = ["."] });
        Assert.Equal(FinishReason.StopString, stopped.Finish);
        Assert.Equal(greedy.Text[..cut], stopped.Text);
    }

    [SkippableFact]
    public void Too_long_a_request_is_refused_with_the_numbers()
    {
        var (generator, model) = Load();
        using var _ = model;
        var e = Assert.Throws<ArgumentException>(() => generator.Generate("Once", new GenerationOptions { MaxNewTokens = 600 }));
        Assert.Contains("exceeds the model's 512 positions", e.Message, StringComparison.Ordinal);
    }
}
