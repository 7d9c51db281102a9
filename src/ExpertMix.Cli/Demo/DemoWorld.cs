// The demo's multi-domain world: fact tables → question splits per domain, cross-domain questions, pretraining corpus.
using ExpertMix.Adapters.Training.Data;
using ExpertMix.Tensors;

namespace ExpertMix.Cli.Demo;

/// <summary>
/// A small world built from the embedded tables (<see cref="PeriodicTable"/>, <see cref="AminoAcids"/>) and generated
/// arithmetic, deterministic per <see cref="DemoWorldOptions"/>.
/// </summary>
/// <remarks>
/// <para><b>Fact domains</b> (chemistry, biology). Facts cannot be generalised, so the held-out questions ask about
/// facts the model has seen: the pretraining <see cref="Corpus"/> states every fact (in both directions), and the
/// dev/test questions are (entity, template) pairs held out from expert training — e.g. train asks "What is the symbol
/// of Sodium?" while test asks "Which element has atomic number 11?". Every entity keeps at least one training
/// question and every template is trained on other entities, so an expert must learn the question format per template
/// and recall the fact from the base. Selection: the pairs are visited in a seeded random order; a pair goes to test
/// while fewer than round(FactTestFraction · N) are there and its entity keeps another pair, then likewise to dev;
/// the rest is train.</para>
/// <para><b>Arithmetic</b> generalises: problems are drawn without replacement from all of them (seeded), the first
/// ArithmeticTest to test, the next ArithmeticDev to dev; training questions and corpus sentences come only from the
/// rest, so no dev/test problem is ever seen.</para>
/// <para><b>Cross-domain</b> questions need two experts (e.g. "What is the atomic number of Sodium plus 7?" needs
/// chemistry and arithmetic; "Which element's symbol is the one-letter code of Histidine?" needs biology and
/// chemistry). Their facts are all in the corpus. Each kind is shuffled, the kinds are interleaved round-robin (so
/// every kind reaches test), and the list is cut into test, dev and train in that order.</para>
/// <para>Within a split, examples keep generation order (table order, then template order).</para>
/// </remarks>
public sealed class DemoWorld
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

    private static DemoDomain HoldOutFacts(string name, IReadOnlyList<IReadOnlyList<DemoExample>> byEntity, DemoWorldOptions options, Rng rng)
    {
        var pairs = byEntity.SelectMany((list, entity) => list.Select(q => (Entity: entity, Question: q))).ToArray();
        int testTarget = (int)Math.Round(options.FactTestFraction * pairs.Length), devTarget = (int)Math.Round(options.FactDevFraction * pairs.Length);
        var remaining = byEntity.Select(l => l.Count).ToArray();
        var split = new DemoSplit[pairs.Length];
        int tests = 0, devs = 0;
        foreach (int i in DataSplit.Permutation(pairs.Length, rng))
        {
            int entity = pairs[i].Entity;
            if (remaining[entity] <= 1) continue;
            if (tests < testTarget) (split[i], tests) = (DemoSplit.Test, tests + 1);
            else if (devs < devTarget) (split[i], devs) = (DemoSplit.Dev, devs + 1);
            else continue;
            remaining[entity]--;
        }
        DemoExample[] Of(DemoSplit s) => [.. pairs.Where((_, i) => split[i] == s).Select(p => p.Question)];
        return new DemoDomain(name, Of(DemoSplit.Train), Of(DemoSplit.Dev), Of(DemoSplit.Test));
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
