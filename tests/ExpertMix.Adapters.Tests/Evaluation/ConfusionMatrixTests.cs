// Confusion matrix: counts by (true, predicted), accuracy, per-row recall, JSON and table forms, label errors.
using System.Text.Json;
using ExpertMix.Adapters.Evaluation;

namespace ExpertMix.Adapters.Tests.Evaluation;

public sealed class ConfusionMatrixTests
{
    private static readonly string[] Dispatch = ["code", "math", "reasoning", "other"];

    private static ConfusionMatrix Sample() => ConfusionMatrix.FromPairs(
        [("code", "code"), ("code", "code"), ("code", "math"), ("math", "math"), ("math", "other"), ("reasoning", "reasoning"), ("reasoning", "math")],
        Dispatch);

    [Fact]
    public void Counts_accuracy_and_recall()
    {
        var m = Sample();
        Assert.Equal(2, m.Count("code", "code"));
        Assert.Equal(1, m.Count("code", "math"));
        Assert.Equal(0, m.Count("math", "code"));
        Assert.Equal(7, m.Total);
        Assert.Equal(4, m.Correct);
        Assert.Equal(4.0 / 7, m.Accuracy, 15);
        Assert.Equal(2.0 / 3, m.Recall("code")!.Value, 15);
        Assert.Equal(0.5, m.Recall("math")!.Value, 15);
        Assert.Null(m.Recall("other"));
        Assert.Equal(3, m.RowTotal("code"));
    }

    [Fact]
    public void Json_has_rows_true_and_columns_predicted()
    {
        var root = JsonDocument.Parse(Sample().ToJson()).RootElement;
        Assert.Equal(Dispatch, root.GetProperty("labels").EnumerateArray().Select(e => e.GetString()!));
        var matrix = root.GetProperty("matrix").EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetInt64()).ToArray()).ToArray();
        Assert.Equal([2L, 1, 0, 0], matrix[0]);
        Assert.Equal([0L, 1, 0, 1], matrix[1]);
        Assert.Equal([0L, 1, 1, 0], matrix[2]);
        Assert.Equal([0L, 0, 0, 0], matrix[3]);
        Assert.Equal(7, root.GetProperty("total").GetInt64());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("recall").GetProperty("other").ValueKind);
        Assert.Equal(0.5, root.GetProperty("recall").GetProperty("reasoning").GetDouble(), 15);
    }

    [Fact]
    public void Table_lists_each_true_label_with_counts_and_recall()
    {
        var lines = Sample().ToTable().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        Assert.StartsWith("true \\ predicted", lines[0], StringComparison.Ordinal);
        Assert.Equal(["code", "2", "1", "0", "0", "3", "66.7%"], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.EndsWith("-", lines[4], StringComparison.Ordinal);
        Assert.Contains("(4/7)", lines[5], StringComparison.Ordinal);
        Assert.All(lines[..5], l => Assert.Equal(lines[0].Length, l.Length));
    }

    [Fact]
    public void Labels_default_to_the_sorted_distinct_ones_and_unknown_labels_are_named()
    {
        var m = ConfusionMatrix.FromPairs([("b", "a"), ("a", "c")]);
        Assert.Equal(["a", "b", "c"], m.Labels);
        var e = Assert.Throws<ArgumentException>(() => Sample().Add("code", "poetry"));
        Assert.Contains("poetry", e.Message, StringComparison.Ordinal);
        Assert.Contains("code, math, reasoning, other", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ConfusionMatrix(["a", "a"]));
        Assert.Throws<ArgumentException>(() => new ConfusionMatrix([]));
    }
}
