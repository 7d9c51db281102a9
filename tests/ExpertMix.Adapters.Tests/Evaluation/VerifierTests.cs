// Verifiers: GSM8K numbers, choice letters, yes/no/maybe, exact and regex matches, on hand-made and real dataset rows.
using System.Text.Json;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Evaluation;

public sealed class VerifierTests
{
    [Theory]
    [InlineData("So the answer is 18.", "#### 18", true, "18")]
    [InlineData("She pays $1,234.", "#### 1234", true, "1234")]
    [InlineData("The total is $18.00", "#### 18", true, "18")]
    [InlineData("It drops by -5 degrees", "#### -5", true, "-5")]
    [InlineData("first 7, then 12, finally 3", "#### 3", true, "3")]
    [InlineData("It is 2.5 hours", "#### 2", false, "2.5")]
    [InlineData("no digits here", "#### 4", false, null)]
    [InlineData("1,000,000 people", "1000000", true, "1000000")]
    [InlineData("read pages 3-5", "#### 5", true, "5")]
    [InlineData("The answer is 18,", "#### 18", true, "18")]
    public void Gsm8k_takes_the_last_number_and_compares_it_as_a_decimal(string completion, string gold, bool correct, string? extracted)
    {
        var v = new Gsm8kVerifier().Verify(completion, gold);
        Assert.Equal(correct, v.Correct);
        Assert.Equal(extracted, v.Extracted);
        Assert.Equal(correct ? 1f : -1f, v.Reward);
    }

    [Fact]
    public void Gsm8k_gold_without_a_number_is_a_clear_error()
    {
        var e = Assert.Throws<FormatException>(() => Gsm8kVerifier.GoldNumber("#### none"));
        Assert.Contains("none", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Every_gsm8k_train_solution_verifies_against_its_own_gold()
    {
        // The reference solution ends with "#### N"; its last number is N, so every solution must be judged correct.
        string file = SharedData.Require("data/gsm8k/train.jsonl");
        var verifier = new Gsm8kVerifier();
        int rows = 0;
        foreach (var line in File.ReadLines(file).Take(500))
        {
            using var doc = JsonDocument.Parse(line);
            string answer = doc.RootElement.GetProperty("answer").GetString()!;
            Assert.True(verifier.Verify(answer, answer).Correct, answer);
            rows++;
        }
        Assert.Equal(500, rows);
    }

    [Theory]
    [InlineData("Let's think. The answer is (B).", "B", "B")]
    [InlineData("so the answer is C", "C", "C")]
    [InlineData("reasoning...\nAnswer: D", "D", "D")]
    [InlineData("B. the sun", "B", "B")]
    [InlineData("The answer is (A). Answer: B", "A", "A")]
    [InlineData("I do not know", "A", null)]
    [InlineData("the answer is (3)", "3", "3")]
    public void Choice_letter_follows_the_reference_order(string completion, string gold, string? extracted)
    {
        var v = new ChoiceLetterVerifier().Verify(completion, gold);
        Assert.Equal(extracted, v.Extracted);
        Assert.Equal(extracted == gold, v.Correct);
    }

    [SkippableFact]
    public void Arc_challenge_rows_are_verified_by_their_answer_key_only()
    {
        string file = SharedData.Require("data/arc/ARC-Challenge-test.jsonl");
        var task = EvalTasks.Get("arc-challenge");
        var rows = task.Load(file, EvalSplit.Test).Take(50).ToList();
        Assert.NotEmpty(rows);
        foreach (var row in rows)
        {
            Assert.True(task.Verifier.Verify($"Step by step... the answer is ({row.Gold})", row.Gold).Correct, row.Id);
            string wrong = row.Gold == "A" ? "B" : "A";
            Assert.False(task.Verifier.Verify($"the answer is ({wrong})", row.Gold).Correct, row.Id);
        }
    }

    [Theory]
    [InlineData("The study shows...\nDecision: yes", "yes", "yes")]
    [InlineData("Maybe not. Decision: No", "no", "no")]
    [InlineData("The answer is maybe.", "maybe", "maybe")]
    [InlineData("yes, and in conclusion Decision: maybe", "maybe", "maybe")]
    [InlineData("unclear", "yes", null)]
    public void Yes_no_maybe_prefers_the_labelled_decision(string completion, string gold, string? extracted)
    {
        var v = new YesNoMaybeVerifier().Verify(completion, gold);
        Assert.Equal(extracted, v.Extracted);
        Assert.Equal(extracted == gold, v.Correct);
    }

    [SkippableFact]
    public void Pubmedqa_test_split_has_500_rows_and_the_dev_split_the_other_500()
    {
        string dir = SharedData.Require("data/pubmedqa");
        var task = EvalTasks.Get("pubmedqa");
        var test = task.Load(dir, EvalSplit.Test);
        var dev = task.Load(dir, EvalSplit.Dev);
        Assert.Equal(500, test.Count);
        Assert.Equal(500, dev.Count);
        Assert.Empty(test.Select(r => r.Id).Intersect(dev.Select(r => r.Id)));
        Assert.All(test, r => Assert.Contains(r.Gold, new[] { "yes", "no", "maybe" }));
        using var gt = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "test_ground_truth.json")));
        foreach (var r in test.Take(50)) Assert.Equal(gt.RootElement.GetProperty(r.Id).GetString(), r.Gold);
    }

    [Fact]
    public void Exact_match_normalises_white_space_only()
    {
        var v = new ExactMatchVerifier();
        Assert.True(v.Verify("  hello \n  world ", "hello world").Correct);
        Assert.False(v.Verify("Hello world", "hello world").Correct);
        Assert.True(new ExactMatchVerifier(StringComparison.OrdinalIgnoreCase).Verify("Hello  World", "hello world").Correct);
    }

    [Fact]
    public void Regex_uses_the_first_group_when_there_is_one()
    {
        var v = new RegexVerifier(@"\\boxed\{([^}]*)\}");
        var ok = v.Verify(@"so \boxed{ 42 } done", "42");
        Assert.True(ok.Correct);
        Assert.Equal("42", ok.Extracted);
        Assert.False(v.Verify("no box", "42").Correct);
        Assert.True(new RegexVerifier(@"\d+").Verify("x 17 y", "17").Correct);
    }
}
