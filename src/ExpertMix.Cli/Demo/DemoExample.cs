// One demo question with its short exact-match answer, and the train/dev/test parts of a domain.
namespace ExpertMix.Cli.Demo;

/// <summary>Which part of a domain an example belongs to.</summary>
internal enum DemoSplit
{
    /// <summary>Expert (LoRA / X-LoRA / SVF) training.</summary>
    Train,

    /// <summary>Model selection and tuning.</summary>
    Dev,

    /// <summary>The reported accuracy.</summary>
    Test,
}

/// <summary>
/// A question with a short answer (a word, a symbol or an integer). As training data it is the prompt/completion pair
/// <see cref="Prompt"/> = <c>"Q: {question}\nA:"</c>, <see cref="Completion"/> = <c>" {answer}\n"</c>; as evaluation
/// data (task qa-jsonl) the prompt is generated from greedily until a newline and scored by answer-prefix exact match.
/// </summary>
/// <param name="Id">Unique id, e.g. <c>chemistry/symbol/11</c>.</param>
/// <param name="Domain">chemistry, biology, arithmetic or cross.</param>
/// <param name="Question">The question text, e.g. <c>What is the symbol of Sodium?</c>.</param>
/// <param name="Answer">The gold answer, e.g. <c>Na</c>.</param>
internal sealed record DemoExample(string Id, string Domain, string Question, string Answer)
{
    /// <summary>The prompt: <c>"Q: " + Question + "\nA:"</c>.</summary>
    public string Prompt => $"Q: {Question}\nA:";

    /// <summary>The completion: <c>" " + Answer + "\n"</c>.</summary>
    public string Completion => $" {Answer}\n";
}

/// <summary>A domain's examples by split (disjoint by id and by question text).</summary>
/// <param name="Name">chemistry, biology, arithmetic or cross.</param>
/// <param name="Train">Training examples.</param>
/// <param name="Dev">Dev examples.</param>
/// <param name="Test">Test examples.</param>
internal sealed record DemoDomain(string Name, IReadOnlyList<DemoExample> Train, IReadOnlyList<DemoExample> Dev, IReadOnlyList<DemoExample> Test)
{
    /// <summary>The examples of <paramref name="split"/>.</summary>
    public IReadOnlyList<DemoExample> Get(DemoSplit split) => split switch
    {
        DemoSplit.Train => Train,
        DemoSplit.Dev => Dev,
        DemoSplit.Test => Test,
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "unknown split"),
    };
}
