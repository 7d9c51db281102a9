// Metrics JSONL: one object per step and per evaluation, flushed line by line; resume trims the abandoned tail.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExpertMix.Adapters.Training;

/// <summary>
/// Appends to the metrics file one JSON object per line: per step
/// <c>{"step","epoch","loss","lr","grad_norm","tokens","tokens_per_s","elapsed_s"}</c>, per evaluation
/// <c>{"step","val_loss","val_ppl"}</c>. Each line is flushed as written. Non-finite numbers are written as null.
/// </summary>
internal sealed class TrainerMetricsWriter : IDisposable
{
    private readonly StreamWriter _writer;

    /// <summary>
    /// Opens <paramref name="path"/>. A fresh run (<paramref name="resumeStep"/> null) truncates it; a resumed run
    /// keeps the lines whose <c>step</c> ≤ <paramref name="resumeStep"/> and appends after them.
    /// </summary>
    public TrainerMetricsWriter(string path, int? resumeStep)
    {
        ArgumentNullException.ThrowIfNull(path);
        Path = path;
        var kept = new List<string>();
        if (resumeStep is { } keepUpTo && File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                if (StepOf(line) is { } s && s <= keepUpTo) kept.Add(line);
            }
        }
        _writer = new StreamWriter(path, append: false) { NewLine = "\n" };
        foreach (var line in kept) _writer.WriteLine(line);
        _writer.Flush();
    }

    /// <summary>The metrics file.</summary>
    public string Path { get; }

    /// <summary>Appends a step line.</summary>
    public void WriteStep(StepMetrics m)
    {
        ArgumentNullException.ThrowIfNull(m);
        WriteLine(new JsonObject
        {
            ["step"] = m.Step,
            ["epoch"] = Num(m.Epoch),
            ["loss"] = Num(m.Loss),
            ["lr"] = Num(m.LearningRate),
            ["grad_norm"] = Num(m.GradNorm),
            ["tokens"] = m.Tokens,
            ["tokens_per_s"] = Num(m.TokensPerSecond),
            ["elapsed_s"] = Num(m.ElapsedSeconds),
        });
    }

    /// <summary>Appends an evaluation line.</summary>
    public void WriteEval(EvalResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        WriteLine(new JsonObject { ["step"] = r.Step, ["val_loss"] = Num(r.Loss), ["val_ppl"] = Num(r.Perplexity) });
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _writer.Dispose();

    private void WriteLine(JsonObject o)
    {
        _writer.WriteLine(o.ToJsonString());
        _writer.Flush();
    }

    private static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;

    private static int? StepOf(string line)
    {
        try
        {
            return JsonNode.Parse(line) is JsonObject o && o["step"] is JsonValue v && v.TryGetValue<int>(out int s) ? s : null;
        }
        catch (JsonException)
        {
            return null; // a torn last line of a crashed run
        }
    }
}
