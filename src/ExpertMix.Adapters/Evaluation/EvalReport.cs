// Results of an evaluation: per-example records, per-seed summaries, the overall report, and their JSON forms.
using System.Text.Json;

namespace ExpertMix.Adapters.Evaluation;

/// <summary>One evaluated example.</summary>
/// <param name="Seed">The seed of the run it belongs to.</param>
/// <param name="Id">Example id.</param>
/// <param name="Prompt">The prompt text (before any chat template).</param>
/// <param name="Completion">The generated text.</param>
/// <param name="Extracted">The answer the verifier extracted, or null.</param>
/// <param name="Gold">The gold answer.</param>
/// <param name="Correct">The verdict.</param>
/// <param name="Detail">Verifier detail (code outcome), or null.</param>
/// <param name="FirstPassKey">The first pass's decision key, or null without a first pass.</param>
/// <param name="FirstPassSeconds">Time of this example's first pass.</param>
/// <param name="SecondPassSeconds">This example's share of its batch's generation time (batch time / batch rows).</param>
/// <param name="VerifySeconds">Time spent verifying (running code for code tasks).</param>
/// <param name="PromptTokens">Prompt tokens (after any left truncation).</param>
/// <param name="NewTokens">Generated tokens.</param>
/// <param name="Finish">Why generation stopped (eos, stop, length).</param>
internal sealed record EvalRecord(int Seed, string Id, string Prompt, string Completion, string? Extracted, string Gold, bool Correct, string? Detail,
    string? FirstPassKey, double FirstPassSeconds, double SecondPassSeconds, double VerifySeconds, int PromptTokens, int NewTokens, string Finish)
{
    /// <summary>Writes the record as one JSON object (snake_case keys).</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteNumber("seed", Seed);
        w.WriteString("id", Id);
        w.WriteString("prompt", Prompt);
        w.WriteString("completion", Completion);
        w.WriteString("extracted", Extracted);
        w.WriteString("gold", Gold);
        w.WriteBoolean("correct", Correct);
        w.WriteString("detail", Detail);
        w.WriteString("first_pass_key", FirstPassKey);
        w.WriteNumber("first_pass_s", FirstPassSeconds);
        w.WriteNumber("second_pass_s", SecondPassSeconds);
        w.WriteNumber("verify_s", VerifySeconds);
        w.WriteNumber("prompt_tokens", PromptTokens);
        w.WriteNumber("new_tokens", NewTokens);
        w.WriteString("finish", Finish);
        w.WriteEndObject();
    }
}

/// <summary>The result of one seed.</summary>
/// <param name="Seed">The seed (subset choice under a limit, bootstrap resampling).</param>
/// <param name="N">Examples evaluated.</param>
/// <param name="Interval">Accuracy and its bootstrap 95% interval.</param>
/// <param name="FirstPassSeconds">Total first-pass time.</param>
/// <param name="SecondPassSeconds">Total second-pass (generation) time.</param>
/// <param name="VerifySeconds">Total verification time.</param>
internal sealed record EvalSeedResult(int Seed, int N, AccuracyInterval Interval, double FirstPassSeconds, double SecondPassSeconds, double VerifySeconds);

/// <summary>
/// An evaluation over one or more seeds. <see cref="Accuracy"/> is the mean of the per-seed accuracies and
/// <see cref="AccuracySd"/> their sample standard deviation; <see cref="Interval"/> is the bootstrap interval of the
/// first seed when there is one seed, else of all seeds' records pooled (<see cref="Wilson"/> likewise); times are totals over seeds.
/// </summary>
internal sealed record EvalReport
{
    /// <summary>Task name.</summary>
    public required string Task { get; init; }

    /// <summary>The evaluated split.</summary>
    public required EvalSplit Split { get; init; }

    /// <summary>How the split was made.</summary>
    public required string SplitRule { get; init; }

    /// <summary>Examples per seed (of the first seed).</summary>
    public required int N { get; init; }

    /// <summary>Mean accuracy over seeds.</summary>
    public required double Accuracy { get; init; }

    /// <summary>Sample standard deviation of the per-seed accuracies (0 for one seed).</summary>
    public required double AccuracySd { get; init; }

    /// <summary>Bootstrap 95% interval (see the type's remarks).</summary>
    public required AccuracyInterval Interval { get; init; }

    /// <summary>
    /// Wilson 95% score interval (<see cref="Evaluation.Wilson"/>) of the first seed when there is one seed, else of all
    /// seeds' items pooled (k = Σ round(accuracy·n) over seeds).
    /// </summary>
    public AccuracyInterval Wilson => Seeds.Count == 1 ? SeedWilson(Seeds[0])
        : Evaluation.Wilson.Interval(Seeds.Sum(CorrectCount), Seeds.Sum(s => s.N));

    /// <summary>Total first-pass seconds.</summary>
    public required double FirstPassSeconds { get; init; }

    /// <summary>Total second-pass seconds.</summary>
    public required double SecondPassSeconds { get; init; }

    /// <summary>Per-seed results.</summary>
    public required IReadOnlyList<EvalSeedResult> Seeds { get; init; }

    /// <summary>Every record, all seeds.</summary>
    public required IReadOnlyList<EvalRecord> Records { get; init; }

    /// <summary>The code sandbox in effect (code tasks), or null.</summary>
    public SandboxLevel? Sandbox { get; init; }

    /// <summary>Writes the summary (no records) as one JSON object.</summary>
    public void WriteSummaryJson(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject();
        w.WriteString("task", Task);
        w.WriteString("split", Split.ToString().ToLowerInvariant());
        w.WriteString("split_rule", SplitRule);
        w.WriteNumber("n", N);
        w.WriteNumber("accuracy", Accuracy);
        w.WriteNumber("accuracy_sd", AccuracySd);
        w.WriteNumber("ci_low", Interval.Low);
        w.WriteNumber("ci_high", Interval.High);
        w.WriteNumber("wilson_low", Wilson.Low);
        w.WriteNumber("wilson_high", Wilson.High);
        w.WriteNumber("first_pass_s", FirstPassSeconds);
        w.WriteNumber("second_pass_s", SecondPassSeconds);
        if (Sandbox is { } s) w.WriteString("sandbox", s.ToString());
        w.WriteStartArray("seeds");
        foreach (var r in Seeds)
        {
            w.WriteStartObject();
            w.WriteNumber("seed", r.Seed);
            w.WriteNumber("n", r.N);
            w.WriteNumber("accuracy", r.Interval.Accuracy);
            w.WriteNumber("ci_low", r.Interval.Low);
            w.WriteNumber("ci_high", r.Interval.High);
            var wilson = SeedWilson(r);
            w.WriteNumber("wilson_low", wilson.Low);
            w.WriteNumber("wilson_high", wilson.High);
            w.WriteNumber("first_pass_s", r.FirstPassSeconds);
            w.WriteNumber("second_pass_s", r.SecondPassSeconds);
            w.WriteNumber("verify_s", r.VerifySeconds);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>The Wilson 95% interval of one seed's accuracy.</summary>
    public static AccuracyInterval SeedWilson(EvalSeedResult seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        return Evaluation.Wilson.Interval(CorrectCount(seed), seed.N);
    }

    private static int CorrectCount(EvalSeedResult s) => (int)Math.Round(s.Interval.Accuracy * s.N);

    /// <summary>Writes every record as JSON lines to <paramref name="path"/> (directories created).</summary>
    public void WriteRecords(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var stream = File.Create(path);
        foreach (var r in Records)
        {
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                r.WriteJson(w);
            }
            stream.WriteByte((byte)'\n');
        }
    }
}
