// Task definitions: dev/test disjointness, seeded limits, official split sizes, the generic mc-jsonl reader.
using System.Text.Json;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Evaluation;

public sealed class EvalTaskTests
{
    [SkippableFact]
    public void Gsm8k_directory_uses_the_official_test_and_odd_train_rows_for_dev()
    {
        string dir = SharedData.Require("data/gsm8k");
        var task = EvalTasks.Get("gsm8k");
        var test = task.Load(dir, EvalSplit.Test);
        var dev = task.Load(dir, EvalSplit.Dev);
        Assert.Equal(1319, test.Count);
        Assert.Equal(7473 / 2, dev.Count);
        Assert.All(dev, e => Assert.True(int.Parse(e.Id.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture) % 2 == 1, e.Id));
        Assert.StartsWith(EvalTasks.Gsm8kSystem, test[0].Prompt, StringComparison.Ordinal);
        Assert.EndsWith("Answer:\n", test[0].Prompt, StringComparison.Ordinal);
        Assert.Equal(test[0].Prompt, $"{EvalTasks.Gsm8kSystem}\n\nQuestion: {test[0].Question}\nAnswer:\n");   // the raw question, for §9.1
        Assert.Empty(test.Select(e => e.Prompt).Intersect(dev.Select(e => e.Prompt)));
    }

    [SkippableFact]
    public void Arc_hold_out_is_disjoint_and_covers_the_file()
    {
        string dir = SharedData.Require("data/arc");
        var task = EvalTasks.Get("arc");
        var test = task.Load(dir, EvalSplit.Test);
        var dev = task.Load(dir, EvalSplit.Dev);
        Assert.Equal(2376, test.Count + dev.Count);
        Assert.InRange(dev.Count, 150, 330); // about 10%
        Assert.Empty(test.Select(e => e.Id).Intersect(dev.Select(e => e.Id)));
        Assert.All(dev, e => Assert.True(EvalTasks.IsHoldOutDev(e.Id)));
    }

    [Fact]
    public void Limit_picks_a_seeded_subset_in_file_order()
    {
        string file = WriteMc(40);
        var task = EvalTasks.Get("mc-jsonl");
        var all = task.Load(file, EvalSplit.Test);
        var a = task.Examples(file, EvalSplit.Test, limit: 5, seed: 1);
        var b = task.Examples(file, EvalSplit.Test, limit: 5, seed: 1);
        var c = task.Examples(file, EvalSplit.Test, limit: 5, seed: 2);
        Assert.Equal(5, a.Count);
        Assert.Equal(a.Select(e => e.Id), b.Select(e => e.Id));
        Assert.NotEqual(a.Select(e => e.Id), c.Select(e => e.Id));
        var positions = a.Select(e => all.ToList().FindIndex(x => x.Id == e.Id)).ToList();
        Assert.Equal(positions.Order(), positions);
        Assert.Equal(all.Count, task.Examples(file, EvalSplit.Test, limit: 1000, seed: 1).Count);
    }

    [Fact]
    public void Mc_jsonl_accepts_text_choices_with_an_index_and_labelled_choices_with_a_letter()
    {
        string file = Path.Combine(Path.GetTempPath(), $"expertmix-mc-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(file,
        [
            JsonSerializer.Serialize(new { id = "q1", question = "2+2?", choices = new[] { "3", "4" }, answer = 1 }),
            JsonSerializer.Serialize(new { id = "q2", question = "Sky?", choices = new[] { new { label = "A", text = "blue" }, new { label = "B", text = "green" } }, answer = "A" }),
        ]);
        var rows = EvalTasks.Get("mc-jsonl").Load(file, EvalSplit.Test).Concat(EvalTasks.Get("mc-jsonl").Load(file, EvalSplit.Dev)).ToDictionary(e => e.Id);
        Assert.Equal("B", rows["q1"].Gold);
        Assert.Contains("A. 3\nB. 4\nAnswer:\n", rows["q1"].Prompt, StringComparison.Ordinal);
        Assert.Equal("A", rows["q2"].Gold);
        File.WriteAllText(file, JsonSerializer.Serialize(new { question = "x", choices = new[] { "a" }, answer = "C" }) + "\n");
        var e = Assert.Throws<InvalidDataException>(() => EvalTasks.Get("mc-jsonl").Load(file, EvalSplit.Test));
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_task_and_missing_file_are_clear_errors()
    {
        Assert.Contains("gsm8k", Assert.Throws<ArgumentException>(() => EvalTasks.Get("nope")).Message, StringComparison.Ordinal);
        var e = Assert.Throws<FileNotFoundException>(() => EvalTasks.Get("gsm8k").Load("/nonexistent/file.jsonl", EvalSplit.Test));
        Assert.Contains("/nonexistent/file.jsonl", e.Message, StringComparison.Ordinal);
    }

    internal static string WriteMc(int rows)
    {
        string file = Path.Combine(Path.GetTempPath(), $"expertmix-mc-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(file, Enumerable.Range(0, rows).Select(i =>
            JsonSerializer.Serialize(new { id = $"r{i}", question = $"Once upon a time {i}?", choices = new[] { "yes", "no", "maybe" }, answer = i % 3 })));
        return file;
    }
}
