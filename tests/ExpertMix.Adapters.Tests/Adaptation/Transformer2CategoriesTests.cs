// Transformer² with user-named categories on the tiny random chat Llama: label scores over the custom labels under the
// generated prompt, hard and soft dispatch to the custom experts, the fallback's exact base weights, map validation.
using ExpertMix.Adapters.Adaptation;
using ExpertMix.Adapters.Svf;
using ExpertMix.Adapters.Tests.Lora;
using ExpertMix.Models;
using ExpertMix.Models.Chat;
using ExpertMix.Models.Generation;
using ExpertMix.Models.Tokenization;
using ExpertMix.Tensors;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Adaptation;

public sealed class Transformer2CategoriesTests(TinyChatModelFixture fixture) : IClassFixture<TinyChatModelFixture>
{
    private const string Question = "What is the symbol of Sodium?";
    private static readonly long[] Ids = [3, 17, 200, 45, 9, 120, 77, 5, 250, 33];

    private static readonly ClassificationCategories Domains = ClassificationCategories.Create(
        [new("chemistry", "Questions about chemical elements."), new("biology", "Questions about amino acids."), new("arithmetic", "Sums and products.")]);

    private (ICausalLm Model, Transformer2 T2, ChatTemplate Template) Runtime(Transformer2Options options)
    {
        var model = CausalLm.Load(fixture.Dir);
        var tokenizer = Tokenizer.FromDirectory(fixture.Dir);
        var template = ChatTemplate.FromTokenizerConfig(Path.Combine(fixture.Dir, "tokenizer_config.json"))!;
        var basis = SvfBasis.Decompose(model);
        var host = new SvfHost(model, basis);
        var experts = new Dictionary<string, SvfExpert>
        {
            ["chemistry"] = SvfExpert.CreateInitial("chemistry", basis, new Rng(1), mean: 0, std: 1.5),
            ["biology"] = SvfExpert.CreateInitial("biology", basis, new Rng(2), mean: 0, std: 1.5),
        };
        var cls = SvfExpert.CreateInitial("cls", basis, new Rng(4), mean: 0, std: 1.5);
        return (model, new Transformer2(new Generator(model, tokenizer, template), host, experts, options with { Categories = Domains }, cls), template);
    }

    [Fact]
    public void Label_scores_cover_the_custom_labels_under_the_generated_prompt()
    {
        var (model, t2, template) = Runtime(new Transformer2Options { Strategy = T2Strategy.LabelScore });
        using var m = model;
        using var rt = t2;
        var d = t2.Classify(Question);
        var scorer = new LabelScorer(model, t2.Generator.Tokenizer);
        var direct = scorer.ScoreClassification(template, Question, categories: Domains);
        Assert.Equal(["chemistry", "biology", "arithmetic", "other"], direct.Labels);
        Assert.Equal(direct.Scores, d.Scores);
        Assert.Equal(direct.Best, d.Label);
        Assert.Equal(Domains.SystemPrompt, t2.SystemText);

        // Each score is the full-forward log-probability of "label}" after the generated prompt's prefill.
        string prefix = ClassificationPrompt.Render(template, Question, ClassificationPrompt.AssistantPrefill, Domains.SystemPrompt);
        var p = t2.Generator.Tokenizer.Encode(prefix, SpecialTokens.None);
        var full = new Scorer(model, t2.Generator.Tokenizer);
        for (int l = 0; l < direct.Labels.Count; l++)
        {
            var whole = t2.Generator.Tokenizer.Encode(prefix + direct.Labels[l] + "}", SpecialTokens.None);
            int shared = 0;
            while (shared < p.Count && p[shared] == whole[shared]) shared++;
            Assert.Equal(LogProbs.Sum(full.ScoreIds(whole).AsSpan(shared - 1)), direct.Scores[l], 4);
        }

        // The paper's prompt conditions differently: the runtime really uses the categories' text.
        var paper = scorer.Score(ClassificationPrompt.Render(template, Question, ClassificationPrompt.AssistantPrefill), Domains.Labels, SpecialTokens.None);
        Assert.NotEqual(paper.Scores, direct.Scores);
    }

    [Fact]
    public void Classifier_score_scores_the_labels_under_the_classification_expert_and_restores_the_base()
    {
        var (model, t2, template) = Runtime(new Transformer2Options { Strategy = T2Strategy.ClassifierScore });
        using var m = model;
        using var rt = t2;
        var baseLogits = LoraFixtures.Logits(model, Ids);
        var d = t2.Classify(Question);
        Assert.Equal(baseLogits, LoraFixtures.Logits(model, Ids));
        var scorer = new LabelScorer(model, t2.Generator.Tokenizer);
        var plain = scorer.ScoreClassification(template, Question, categories: Domains);
        t2.Host.ApplyMixture([t2.Classifier!], [1.0]);
        var under = scorer.ScoreClassification(template, Question, categories: Domains);
        t2.Host.Clear();
        Assert.Equal(under.Scores, d.Scores);
        Assert.Equal(under.Best, d.Label);
        Assert.NotEqual(plain.Scores, d.Scores);
        var e = Assert.Throws<ArgumentException>(() => new Transformer2(t2.Generator, t2.Host, new Dictionary<string, SvfExpert>(), t2.Options));
        Assert.Contains("classification expert", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(T2Strategy.Prompt)]
    [InlineData(T2Strategy.Classifier)]
    public void Generating_first_passes_parse_with_the_custom_labels(T2Strategy strategy)
    {
        var (model, t2, _) = Runtime(new Transformer2Options { Strategy = strategy, FirstPassMaxNewTokens = 6 });
        using var m = model;
        using var rt = t2;
        var d = t2.Classify(Question);
        Assert.Contains(d.Label, Domains.Labels);
        Assert.Equal(Domains.Parse(d.FirstPassText!), d.Label);
    }

    [Fact]
    public void Dispatch_installs_the_custom_experts_and_the_fallback_runs_the_exact_base()
    {
        var (model, t2, _) = Runtime(new Transformer2Options { Strategy = T2Strategy.LabelScore, Dispatch = LabelDispatch.Soft });
        using var m = model;
        using var rt = t2;
        var baseLogits = LoraFixtures.Logits(model, Ids);
        float[] chemistry;
        using (t2.Apply(new T2Dispatch("chemistry"))) chemistry = LoraFixtures.Logits(model, Ids);
        Assert.NotEqual(baseLogits, chemistry);
        using (t2.Apply(new T2Dispatch("biology"))) Assert.NotEqual(chemistry, LoraFixtures.Logits(model, Ids));
        t2.Host.Apply(t2.Experts["biology"]);
        using (t2.Apply(new T2Dispatch("other"))) Assert.Equal(baseLogits, LoraFixtures.Logits(model, Ids));
        using (t2.Apply(new T2Dispatch("arithmetic"))) Assert.Equal(baseLogits, LoraFixtures.Logits(model, Ids));   // no arithmetic expert
        using (t2.Apply(new T2Dispatch("chemistry", [1, 0, 0, 0]))) TensorAssert.Close(chemistry, LoraFixtures.Logits(model, Ids), 1e-4, 1e-4, "soft chemistry-only");
        using (t2.Apply(new T2Dispatch("other", [0, 0, 0, 1]))) TensorAssert.Close(baseLogits, LoraFixtures.Logits(model, Ids), 1e-4, 1e-4, "soft fallback-only");
        var soft = t2.Classify(Question);
        Assert.Equal(4, soft.Alpha!.Length);
        Assert.Equal(1.0, soft.Alpha.Sum(), 9);
        Assert.Equal(["chemistry", "biology"], t2.MixtureLabels);
    }

    [Fact]
    public void The_expert_map_must_use_the_custom_labels()
    {
        var (model, t2, _) = Runtime(new Transformer2Options());
        using var m = model;
        using var rt = t2;
        var options = new Transformer2Options { Categories = Domains };
        var math = Assert.Throws<ArgumentException>(() => new Transformer2(t2.Generator, t2.Host, new Dictionary<string, SvfExpert> { ["math"] = t2.Experts["chemistry"] }, options));
        Assert.Contains("unknown category 'math'", math.Message, StringComparison.Ordinal);
        Assert.Contains("chemistry, biology, arithmetic", math.Message, StringComparison.Ordinal);
        var other = Assert.Throws<ArgumentException>(() => new Transformer2(t2.Generator, t2.Host, new Dictionary<string, SvfExpert> { ["other"] = t2.Experts["chemistry"] }, options));
        Assert.Contains("'other' always dispatches to the base weights", other.Message, StringComparison.Ordinal);
    }
}
