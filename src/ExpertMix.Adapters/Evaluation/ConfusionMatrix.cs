// A confusion matrix over named labels (rows = true label, columns = predicted), e.g. the Transformer² dispatch matrix.
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ExpertMix.Adapters.Evaluation;

/// <summary>
/// Counts of (true label, predicted label) pairs: <c>Count(t, p)</c> is row t (the true label), column p (the
/// prediction), both indexed by <see cref="Labels"/>. Accuracy = trace / total; recall of row t = count(t, t) / row
/// total (null for an empty row).
/// </summary>
internal sealed class ConfusionMatrix
{
    private readonly Dictionary<string, int> _index;
    private readonly long[,] _counts;

    /// <summary>An empty matrix over <paramref name="labels"/> (distinct, in display order).</summary>
    /// <exception cref="ArgumentException">No labels, or a label repeated (named).</exception>
    public ConfusionMatrix(IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count == 0) throw new ArgumentException("a confusion matrix needs at least one label", nameof(labels));
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(labels[i], nameof(labels));
            if (!_index.TryAdd(labels[i], i)) throw new ArgumentException($"label '{labels[i]}' appears twice", nameof(labels));
        }
        Labels = [.. labels];
        _counts = new long[labels.Count, labels.Count];
    }

    /// <summary>
    /// A matrix of <paramref name="pairs"/>. Without <paramref name="labels"/> the labels are the distinct true and
    /// predicted labels in ordinal order.
    /// </summary>
    /// <exception cref="ArgumentException">A label outside <paramref name="labels"/> (see <see cref="Add"/>).</exception>
    public static ConfusionMatrix FromPairs(IEnumerable<(string True, string Predicted)> pairs, IReadOnlyList<string>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var list = pairs.ToList();
        labels ??= [.. list.SelectMany(p => new[] { p.True, p.Predicted }).Distinct().Order(StringComparer.Ordinal)];
        var m = new ConfusionMatrix(labels);
        foreach (var (t, p) in list) m.Add(t, p);
        return m;
    }

    /// <summary>The labels, in row and column order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>All counted pairs.</summary>
    public long Total { get; private set; }

    /// <summary>Pairs on the diagonal (prediction = true label).</summary>
    public long Correct { get; private set; }

    /// <summary>Correct / Total (0 when empty).</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;

    /// <summary>Counts one item whose true label is <paramref name="trueLabel"/> and prediction <paramref name="predicted"/>.</summary>
    /// <exception cref="ArgumentException">A label not in <see cref="Labels"/> (names it and the labels).</exception>
    public void Add(string trueLabel, string predicted)
    {
        int t = IndexOf(trueLabel, nameof(trueLabel)), p = IndexOf(predicted, nameof(predicted));
        _counts[t, p]++;
        Total++;
        if (t == p) Correct++;
    }

    /// <summary>The count of row <paramref name="trueLabel"/>, column <paramref name="predicted"/>.</summary>
    public long Count(string trueLabel, string predicted) => _counts[IndexOf(trueLabel, nameof(trueLabel)), IndexOf(predicted, nameof(predicted))];

    /// <summary>Items whose true label is <paramref name="trueLabel"/> (the row sum).</summary>
    public long RowTotal(string trueLabel)
    {
        int t = IndexOf(trueLabel, nameof(trueLabel));
        long s = 0;
        for (int j = 0; j < Labels.Count; j++) s += _counts[t, j];
        return s;
    }

    /// <summary>Recall of row <paramref name="trueLabel"/>: count(t, t) / row total, or null for an empty row.</summary>
    public double? Recall(string trueLabel)
    {
        long total = RowTotal(trueLabel);
        int t = _index[trueLabel];
        return total == 0 ? null : (double)_counts[t, t] / total;
    }

    /// <summary>
    /// Writes <c>{"labels": [...], "rows": "true", "columns": "predicted", "matrix": [[...], ...], "total",
    /// "accuracy", "recall": {label: value or null}}</c>.
    /// </summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteStartArray("labels");
        foreach (var l in Labels) w.WriteStringValue(l);
        w.WriteEndArray();
        w.WriteString("rows", "true");
        w.WriteString("columns", "predicted");
        w.WriteStartArray("matrix");
        for (int i = 0; i < Labels.Count; i++)
        {
            w.WriteStartArray();
            for (int j = 0; j < Labels.Count; j++) w.WriteNumberValue(_counts[i, j]);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteNumber("total", Total);
        w.WriteNumber("accuracy", Accuracy);
        w.WriteStartObject("recall");
        foreach (var l in Labels)
        {
            if (Recall(l) is { } r) w.WriteNumber(l, r);
            else w.WriteNull(l);
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>The JSON form (<see cref="WriteJson"/>) as an indented string.</summary>
    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true })) WriteJson(w);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>
    /// A plain-text table: a header row of predicted labels, one row per true label with its counts, row total and
    /// recall (a dash for an empty row), then the accuracy line.
    /// </summary>
    public string ToTable()
    {
        var inv = CultureInfo.InvariantCulture;
        var header = new List<string> { "true \\ predicted" };
        header.AddRange(Labels);
        header.Add("total");
        header.Add("recall");
        var rows = new List<List<string>> { header };
        for (int i = 0; i < Labels.Count; i++)
        {
            var row = new List<string> { Labels[i] };
            for (int j = 0; j < Labels.Count; j++) row.Add(_counts[i, j].ToString(inv));
            row.Add(RowTotal(Labels[i]).ToString(inv));
            row.Add(Recall(Labels[i]) is { } r ? (100 * r).ToString("F1", inv) + "%" : "-");
            rows.Add(row);
        }
        var widths = Enumerable.Range(0, header.Count).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var row in rows)
        {
            sb.Append(row[0].PadRight(widths[0]));
            for (int c = 1; c < row.Count; c++) sb.Append("  ").Append(row[c].PadLeft(widths[c]));
            sb.Append('\n');
        }
        sb.Append(inv, $"accuracy {(100 * Accuracy).ToString("F2", inv)}% ({Correct}/{Total})\n");
        return sb.ToString();
    }

    private int IndexOf(string label, string paramName)
    {
        ArgumentNullException.ThrowIfNull(label, paramName);
        return _index.TryGetValue(label, out int i) ? i
            : throw new ArgumentException($"label '{label}' is not one of the matrix's labels ({string.Join(", ", Labels)})", paramName);
    }
}
