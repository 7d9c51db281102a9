// The demo world: deterministic disjoint splits per seed, answers recomputed from the tables, held-out facts seen in training.
using System.Globalization;
using System.Text.RegularExpressions;
using ExpertMix.Cli.Demo;

namespace ExpertMix.Cli.Tests.Demo;

public partial class DemoWorldTests
{
    private static readonly DemoWorld Default = DemoWorld.Build(new DemoWorldOptions());

    private static IEnumerable<DemoDomain> AllDomains(DemoWorld w) => w.Domains.Append(w.CrossDomain);

    private static IEnumerable<(DemoSplit Split, DemoExample Example)> Rows(DemoDomain d) =>
        Enum.GetValues<DemoSplit>().SelectMany(s => d.Get(s).Select(e => (s, e)));

    private static string Key(DemoWorld w) => string.Join("\n", AllDomains(w).SelectMany(d => Rows(d).Select(r => $"{r.Split}|{r.Example}")).Concat(w.Corpus));

    private static Element Element(string name) => PeriodicTable.Elements.Single(e => e.Name == name);

    private static int Z(string name) => Element(name).Number;

    private static string S(int n) => n.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public void The_same_options_build_the_same_world_and_another_seed_another_split()
    {
        Assert.Equal(Key(Default), Key(DemoWorld.Build(new DemoWorldOptions())));
        var other = DemoWorld.Build(new DemoWorldOptions { Seed = 2 });
        foreach (var name in DemoQuestions.ExpertDomains.Append(DemoQuestions.Cross))
        {
            Assert.NotEqual(Default.Domain(name).Test.Select(e => e.Id), other.Domain(name).Test.Select(e => e.Id));
        }
        Assert.Equal(Default.Corpus.Order(StringComparer.Ordinal).Where(s => !ArithmeticSentence().IsMatch(s)),
            other.Corpus.Order(StringComparer.Ordinal).Where(s => !ArithmeticSentence().IsMatch(s)));
    }

    [Theory]
    [InlineData(1UL, "Seen")]
    [InlineData(7UL, "Seen")]
    [InlineData(1UL, "Paraphrase")]
    [InlineData(7UL, "UnseenRelation")]
    public void Dev_and_test_are_disjoint_and_fact_questions_relate_to_training_as_the_policy_says(ulong seed, string policyName)
    {
        var policy = Enum.Parse<FactTestPolicy>(policyName);
        var world = DemoWorld.Build(new DemoWorldOptions { Seed = seed, FactTest = policy });
        foreach (var d in AllDomains(world))
        {
            foreach (var split in Enum.GetValues<DemoSplit>())
            {
                var part = d.Get(split);
                Assert.NotEmpty(part);
                Assert.Equal(part.Count, part.Select(e => e.Id).Distinct().Count());
                Assert.Equal(part.Count, part.Select(e => e.Question).Distinct().Count());
                Assert.All(part, e => Assert.Equal(d.Name, e.Domain));
            }
            Assert.Empty(d.Dev.Select(e => e.Question).Intersect(d.Test.Select(e => e.Question)));
            var train = d.Train.Select(e => e.Question).ToHashSet();
            var heldOut = d.Dev.Concat(d.Test).ToList();
            bool factDomain = d.Name is DemoQuestions.Chemistry or DemoQuestions.Biology;
            if (factDomain && policy == FactTestPolicy.Seen) Assert.All(heldOut, e => Assert.Contains(e.Question, train));
            else Assert.All(heldOut, e => Assert.DoesNotContain(e.Question, train));
            if (!factDomain) continue;
            // A fact is (relation, entity); the id is {domain}/{relation}/p{phrasing}/{entity}.
            static string Fact(DemoExample e) => e.Id.Split('/') is var p ? $"{p[1]}/{p[3]}" : "";
            var trainedFacts = d.Train.Select(Fact).ToHashSet();
            var trainedEntities = d.Train.Select(e => e.Id.Split('/')[3]).ToHashSet();
            Assert.Empty(d.Dev.Select(Fact).Intersect(d.Test.Select(Fact)));
            if (policy == FactTestPolicy.UnseenRelation)
            {
                Assert.All(heldOut, e => Assert.DoesNotContain(Fact(e), trainedFacts));
                Assert.All(heldOut, e => Assert.Contains(e.Id.Split('/')[3], trainedEntities));
            }
            else
            {
                Assert.All(heldOut, e => Assert.Contains(Fact(e), trainedFacts));
            }
        }
    }

    [Fact]
    public void Fact_domains_ask_the_requested_fractions_of_facts_and_train_both_phrasings_of_the_rest()
    {
        var o = Default.Options;
        foreach (var (name, facts) in new[] { (DemoQuestions.Chemistry, o.ElementCount * 5), (DemoQuestions.Biology, 20 * 5) })
        {
            var d = Default.Domain(name);
            Assert.Equal((int)Math.Round(o.FactTestFraction * facts), d.Test.Count);
            Assert.Equal((int)Math.Round(o.FactDevFraction * facts), d.Dev.Count);
            Assert.Equal(2 * facts, d.Train.Count);
            Assert.Equal(["p1", "p2"], d.Train.Select(e => e.Id.Split('/')[2]).Distinct().Order(StringComparer.Ordinal));
        }
        var paraphrase = DemoWorld.Build(o with { FactTest = FactTestPolicy.Paraphrase }).Domain(DemoQuestions.Biology);
        Assert.Equal(2 * 100 - paraphrase.Dev.Count - paraphrase.Test.Count, paraphrase.Train.Count);
    }

    [Fact]
    public void Every_chemistry_and_biology_answer_is_the_table_value_the_question_asks_for()
    {
        foreach (var (_, e) in Rows(Default.Domain(DemoQuestions.Chemistry)))
        {
            var m = ChemistryQuestion().Match(e.Question);
            Assert.True(m.Success, e.Question);
            string expected = m.Groups["symOf"].Success ? Element(m.Groups["symOf"].Value).Symbol
                : m.Groups["zOf"].Success ? S(Z(m.Groups["zOf"].Value))
                : m.Groups["bySym"].Success ? PeriodicTable.BySymbol(m.Groups["bySym"].Value)!.Name
                : m.Groups["byZ"].Success ? PeriodicTable.Elements[int.Parse(m.Groups["byZ"].Value, CultureInfo.InvariantCulture) - 1].Name
                : S(Element(m.Groups["groupOf"].Value).Group!.Value);
            Assert.Equal(expected, e.Answer);
        }
        foreach (var (_, e) in Rows(Default.Domain(DemoQuestions.Biology)))
        {
            var m = BiologyQuestion().Match(e.Question);
            Assert.True(m.Success, e.Question);
            var acids = AminoAcids.All;
            string expected = m.Groups["c1Of"].Success ? acids.Single(a => a.Name == m.Groups["c1Of"].Value).Code1
                : m.Groups["c3Of"].Success ? acids.Single(a => a.Name == m.Groups["c3Of"].Value).Code3
                : m.Groups["byC1"].Success ? acids.Single(a => a.Code1 == m.Groups["byC1"].Value).Name
                : m.Groups["byC3"].Success ? acids.Single(a => a.Code3 == m.Groups["byC3"].Value).Name
                : acids.Single(a => a.Name == m.Groups["classOf"].Value).Class.ToString().ToLowerInvariant();
            Assert.Equal(expected, e.Answer);
        }
    }

    [Fact]
    public void Arithmetic_answers_are_exact_and_no_dev_or_test_problem_is_in_training_or_the_corpus()
    {
        var d = Default.Domain(DemoQuestions.Arithmetic);
        Assert.Equal((Default.Options.ArithmeticTrain, Default.Options.ArithmeticDev, Default.Options.ArithmeticTest), (d.Train.Count, d.Dev.Count, d.Test.Count));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, e) in Rows(d))
        {
            var m = ArithmeticQuestion().Match(e.Question);
            Assert.True(m.Success, e.Question);
            int a = int.Parse(m.Groups["a"].Value, CultureInfo.InvariantCulture), b = int.Parse(m.Groups["b"].Value, CultureInfo.InvariantCulture);
            int expected = m.Groups["op"].Value switch { "plus" => a + b, "minus" => a - b, _ => a * b };
            Assert.True(expected >= 0, e.Question);
            Assert.Equal(S(expected), e.Answer);
        }
        foreach (var s in Default.Corpus)
        {
            var m = ArithmeticSentence().Match(s);
            if (m.Success) seen.Add($"What is {m.Groups["a"].Value} {m.Groups["op"].Value} {m.Groups["b"].Value}?");
        }
        var o = Default.Options;
        int notHeldOut = DemoQuestions.ArithmeticProblemCount(o) - o.ArithmeticDev - o.ArithmeticTest;
        Assert.Equal(Math.Min(o.ArithmeticCorpus, notHeldOut), seen.Count);
        Assert.Equal(150, DemoWorld.Build(o with { ArithmeticCorpus = 150 }).Corpus.Count(s => ArithmeticSentence().IsMatch(s)));
        seen.UnionWith(d.Train.Select(e => e.Question));
        Assert.All(d.Dev.Concat(d.Test), e => Assert.DoesNotContain(e.Question, seen));
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(3UL)]
    public void Every_cross_domain_answer_is_recomputed_from_the_tables_and_every_kind_reaches_test(ulong seed)
    {
        var world = DemoWorld.Build(new DemoWorldOptions { Seed = seed });
        var d = world.CrossDomain;
        Assert.Equal((world.Options.CrossTrain, world.Options.CrossDev, world.Options.CrossTest), (d.Train.Count, d.Dev.Count, d.Test.Count));
        var kinds = new HashSet<string>();
        foreach (var (_, e) in Rows(d))
        {
            string expected;
            if (CrossPlus().Match(e.Question) is { Success: true } plus)
            {
                int z = Z(plus.Groups["name"].Value), k = int.Parse(plus.Groups["k"].Value, CultureInfo.InvariantCulture);
                expected = S(plus.Groups["op"].Value == "plus" ? z + k : z * k);
                Assert.True(z <= world.Options.ElementCount);
            }
            else if (CrossCode().Match(e.Question) is { Success: true } code)
            {
                string letter = AminoAcids.All.Single(a => a.Name == code.Groups["acid"].Value).Code1;
                var element = PeriodicTable.BySymbol(letter)!;
                expected = code.Groups["what"].Value == "Which element's symbol is" ? element.Name : S(element.Number);
            }
            else if (CrossPair().Match(e.Question) is { Success: true } pair)
            {
                var element = PeriodicTable.Elements.Single(x => x.Name == pair.Groups["element"].Value);
                expected = element.Symbol + " " + AminoAcids.All.Single(a => a.Name == pair.Groups["acid"].Value).Code1;
                Assert.True(element.Number <= world.Options.ElementCount);
            }
            else
            {
                throw new Xunit.Sdk.XunitException($"unrecognised cross-domain question: {e.Question}");
            }
            Assert.Equal(expected, e.Answer);
        }
        foreach (var e in d.Test) kinds.Add(e.Id.Split('/')[1]);
        Assert.Equal(["element-of-code", "number-of-code", "number-plus", "number-times", "symbol-and-code"], kinds.Order(StringComparer.Ordinal));
        // Histidine's one-letter code H is hydrogen's symbol.
        var all = world.CrossDomain.Train.Concat(world.CrossDomain.Dev).Concat(world.CrossDomain.Test);
        Assert.Contains(all, e => e.Question == "Which element's symbol is the one-letter code of Histidine?" && e.Answer == "Hydrogen");
    }

    [Fact]
    public void The_corpus_states_every_fact_in_plain_sentences_and_never_uses_the_question_format()
    {
        var corpus = Default.Corpus.ToHashSet(StringComparer.Ordinal);
        foreach (var e in Default.Elements)
        {
            Assert.Contains($"{e.Name} has the symbol {e.Symbol} and atomic number {S(e.Number)}.", corpus);
            Assert.Contains($"The symbol {e.Symbol} stands for {e.Name}.", corpus);
            Assert.Contains($"Element {S(e.Number)} is {e.Name}.", corpus);
            if (e.Group is int g) Assert.Contains($"{e.Name} is in group {S(g)}.", corpus);
        }
        Assert.Contains("Sodium has the symbol Na and atomic number 11.", corpus);
        Assert.Contains("Glycine, Gly, G, is nonpolar.", corpus);
        Assert.DoesNotContain(Default.Corpus, s => s.Contains("Q:", StringComparison.Ordinal) || s.Contains('\n', StringComparison.Ordinal));
        Assert.Equal(Default.Corpus.Count, corpus.Count);
    }

    [Fact]
    public void Prompts_and_completions_have_the_qa_layout_with_one_line_answers()
    {
        var sodium = new DemoExample("x", "chemistry", "What is the symbol of Sodium?", "Na");
        Assert.Equal(("Q: What is the symbol of Sodium?\nA:", " Na\n"), (sodium.Prompt, sodium.Completion));
        Assert.All(AllDomains(Default).SelectMany(Rows), r =>
        {
            Assert.DoesNotContain('\n', r.Example.Question);
            Assert.Matches(@"^\S(.*\S)?$", r.Example.Answer);
            Assert.DoesNotContain('\n', r.Example.Answer);
        });
    }

    [Fact]
    public void Invalid_options_are_refused_naming_the_option()
    {
        Assert.Contains("ElementCount", Assert.Throws<ArgumentException>(() => DemoWorld.Build(new DemoWorldOptions { ElementCount = 119 })).Message, StringComparison.Ordinal);
        Assert.Contains("FactTestFraction", Assert.Throws<ArgumentException>(() => DemoWorld.Build(new DemoWorldOptions { FactTestFraction = 0.9 })).Message, StringComparison.Ordinal);
        Assert.Contains("ArithmeticDev + ArithmeticTest", Assert.Throws<ArgumentException>(() => DemoWorld.Build(new DemoWorldOptions { AdditionMaxOperand = 1, MultiplicationMaxOperand = 1 })).Message, StringComparison.Ordinal);
        Assert.Contains("CrossTest", Assert.Throws<ArgumentException>(() => DemoWorld.Build(new DemoWorldOptions { CrossTest = -1 })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_quick_world_is_smaller_and_valid()
    {
        var quick = DemoWorld.Build(DemoWorldOptions.Quick);
        Assert.Equal(20, quick.Elements.Count);
        Assert.True(quick.Corpus.Count < Default.Corpus.Count);
        Assert.True(quick.CrossDomain.Test.Count > 0);
    }

    [GeneratedRegex(@"^(What is the symbol of (?<symOf>\w+)\?|Which symbol does (?<symOf>\w+) have\?|What is the atomic number of (?<zOf>\w+)\?|Which atomic number does (?<zOf>\w+) have\?|Which element has the symbol (?<bySym>\w+)\?|Which element does the symbol (?<bySym>\w+) stand for\?|Which element has atomic number (?<byZ>\d+)\?|Which element is element number (?<byZ>\d+)\?|What group is (?<groupOf>\w+) in\?|Which group does (?<groupOf>\w+) belong to\?)$")]
    private static partial Regex ChemistryQuestion();

    [GeneratedRegex(@"^(What is the one-letter code of (?<c1Of>[\w ]+)\?|Which one-letter code does (?<c1Of>[\w ]+) have\?|What is the three-letter code of (?<c3Of>[\w ]+)\?|Which three-letter code does (?<c3Of>[\w ]+) have\?|Which amino acid has the one-letter code (?<byC1>\w)\?|Which amino acid does the one-letter code (?<byC1>\w) stand for\?|Which amino acid has the three-letter code (?<byC3>\w+)\?|Which amino acid does the three-letter code (?<byC3>\w+) stand for\?|What is the side-chain class of (?<classOf>[\w ]+)\?|Which side-chain class does (?<classOf>[\w ]+) have\?)$")]
    private static partial Regex BiologyQuestion();

    [GeneratedRegex(@"^What is (?<a>\d+) (?<op>plus|minus|times) (?<b>\d+)\?$")]
    private static partial Regex ArithmeticQuestion();

    [GeneratedRegex(@"^(?<a>\d+) (?<op>plus|minus|times) (?<b>\d+) is (?<c>\d+)\.$")]
    private static partial Regex ArithmeticSentence();

    [GeneratedRegex(@"^What is the atomic number of (?<name>\w+) (?<op>plus|times) (?<k>\d+)\?$")]
    private static partial Regex CrossPlus();

    [GeneratedRegex(@"^(?<what>Which element's symbol is|What is the atomic number of the element whose symbol is) the one-letter code of (?<acid>[\w ]+)\?$")]
    private static partial Regex CrossCode();

    [GeneratedRegex(@"^What are the symbol of (?<element>\w+) and the one-letter code of (?<acid>[\w ]+)\?$")]
    private static partial Regex CrossPair();
}
