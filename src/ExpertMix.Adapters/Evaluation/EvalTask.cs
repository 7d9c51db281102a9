// What an evaluation task is: examples (prompt, gold), a verifier, decoding limits.
namespace ExpertMix.Adapters.Evaluation;

/// <summary>Which part of a task's data to evaluate on.</summary>
internal enum EvalSplit
{
    /// <summary>The development split (for checkpoint, CEM and shot selection); disjoint from <see cref="Test"/>.</summary>
    Dev,

    /// <summary>The reported test split; never used for any selection.</summary>
    Test,
}

/// <summary>One item to evaluate.</summary>
/// <param name="Id">A stable id (dataset id, or file name + row index).</param>
/// <param name="Prompt">The prompt text (system text and layout already applied; raw, not chat-templated).</param>
/// <param name="Gold">The gold answer handed to the verifier (for code tasks: the test code).</param>
internal sealed record EvalExample(string Id, string Prompt, string Gold)
{
    /// <summary>Text put before the completion when it is verified (HumanEval: the prompt, whose function the model completes).</summary>
    public string VerifyPrefix { get; init; } = "";

    /// <summary>
    /// The raw question a classifying first pass reads (spec §9.1: the question itself, without the task's system
    /// text or answer layout); null = <see cref="Prompt"/>.
    /// </summary>
    public string? Question { get; init; }
}

/// <summary>A task: its verifier, decoding limits and how examples are read from a file or directory.</summary>
internal sealed record EvalTask
{
    /// <summary>Task name as on the command line.</summary>
    public required string Name { get; init; }

    /// <summary>The checker.</summary>
    public required IVerifier Verifier { get; init; }

    /// <summary>Greedy decoding limit (reference: 512 for GSM8K, ARC, MBPP).</summary>
    public int MaxNewTokens { get; init; } = 512;

    /// <summary>Stop strings (the reference stops, plus the layout's next-question marker).</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>How dev and test are separated for this task (documentation, also written to reports).</summary>
    public required string SplitRule { get; init; }

    /// <summary>Reads the examples of one split from a file or directory.</summary>
    public required Func<string, EvalSplit, IReadOnlyList<EvalExample>> Load { get; init; }

    /// <summary>
    /// The examples of <paramref name="split"/>, optionally a seeded subset: with <paramref name="limit"/> below the
    /// split's size, a Fisher–Yates shuffle seeded by <paramref name="seed"/> picks <paramref name="limit"/> items,
    /// which keep their file order. Without a limit every item is returned in file order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">limit &lt; 1.</exception>
    public IReadOnlyList<EvalExample> Examples(string data, EvalSplit split, int? limit = null, int seed = 0)
    {
        var all = Load(data, split);
        if (limit is not { } n || n >= all.Count) return all;
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1, nameof(limit));
        var order = Enumerable.Range(0, all.Count).ToArray();
        var rng = new Random(seed);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return [.. order.Take(n).Order().Select(i => all[i])];
    }
}
