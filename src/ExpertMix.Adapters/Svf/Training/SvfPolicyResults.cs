// What the SVF policy trainer reports: per-iteration and dev records, the run summary, rewards and an observer hook.
using System.Text.Json;
using System.Text.Json.Nodes;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Adapters.Training;

namespace ExpertMix.Adapters.Svf.Training;

/// <summary>The reward of a completion (spec §7.1 step 3: +1 correct, −1 otherwise).</summary>
internal interface ISvfReward
{
    /// <summary>r for <paramref name="completion"/> generated from <paramref name="example"/>'s prompt.</summary>
    float Reward(EvalExample example, string completion);
}

/// <summary>r = +1 when <paramref name="verifier"/> accepts <c>VerifyPrefix + completion</c> against the gold answer, else −1.</summary>
/// <param name="verifier">A task verifier (GSM8K number, ARC letter, yes/no/maybe, exact, regex, sandboxed code).</param>
internal sealed class VerifierReward(IVerifier verifier) : ISvfReward
{
    private readonly IVerifier _verifier = verifier ?? throw new ArgumentNullException(nameof(verifier));

    /// <inheritdoc/>
    public float Reward(EvalExample example, string completion)
    {
        ArgumentNullException.ThrowIfNull(example);
        return _verifier.Verify(example.VerifyPrefix + completion, example.Gold).Reward;
    }
}

/// <summary>One policy iteration.</summary>
/// <param name="Iteration">1-based iteration.</param>
/// <param name="TotalIterations">Planned iterations.</param>
/// <param name="Loss">The objective's value.</param>
/// <param name="MeanReward">Mean reward over all rollouts.</param>
/// <param name="Accuracy">Fraction of rollouts with a positive reward.</param>
/// <param name="GradNorm">Global norm of the p gradient before clipping (0 when nothing was trained).</param>
/// <param name="LearningRate">The rate of this update.</param>
/// <param name="MeanKl">See <see cref="SvfPolicyStep.MeanKl"/>.</param>
/// <param name="Tokens">Generated tokens of all rollouts.</param>
/// <param name="SkippedGroups">All-equal groups (no gradient).</param>
/// <param name="Updated">Whether Adam stepped (false when every group was skipped).</param>
/// <param name="Seconds">Wall time of the iteration.</param>
/// <param name="ElapsedSeconds">Training wall time so far (summed across resumes).</param>
internal sealed record SvfIterationMetrics(int Iteration, int TotalIterations, double Loss, double MeanReward, double Accuracy, double GradNorm,
    double LearningRate, double MeanKl, long Tokens, int SkippedGroups, bool Updated, double Seconds, double ElapsedSeconds);

/// <summary>One dev evaluation (greedy, one completion per example).</summary>
/// <param name="Iteration">After which iteration.</param>
/// <param name="Accuracy">Fraction of dev examples the verifier accepts.</param>
/// <param name="Loss">Dev loss = mean_j −r_j·(1/|y_j|) Σ_t log π_W'(y_t): lower when right answers are likely and wrong ones unlikely.</param>
/// <param name="Count">Dev examples.</param>
/// <param name="IsBest">Highest accuracy so far, ties broken by a lower dev loss.</param>
internal sealed record SvfDevResult(int Iteration, double Accuracy, double Loss, int Count, bool IsBest);

/// <summary>How a policy run ended.</summary>
/// <param name="Status">Completed, cancelled or diverged.</param>
/// <param name="Message">A human-readable line.</param>
/// <param name="Iterations">Iterations done (including those before a resume).</param>
/// <param name="TotalIterations">Planned iterations.</param>
/// <param name="LastLoss">Loss of the last iteration.</param>
/// <param name="BestDevAccuracy">Best dev accuracy (null without a dev set).</param>
/// <param name="BestDevLoss">Dev loss at the best evaluation.</param>
/// <param name="BestIteration">Iteration of the best evaluation.</param>
/// <param name="LastCheckpoint">Newest step checkpoint.</param>
/// <param name="BestCheckpoint">The best-dev checkpoint (null without a dev set).</param>
/// <param name="ExpertDirectory">The exported expert (null when cancelled or diverged).</param>
/// <param name="ElapsedSeconds">Training wall time.</param>
internal sealed record SvfPolicySummary(TrainingStatus Status, string Message, int Iterations, int TotalIterations, double LastLoss,
    double? BestDevAccuracy, double? BestDevLoss, int? BestIteration, string? LastCheckpoint, string? BestCheckpoint, string? ExpertDirectory, double ElapsedSeconds);

/// <summary>
/// An <see cref="ITrainingObserver"/> that also wants the policy-specific records. A plain observer gets
/// <see cref="ITrainingObserver.OnStep"/> (loss, lr, grad norm, generated tokens) and <see cref="ITrainingObserver.OnEval"/>
/// with the dev loss (perplexity = exp(loss), not meaningful here); this one gets the richer records as well.
/// </summary>
internal interface ISvfPolicyObserver : ITrainingObserver
{
    /// <summary>After each iteration (after <see cref="ITrainingObserver.OnStep"/>).</summary>
    void OnIteration(SvfIterationMetrics metrics);

    /// <summary>After each dev evaluation (instead of <see cref="ITrainingObserver.OnEval"/>).</summary>
    void OnDevEval(SvfDevResult result);
}

/// <summary>metrics.jsonl of a policy run: one object per iteration and per dev evaluation; a resume keeps the lines up to its iteration.</summary>
internal sealed class SvfPolicyMetricsWriter : IDisposable
{
    private readonly StreamWriter _writer;

    public SvfPolicyMetricsWriter(string path, int? resumeIteration)
    {
        var kept = new List<string>();
        if (resumeIteration is { } upTo && File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                if (IterationOf(line) is { } s && s <= upTo) kept.Add(line);
            }
        }
        _writer = new StreamWriter(path, append: false) { NewLine = "\n" };
        foreach (var line in kept) _writer.WriteLine(line);
        _writer.Flush();
    }

    public void Write(SvfIterationMetrics m) => WriteLine(new JsonObject
    {
        ["step"] = m.Iteration,
        ["loss"] = Num(m.Loss),
        ["reward"] = Num(m.MeanReward),
        ["accuracy"] = Num(m.Accuracy),
        ["grad_norm"] = Num(m.GradNorm),
        ["lr"] = Num(m.LearningRate),
        ["kl"] = Num(m.MeanKl),
        ["tokens"] = m.Tokens,
        ["skipped_groups"] = m.SkippedGroups,
        ["updated"] = m.Updated,
        ["seconds"] = Num(m.Seconds),
        ["elapsed_s"] = Num(m.ElapsedSeconds),
    });

    public void Write(SvfDevResult r) => WriteLine(new JsonObject
    {
        ["step"] = r.Iteration,
        ["dev_accuracy"] = Num(r.Accuracy),
        ["dev_loss"] = Num(r.Loss),
        ["dev_n"] = r.Count,
        ["best"] = r.IsBest,
    });

    public void Dispose() => _writer.Dispose();

    private void WriteLine(JsonObject o)
    {
        _writer.WriteLine(o.ToJsonString());
        _writer.Flush();
    }

    private static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;

    private static int? IterationOf(string line)
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
