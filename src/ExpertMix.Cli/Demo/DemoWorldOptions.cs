// Sizes and seed of the demo world: which elements, how many held-out questions, arithmetic ranges.
namespace ExpertMix.Cli.Demo;

/// <summary>
/// Options of <see cref="DemoWorld.Build"/>. Every split is a deterministic function of these values (same options →
/// identical rows in identical order).
/// </summary>
public sealed record DemoWorldOptions
{
    /// <summary>Seed of every shuffle (question splits, arithmetic pools, cross-domain picks, corpus order).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The world uses elements 1..ElementCount of the periodic table (1–118). Default 36 (periods 1–4).</summary>
    public int ElementCount { get; init; } = 36;

    /// <summary>Fraction of a fact domain's (entity, template) questions held out as test, in [0, 0.5]. Default 0.2.</summary>
    public double FactTestFraction { get; init; } = 0.2;

    /// <summary>Fraction of a fact domain's questions held out as dev, in [0, 0.5]. Default 0.1.</summary>
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

    /// <summary>Arithmetic sentences ("3 plus 4 is 7.") in the pretraining corpus, drawn from the training problems. Default 300.</summary>
    public int ArithmeticCorpus { get; init; } = 300;

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
