// Sizes and seed of the demo world: which elements, how many held-out questions, arithmetic ranges.
namespace ExpertMix.Cli.Demo;

/// <summary>What a held-out question of a fact domain (chemistry, biology) asks, relative to expert training.</summary>
internal enum FactTestPolicy
{
    /// <summary>
    /// The test (dev) question of a fact is one of its training questions, word for word: it measures whether an
    /// expert acquired the facts it was taught (facts cannot be generalised), while arithmetic and cross-domain
    /// questions measure generalisation. The default: a tiny base with a LoRA expert answers its training questions
    /// well (≈ 84 % for chemistry after 20 epochs at rank 8) but transfers little to new wording (see
    /// <see cref="Paraphrase"/>).
    /// </summary>
    Seen,

    /// <summary>
    /// A test fact is trained in one phrasing and tested in the other ("What is the symbol of Sodium?" in training,
    /// "Which symbol does Sodium have?" in test): the expert must carry a fact it was taught over to new wording
    /// (measured ≈ 17 % for chemistry with the 2-layer demo base and a rank-8 expert).
    /// </summary>
    Paraphrase,

    /// <summary>
    /// A held-out fact is absent from expert training in every phrasing (only the pretraining corpus states it, in
    /// sentence form), e.g. training asks for Sodium's symbol and test for its atomic number: the expert must turn
    /// the base's sentence knowledge into answers. Much harder for a tiny base (measured ≈ 3 % for chemistry).
    /// </summary>
    UnseenRelation,
}

/// <summary>
/// Options of <see cref="DemoWorld.Build"/>. Every split is a deterministic function of these values (same options →
/// identical rows in identical order).
/// </summary>
internal sealed record DemoWorldOptions
{
    /// <summary>Seed of every shuffle (question splits, arithmetic pools, cross-domain picks, corpus order).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The world uses elements 1..ElementCount of the periodic table (1–118). Default 36 (periods 1–4).</summary>
    public int ElementCount { get; init; } = 36;

    /// <summary>What the dev/test questions of the fact domains ask (see <see cref="FactTestPolicy"/>). Default <see cref="FactTestPolicy.Seen"/>.</summary>
    public FactTestPolicy FactTest { get; init; } = FactTestPolicy.Seen;

    /// <summary>Fraction of a fact domain's facts (entity, relation) asked in test, in [0, 0.5]. Default 0.2.</summary>
    public double FactTestFraction { get; init; } = 0.2;

    /// <summary>Fraction of a fact domain's facts asked in dev, in [0, 0.5]. Default 0.1.</summary>
    public double FactDevFraction { get; init; } = 0.1;

    /// <summary>Largest operand of additions and subtractions (operands 0..this). Default 20.</summary>
    public int AdditionMaxOperand { get; init; } = 20;

    /// <summary>Largest operand of multiplications (operands 0..this). Default 10.</summary>
    public int MultiplicationMaxOperand { get; init; } = 10;

    /// <summary>Arithmetic training questions (drawn from the problems not held out). Default 300.</summary>
    public int ArithmeticTrain { get; init; } = 300;

    /// <summary>Arithmetic dev questions. Default 40.</summary>
    public int ArithmeticDev { get; init; } = 40;

    /// <summary>Arithmetic test questions. Default 80.</summary>
    public int ArithmeticTest { get; init; } = 80;

    /// <summary>
    /// Arithmetic sentences ("3 plus 4 is 7.") in the pretraining corpus, drawn from the problems not held out (capped
    /// at their number). Default 1000, i.e. all of them (673 with the default operands): with only 300 the 2-layer base
    /// memorised them but completed just 10 % of held-out sentences ("13 plus 5 is") correctly; with all 673, 66 %.
    /// </summary>
    public int ArithmeticCorpus { get; init; } = 1000;

    /// <summary>Cross-domain training questions (e.g. for an X-LoRA gate). Default 60.</summary>
    public int CrossTrain { get; init; } = 60;

    /// <summary>Cross-domain dev questions. Default 30.</summary>
    public int CrossDev { get; init; } = 30;

    /// <summary>Cross-domain test questions. Default 60.</summary>
    public int CrossTest { get; init; } = 60;

    /// <summary>A smaller world for <c>--quick</c>: 20 elements, fewer arithmetic and cross-domain questions.</summary>
    public static DemoWorldOptions Quick { get; } = new()
    {
        ElementCount = 20, ArithmeticTrain = 150, ArithmeticDev = 20, ArithmeticTest = 40, ArithmeticCorpus = 150,
        AdditionMaxOperand = 12, MultiplicationMaxOperand = 6, CrossTrain = 30, CrossDev = 16, CrossTest = 30,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option and its allowed range.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(FactTest)) throw new ArgumentException($"DemoWorldOptions.FactTest = {FactTest}; expected {string.Join(" or ", Enum.GetNames<FactTestPolicy>())}");
        if (ElementCount is < 2 or > 118) throw new ArgumentException($"DemoWorldOptions.ElementCount = {ElementCount}; expected 2..118");
        if (FactTestFraction is < 0 or > 0.5 || double.IsNaN(FactTestFraction)) throw new ArgumentException($"DemoWorldOptions.FactTestFraction = {FactTestFraction}; expected 0..0.5");
        if (FactDevFraction is < 0 or > 0.5 || double.IsNaN(FactDevFraction)) throw new ArgumentException($"DemoWorldOptions.FactDevFraction = {FactDevFraction}; expected 0..0.5");
        if (AdditionMaxOperand is < 1 or > 999) throw new ArgumentException($"DemoWorldOptions.AdditionMaxOperand = {AdditionMaxOperand}; expected 1..999");
        if (MultiplicationMaxOperand is < 1 or > 99) throw new ArgumentException($"DemoWorldOptions.MultiplicationMaxOperand = {MultiplicationMaxOperand}; expected 1..99");
        foreach (var (name, v) in new[] { ("ArithmeticTrain", ArithmeticTrain), ("ArithmeticDev", ArithmeticDev), ("ArithmeticTest", ArithmeticTest), ("ArithmeticCorpus", ArithmeticCorpus), ("CrossTrain", CrossTrain), ("CrossDev", CrossDev), ("CrossTest", CrossTest) })
        {
            if (v < 0) throw new ArgumentException($"DemoWorldOptions.{name} = {v}; expected ≥ 0");
        }
        int problems = DemoQuestions.ArithmeticProblemCount(this);
        if (ArithmeticDev + ArithmeticTest >= problems)
        {
            throw new ArgumentException($"DemoWorldOptions.ArithmeticDev + ArithmeticTest = {ArithmeticDev + ArithmeticTest} leaves no training problems out of {problems}; raise AdditionMaxOperand/MultiplicationMaxOperand or lower the counts");
        }
    }
}
