// The dispatch confusion matrix of a Transformer² first pass (spec §9.2, §12.5): rows = true task, columns = labels.
namespace ExpertMix.Adapters.Adaptation;

/// <summary>
/// Counts first-pass dispatches: row = the true category of the example, column = the dispatched label among
/// code, math, reasoning, other (anything else counts as other). Rows appear in first-seen order.
/// </summary>
public sealed class DispatchConfusion
{
    private readonly Dictionary<string, int[]> _counts = new(StringComparer.Ordinal);
    private readonly List<string> _rows = [];

    /// <summary>The columns: code, math, reasoning, other.</summary>
    public static IReadOnlyList<string> Columns => ClassificationPrompt.Labels;

    /// <summary>The true categories seen, in first-seen order.</summary>
    public IReadOnlyList<string> Rows => _rows;

    /// <summary>The count of examples of <paramref name="trueCategory"/> dispatched to each column.</summary>
    public IReadOnlyList<int> this[string trueCategory] => _counts.TryGetValue(trueCategory, out var c) ? c : new int[Columns.Count];

    /// <summary>Examples counted.</summary>
    public int Total => _counts.Values.Sum(c => c.Sum());

    /// <summary>Fraction of examples whose dispatch equals their true category (NaN when empty).</summary>
    public double Accuracy
    {
        get
        {
            int hit = 0;
            foreach (var (row, c) in _counts)
            {
                int col = IndexOf(row);
                if (ClassificationPrompt.Labels.Contains(row)) hit += c[col];
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
        c[IndexOf(dispatched)]++;
    }

    /// <summary>The category of an evaluation task: gsm8k → math, arc/arc-challenge → reasoning, mbpp/humaneval → code, else other.</summary>
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

    private static int IndexOf(string label)
    {
        int i = ClassificationPrompt.Labels.ToList().IndexOf(label);
        return i < 0 ? ClassificationPrompt.Labels.Count - 1 : i;
    }
}
