// The dispatch confusion matrix of a Transformer² first pass (spec §9.2, §12.5): rows = true task, columns = labels.
namespace ExpertMix.Adapters.Adaptation;

/// <summary>
/// Counts first-pass dispatches: row = the true category of the example (any name), column = the dispatched label
/// among the categories' <see cref="ClassificationCategories.Labels"/> (paper: code, math, reasoning, other; anything
/// else counts as the fallback). Rows appear in first-seen order.
/// </summary>
/// <param name="categories">The columns' categories; null = <see cref="ClassificationCategories.Paper"/>.</param>
internal sealed class DispatchConfusion(ClassificationCategories? categories = null)
{
    private readonly Dictionary<string, int[]> _counts = new(StringComparer.Ordinal);
    private readonly List<string> _rows = [];

    /// <summary>The categories of the columns.</summary>
    public ClassificationCategories Categories { get; } = categories ?? ClassificationCategories.Paper;

    /// <summary>The columns: the categories' labels, the fallback last.</summary>
    public IReadOnlyList<string> Columns => Categories.Labels;

    /// <summary>The true categories seen, in first-seen order.</summary>
    public IReadOnlyList<string> Rows => _rows;

    /// <summary>The count of examples of <paramref name="trueCategory"/> dispatched to each column.</summary>
    public IReadOnlyList<int> this[string trueCategory] => _counts.TryGetValue(trueCategory, out var c) ? c : new int[Columns.Count];

    /// <summary>Examples counted.</summary>
    public int Total => _counts.Values.Sum(c => c.Sum());

    /// <summary>Fraction of all counted examples whose dispatch equals their true category; rows that are no label count as misses (NaN when empty).</summary>
    public double Accuracy
    {
        get
        {
            int hit = 0;
            foreach (var (row, c) in _counts)
            {
                if (Columns.Contains(row)) hit += c[Categories.IndexOf(row)];
            }
            return Total == 0 ? double.NaN : hit / (double)Total;
        }
    }

    /// <summary>Counts one dispatch.</summary>
    public void Add(string trueCategory, string dispatched)
    {
        ArgumentNullException.ThrowIfNull(trueCategory);
        ArgumentNullException.ThrowIfNull(dispatched);
        if (!_counts.TryGetValue(trueCategory, out var c))
        {
            c = new int[Columns.Count];
            _counts[trueCategory] = c;
            _rows.Add(trueCategory);
        }
        c[Categories.IndexOf(dispatched)]++;
    }

    /// <summary>The paper category of an evaluation task: gsm8k → math, arc/arc-challenge → reasoning, mbpp/humaneval → code, else other.</summary>
    public static string CategoryOfTask(string taskName)
    {
        ArgumentNullException.ThrowIfNull(taskName);
        return taskName switch
        {
            "gsm8k" or "math" => ClassificationPrompt.Math,
            "arc" or "arc-challenge" or "arc-easy" => ClassificationPrompt.Reasoning,
            "mbpp" or "humaneval" => ClassificationPrompt.Code,
            _ => ClassificationPrompt.Other,
        };
    }

    /// <summary>rows → {column → count}, for JSON reports.</summary>
    public Dictionary<string, Dictionary<string, int>> ToDictionary() =>
        _rows.ToDictionary(r => r, r => Columns.Select((col, i) => (col, i)).ToDictionary(x => x.col, x => _counts[r][x.i]), StringComparer.Ordinal);
}
