// §9.4's label-score first pass on the real stories260K: one prefill + KV branches equal independent full forwards.
using ExpertMix.Adapters.Adaptation;
using ExpertMix.Models;
using ExpertMix.Models.Chat;
using ExpertMix.Models.Generation;
using ExpertMix.Models.Tokenization;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Adaptation;

public class LabelScorerTests
{
    private static string ModelDir() => SharedData.Require("models/stories260K");

    // stories260K has 512 positions, fewer than the system prompt's tokens under its 512-piece vocabulary, so this
    // test template drops the system turn (as some chat templates do); the scoring path is the same.
    private static readonly ChatTemplate Template = ChatTemplate.Parse(
        "{% for m in messages %}{% if m['role'] != 'system' %}[{{ m['role'] }}] {{ m['content'] }}\n{% endif %}{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}");

    // Σ log p(W[t] | W[..t]) for t ≥ from, from one full forward over W (no cache).
    private static double FullForwardScore(Scorer scorer, IReadOnlyList<int> whole, int from) =>
        LogProbs.Sum(scorer.ScoreIds(whole).AsSpan(from - 1));

    private static int CommonPrefix(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        int i = 0;
        while (i < Math.Min(a.Count, b.Count) && a[i] == b[i]) i++;
        return i;
    }

    [SkippableFact]
    public void Classification_label_scores_equal_full_forward_log_probs()
    {
        string dir = ModelDir();
        using var model = CausalLm.Load(dir);
        var tokenizer = Tokenizer.FromDirectory(dir);
        var scorer = new Scorer(model, tokenizer);
        const string question = "Tom had 3 apples and found 2 more. How many apples does Tom have?";
        var scores = new LabelScorer(model, tokenizer).ScoreClassification(Template, question);

        string prefix = ClassificationPrompt.Render(Template, question, ClassificationPrompt.AssistantPrefill);
        var p = tokenizer.Encode(prefix, SpecialTokens.None);
        Assert.Equal(ClassificationPrompt.Labels, scores.Labels);
        for (int l = 0; l < 4; l++)
        {
            var whole = tokenizer.Encode(prefix + scores.Labels[l] + "}", SpecialTokens.None);
            int shared = CommonPrefix(p, whole);
            Assert.Equal(whole.Skip(shared), scores.Continuations[l]);
            Assert.EndsWith(scores.Labels[l] + "}", tokenizer.Decode([.. whole], SkipSpecial.No), StringComparison.Ordinal);
            Assert.Equal(FullForwardScore(scorer, whole, shared), scores.Scores[l], 4);
        }
        var alpha = scores.Softmax(0.5);
        Assert.Equal(1.0, alpha.Sum(), 12);
        Assert.Equal(scores.BestIndex, Array.IndexOf(alpha, alpha.Max()));
        Assert.Equal(scores.Scores.Max(), scores.Scores[scores.BestIndex]);
        Assert.Equal(scores.Labels[scores.BestIndex], scores.Best);
    }

    [SkippableFact]
    public void A_label_that_merges_with_the_prefix_is_scored_from_the_tokenizer_boundary()
    {
        string dir = ModelDir();
        using var model = CausalLm.Load(dir);
        var tokenizer = Tokenizer.FromDirectory(dir);
        var scorer = new Scorer(model, tokenizer);
        // Find a cut where the prefix's encoding is not a prefix of the whole's (the label merges with the prefix's last token).
        string[] words = ["Once upon a time there was a little girl", "She was very happy and played outside"];
        (string Prefix, string Label)? merging = null;
        foreach (string w in words)
        {
            for (int cut = 3; cut < w.Length - 1 && merging is null; cut++)
            {
                string prefix = w[..cut], label = w[cut..(cut + 2)];
                var p = tokenizer.Encode(prefix, SpecialTokens.Add);
                var whole = tokenizer.Encode(prefix + label, SpecialTokens.Add);
                if (CommonPrefix(p, whole) < p.Count && CommonPrefix(p, whole) > 1) merging = (prefix, label);
            }
        }
        Assert.True(merging is not null, "no tokenizer-boundary case found in the sample text");
        var (pre, lab) = merging!.Value;
        string[] labels = [lab, " dog", "xyz"];
        var scores = new LabelScorer(model, tokenizer).Score(pre, labels, SpecialTokens.Add, closing: "");
        var pIds = tokenizer.Encode(pre, SpecialTokens.Add);
        for (int l = 0; l < labels.Length; l++)
        {
            var whole = tokenizer.Encode(pre + labels[l], SpecialTokens.Add);
            int shared = CommonPrefix(pIds, whole);
            if (l == 0) Assert.True(shared < pIds.Count);
            Assert.Equal(whole.Skip(shared), scores.Continuations[l]);
            Assert.Equal(FullForwardScore(scorer, whole, shared), scores.Scores[l], 4);
        }
    }

    [SkippableFact]
    public void Bad_inputs_are_rejected()
    {
        string dir = ModelDir();
        using var model = CausalLm.Load(dir);
        var tokenizer = Tokenizer.FromDirectory(dir);
        var s = new LabelScorer(model, tokenizer);
        Assert.Throws<ArgumentException>(() => s.Score("Once", [], SpecialTokens.Add));
        Assert.Throws<ArgumentException>(() => s.Score("", ["a"], SpecialTokens.Add));
        Assert.Throws<ArgumentException>(() => s.Score("Once", [""], SpecialTokens.Add));
        var tooLong = Assert.Throws<ArgumentException>(() => s.ScoreClassification(ChatTemplate.Parse("{% for m in messages %}{{ m['content'] }}{% endfor %}"), "q"));
        Assert.Contains("positions", tooLong.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LabelScores(["a"], [0.0], [[1]]).Softmax(0));
    }
}
