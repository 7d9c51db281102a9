// The demo's multi-domain world: fact tables → question splits per domain, cross-domain questions, pretraining corpus.
using ExpertMix.Adapters.Training.Data;
using ExpertMix.Tensors;

namespace ExpertMix.Cli.Demo;

/// <summary>
/// A small world built from the embedded tables (<see cref="PeriodicTable"/>, <see cref="AminoAcids"/>) and generated
/// arithmetic, deterministic per <see cref="DemoWorldOptions"/>.
/// </summary>
/// <remarks>
/// <para><b>Fact domains</b> (chemistry, biology). Facts cannot be generalised, so dev/test questions ask about facts
/// the model has seen: the pretraining <see cref="Corpus"/> states every fact (in both directions), and every fact
/// (entity, relation) has two phrasings, both trained unless the policy holds one out. A test (or dev) fact's question
/// is one of its phrasings, drawn at random; by <see cref="DemoWorldOptions.FactTest"/>:
/// <see cref="FactTestPolicy.Seen"/> (default) trains both phrasings, so the test question is a training question
/// (does the expert know the facts it was taught?); <see cref="FactTestPolicy.Paraphrase"/> trains only the other
/// phrasing (new wording of a taught fact); <see cref="FactTestPolicy.UnseenRelation"/> trains neither, and the
/// entity keeps at least one other trained fact (only the corpus states it). Selection: the facts are visited in a
/// seeded random order; a fact goes to test while fewer than round(FactTestFraction · facts) are there, then likewise
/// to dev. Dev and test never share a fact.</para>
/// <para><b>Arithmetic</b> generalises: problems are drawn without replacement from all of them (seeded), the first
/// ArithmeticTest to test, the next ArithmeticDev to dev; training questions and corpus sentences come only from the
/// rest, so no dev/test problem is ever seen.</para>
/// <para><b>Cross-domain</b> questions need two experts (e.g. "What is the atomic number of Sodium plus 7?" needs
/// chemistry and arithmetic; "Which element's symbol is the one-letter code of Histidine?" needs biology and
/// chemistry). Their facts are all in the corpus. Each kind is shuffled, the kinds are interleaved round-robin (so
/// every kind reaches test), and the list is cut into test, dev and train in that order.</para>
/// <para>Within a split, examples keep generation order (table order, then template order).</para>
/// </remarks>
internal sealed class DemoWorld
{
    private DemoWorld(DemoWorldOptions options, IReadOnlyList<Element> elements, IReadOnlyList<DemoDomain> domains, DemoDomain cross, IReadOnlyList<string> corpus)
    {
        Options = options;
        Elements = elements;
        Domains = domains;
        CrossDomain = cross;
        Corpus = corpus;
    }

    /// <summary>The options it was built with.</summary>
    public DemoWorldOptions Options { get; }

    /// <summary>The elements in use: Z = 1..<see cref="DemoWorldOptions.ElementCount"/>.</summary>
    public IReadOnlyList<Element> Elements { get; }

    /// <summary>chemistry, biology, arithmetic (the expert domains, in <see cref="DemoQuestions.ExpertDomains"/> order).</summary>
    public IReadOnlyList<DemoDomain> Domains { get; }

    /// <summary>The cross-domain questions.</summary>
    public DemoDomain CrossDomain { get; }

    /// <summary>The pretraining sentences (seeded order), see <see cref="DemoCorpus"/>.</summary>
    public IReadOnlyList<string> Corpus { get; }

    /// <summary>The domain called <paramref name="name"/> (an expert domain or <c>cross</c>).</summary>
    /// <exception cref="ArgumentException">Unknown name (lists the known ones).</exception>
    public DemoDomain Domain(string name) =>
        Domains.Concat([CrossDomain]).FirstOrDefault(d => d.Name == name)
        ?? throw new ArgumentException($"unknown demo domain '{name}'; known: {string.Join(", ", Domains.Select(d => d.Name))}, {DemoQuestions.Cross}", nameof(name));

    /// <summary>Builds the world of <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">Invalid options (see <see cref="DemoWorldOptions.Validate"/>).</exception>
    public static DemoWorld Build(DemoWorldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var elements = PeriodicTable.Elements.Take(options.ElementCount).ToArray();
        var chemistry = HoldOutFacts(DemoQuestions.Chemistry, elements.Select(DemoQuestions.ForElement).ToList(), options, Stream(options, 1));
        var biology = HoldOutFacts(DemoQuestions.Biology, AminoAcids.All.Select(DemoQuestions.ForAminoAcid).ToList(), options, Stream(options, 2));

        var problems = DemoQuestions.ArithmeticProblems(options);
        var order = DataSplit.Permutation(problems.Count, Stream(options, 3));
        var test = order.Take(options.ArithmeticTest).Order().Select(i => problems[i]).ToList();
        var dev = order.Skip(options.ArithmeticTest).Take(options.ArithmeticDev).Order().Select(i => problems[i]).ToList();
        var pool = order.Skip(options.ArithmeticTest + options.ArithmeticDev).ToArray();
        var train = pool.Take(options.ArithmeticTrain).Order().Select(i => problems[i]).ToList();
        var corpusProblems = pool.Take(options.ArithmeticCorpus).Order().Select(i => problems[i]);
        var arithmetic = new DemoDomain(DemoQuestions.Arithmetic,
            train.Select(DemoQuestions.ForProblem).ToArray(), dev.Select(DemoQuestions.ForProblem).ToArray(), test.Select(DemoQuestions.ForProblem).ToArray());

        var cross = CrossSplit(DemoQuestions.CrossByKind(elements), options, Stream(options, 4));

        var sentences = elements.SelectMany(DemoCorpus.ForElement)
            .Concat(AminoAcids.All.SelectMany(DemoCorpus.ForAminoAcid))
            .Concat(corpusProblems.Select(DemoCorpus.ForProblem))
            .ToArray();
        var corpus = DataSplit.Permutation(sentences.Length, Stream(options, 5)).Select(i => sentences[i]).ToArray();
        return new DemoWorld(options, elements, [chemistry, biology, arithmetic], cross, corpus);
    }

    /// <summary>An independent random stream per purpose, so changing one part's sizes leaves the others' draws alone.</summary>
    private static Rng Stream(DemoWorldOptions options, ulong purpose) => new(options.Seed * 0x9E3779B97F4A7C15UL + purpose);

    private static DemoDomain HoldOutFacts(string name, IReadOnlyList<IReadOnlyList<DemoFact>> byEntity, DemoWorldOptions options, Rng rng)
    {
        var facts = byEntity.SelectMany((list, entity) => list.Select(f => (Entity: entity, Fact: f))).ToArray();
        int testTarget = (int)Math.Round(options.FactTestFraction * facts.Length), devTarget = (int)Math.Round(options.FactDevFraction * facts.Length);
        var policy = options.FactTest;
        var remaining = byEntity.Select(l => l.Count).ToArray();
        var split = new DemoSplit[facts.Length];
        int tests = 0, devs = 0;
        foreach (int i in DataSplit.Permutation(facts.Length, rng))
        {
            int entity = facts[i].Entity;
            if (policy == FactTestPolicy.UnseenRelation && remaining[entity] <= 1) continue;
            if (tests < testTarget) (split[i], tests) = (DemoSplit.Test, tests + 1);
            else if (devs < devTarget) (split[i], devs) = (DemoSplit.Dev, devs + 1);
            else continue;
            remaining[entity]--;
        }
        var parts = new Dictionary<DemoSplit, List<DemoExample>> { [DemoSplit.Train] = [], [DemoSplit.Dev] = [], [DemoSplit.Test] = [] };
        for (int i = 0; i < facts.Length; i++)
        {
            var phrasings = facts[i].Fact.Phrasings;
            if (split[i] == DemoSplit.Train)
            {
                parts[DemoSplit.Train].AddRange(phrasings);
                continue;
            }
            int asked = rng.NextInt(phrasings.Count);
            parts[split[i]].Add(phrasings[asked]);
            if (policy != FactTestPolicy.UnseenRelation) parts[DemoSplit.Train].AddRange(phrasings.Where((_, k) => policy == FactTestPolicy.Seen || k != asked));
        }
        return new DemoDomain(name, parts[DemoSplit.Train], parts[DemoSplit.Dev], parts[DemoSplit.Test]);
    }

    private static DemoDomain CrossSplit(IReadOnlyList<IReadOnlyList<DemoExample>> byKind, DemoWorldOptions options, Rng rng)
    {
        var queues = byKind.Select(kind => new Queue<DemoExample>(DataSplit.Permutation(kind.Count, rng).Select(i => kind[i]))).ToList();
        var interleaved = new List<DemoExample>();
        while (queues.Any(q => q.Count > 0))
        {
            foreach (var q in queues)
            {
                if (q.Count > 0) interleaved.Add(q.Dequeue());
            }
        }
        var test = interleaved.Take(options.CrossTest).ToArray();
        var dev = interleaved.Skip(test.Length).Take(options.CrossDev).ToArray();
        var train = interleaved.Skip(test.Length + dev.Length).Take(options.CrossTrain).ToArray();
        return new DemoDomain(DemoQuestions.Cross, train, dev, test);
    }
}
