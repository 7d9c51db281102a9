// How a Transformer² first pass dispatched the demo's test questions: a confusion matrix (sets × labels) and its accuracy.
using ExpertMix.Adapters.Evaluation;

namespace ExpertMix.Cli.Demo;

/// <summary>How one first pass dispatched the test questions of one evaluation set.</summary>
/// <param name="EvaluationSet">One of <see cref="DemoResults.EvaluationSets"/>.</param>
/// <param name="Counts">Questions dispatched to each label, in <see cref="DemoDispatch.Labels"/> order (each ≥ 0).</param>
internal sealed record DemoDispatchRow(string EvaluationSet, IReadOnlyList<int> Counts)
{
    /// <summary>Σ counts: the questions of the set.</summary>
    public int Total => Counts.Sum();
}

/// <summary>
/// The dispatch confusion matrix of one Transformer² strategy: row = evaluation set (the true category when the set is
/// a domain), column = the dispatched label (the domains, then the fallback <c>other</c>, which runs the base weights).
/// </summary>
/// <param name="Method">The results row it belongs to, e.g. <c>t2:label-score</c>.</param>
/// <param name="Labels">The columns in dispatch order.</param>
/// <param name="Rows">One row per evaluation set, in evaluation order.</param>
internal sealed record DemoDispatch(string Method, IReadOnlyList<string> Labels, IReadOnlyList<DemoDispatchRow> Rows)
{
    /// <summary>k: questions of the sets named like a label (the domains) dispatched to that label; other sets (cross-domain) have no true label.</summary>
    public int Correct => Rows.Where(r => Labels.Contains(r.EvaluationSet)).Sum(r => r.Counts[IndexOf(r.EvaluationSet)]);

    /// <summary>n: questions of the sets named like a label.</summary>
    public int Total => Rows.Where(r => Labels.Contains(r.EvaluationSet)).Sum(r => r.Total);

    /// <summary>The dispatch accuracy k/n with its Wilson 95% interval; (0, 0, 1) when n = 0.</summary>
    public AccuracyInterval Interval => Total > 0 ? Wilson.Interval(Correct, Total) : new AccuracyInterval(0, 0, 1);

    /// <summary>The checks of <see cref="DemoResults.Validate"/>: labels unique and non-empty, each row on a known set once, one count ≥ 0 per label.</summary>
    /// <returns>The first problem, or null.</returns>
    public string? Problem(IReadOnlyCollection<string> evaluationSets)
    {
        ArgumentNullException.ThrowIfNull(evaluationSets);
        if (Labels.Count == 0 || Labels.Any(string.IsNullOrWhiteSpace) || Labels.Distinct(StringComparer.Ordinal).Count() != Labels.Count) return $"labels [{string.Join(", ", Labels)}] must be non-empty and distinct";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in Rows)
        {
            if (!evaluationSets.Contains(r.EvaluationSet)) return $"row '{r.EvaluationSet}' is not an evaluation set";
            if (!seen.Add(r.EvaluationSet)) return $"row '{r.EvaluationSet}' appears twice";
            if (r.Counts.Count != Labels.Count || r.Counts.Any(c => c < 0)) return $"row '{r.EvaluationSet}' has counts [{string.Join(", ", r.Counts)}]; expected {Labels.Count} counts ≥ 0";
        }
        return null;
    }

    private int IndexOf(string label)
    {
        for (int i = 0; i < Labels.Count; i++)
        {
            if (string.Equals(Labels[i], label, StringComparison.Ordinal)) return i;
        }
        return -1;
    }
}
