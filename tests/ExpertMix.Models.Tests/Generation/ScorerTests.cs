// Scorer on stories260K: perplexity vs the PyTorch reference, windowing, prompt masking, multiple choice.
using System.Text.Json;
using ExpertMix.Models.Generation;
using ExpertMix.Models.Tokenization;
using ExpertMix.Testing;

namespace ExpertMix.Models.Tests.Generation;

public class ScorerTests
{
    private static Scorer Load(out ICausalLm model)
    {
        string dir = SharedData.Require("models/stories260K");
        model = CausalLm.Load(dir);
        return new Scorer(model, Tokenizer.FromDirectory(dir));
    }

    private static JsonElement Reference() => JsonDocument.Parse(File.ReadAllText(
        Path.Combine(SharedData.Require("models/stories260K"), "reference", "perplexity.json"))).RootElement;

    [SkippableFact]
    public void Text_perplexity_matches_the_pytorch_reference()
    {
        var scorer = Load(out var model);
        using var _ = model;
        var reference = Reference();

        var result = scorer.Perplexity([new ScoringRow(1, null, reference.GetProperty("text").GetString()!)]);

        Assert.Equal(reference.GetProperty("token_ids").GetArrayLength() - 1, result.Tokens);
        Assert.Equal(reference.GetProperty("mean_nll").GetDouble(), result.Nll, 1e-5);
        Assert.Equal(reference.GetProperty("perplexity").GetDouble(), result.Perplexity, 1e-4);
    }

    [SkippableFact]
    public void A_sequence_longer_than_the_context_is_scored_in_windows_that_agree_with_one_pass_where_they_overlap()
    {
        var scorer = Load(out var model);
        using var _ = model;
        int[] ids = [.. Reference().GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32())];
        int[] longIds = [.. Enumerable.Repeat(ids, 7).SelectMany(x => x)]; // 658 tokens > 512 positions

        var scores = scorer.ScoreIds(longIds);
        var head = scorer.ScoreIds(longIds[..512]);

        Assert.Equal(longIds.Length - 1, scores.Length);
        for (int j = 0; j < head.Length; j++) Assert.Equal(head[j].LogProb, scores[j].LogProb);
        Assert.All(scores, s => Assert.True(float.IsFinite(s.LogProb) && s.LogProb <= 0));
    }

    [SkippableFact]
    public void Prompt_tokens_are_not_counted_in_a_prompt_completion_row()
    {
        var scorer = Load(out var model);
        using var _ = model;
        var tokenizer = scorer.Tokenizer;
        const string prompt = "Once upon a time, there was a little girl named Mia.";
        const string completion = " She had a red ball.";
        int promptTokens = tokenizer.Encode(prompt, SpecialTokens.Add).Count;
        var all = scorer.ScoreIds(tokenizer.Encode(prompt + completion, SpecialTokens.Add));
        var tail = all[(promptTokens - 1)..];
        double expected = -tail.Sum(s => (double)s.LogProb) / tail.Length;

        var result = scorer.Perplexity([new ScoringRow(3, prompt, completion)]);

        Assert.Equal(tail.Length, result.Tokens);
        Assert.Equal(expected, result.Nll, 1e-9);
    }

    [SkippableFact]
    public void The_story_like_choice_is_more_likely_than_word_salad()
    {
        var scorer = Load(out var model);
        using var _ = model;

        var scores = scorer.ScoreChoices("Once upon a time, there was a little girl named", [" Lily.", " ball sky the ran."]);

        Assert.Equal(0, ChoiceScore.Best(scores, ChoiceNormalization.None));
    }
}
