// Transformer² §9.3: few-shot adaptation, CEM over the mask-space mixture α, scored on dev shots.
using System.Diagnostics;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Models.Generation;

namespace ExpertMix.Adapters.Adaptation;

/// <summary>The outcome of <see cref="Transformer2.AdaptFewShot"/>.</summary>
/// <param name="Alpha">The selected α (best on the validation shots when given, else best on the shots); now the runtime's <see cref="Transformer2.FewShotAlpha"/>.</param>
/// <param name="Labels">The mixed experts' categories, in α's order (α[k] or α[k·M + m]).</param>
/// <param name="Search">The CEM run.</param>
/// <param name="ModelCalls">Greedy answers generated: evaluations × shots (+ validation checks).</param>
/// <param name="Seconds">Wall time of the search.</param>
internal sealed record T2FewShotResult(double[] Alpha, IReadOnlyList<string> Labels, CemResult Search, long ModelCalls, double Seconds);

/// <summary>The fitness of one α on a set of shots.</summary>
/// <param name="Accuracy">Fraction of shots answered correctly (greedy).</param>
/// <param name="MeanLogLikelihood">Σ log p(own completion tokens) / #tokens over the correct shots (0 when none).</param>
internal readonly record struct ShotFitness(double Accuracy, double MeanLogLikelihood);

public sealed partial class Transformer2
{
    /// <summary>
    /// §9.3 few-shot adaptation: CEM (<see cref="Transformer2Options.Cem"/>, bounds within [0, 1]) over α with
    /// <see cref="FewShotDimensions"/> coordinates; fitness(α) = (accuracy, mean log-likelihood) of
    /// <see cref="ScoreShots"/> on <paramref name="shots"/>. The shots must come from a dev split disjoint from test.
    /// With <paramref name="validation"/> the best α is checked there every <see cref="CemOptions.TestInterval"/>
    /// iterations and the best-checked α is selected. The selected α becomes <see cref="FewShotAlpha"/> for every later
    /// prompt; the weights are back to the base on return.
    /// </summary>
    /// <exception cref="ArgumentException">No shots or no experts.</exception>
    internal T2FewShotResult AdaptFewShot(EvalTask task, IReadOnlyList<EvalExample> shots, IReadOnlyList<EvalExample>? validation = null, int? maxNewTokens = null,
        Action<CemIteration>? onIteration = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(shots);
        if (shots.Count == 0) throw new ArgumentException("Transformer² few-shot: no shots (the dev split is empty?)", nameof(shots));
        if (MixtureLabels.Count == 0) throw new ArgumentException("Transformer² few-shot: no experts to mix");
        var cem = Options.Cem;
        if (cem.Lower < 0 || cem.Upper > 1) throw new ArgumentException($"Transformer² few-shot: α bounds [{cem.Lower}, {cem.Upper}] must lie in [0, 1]");
        var clock = Stopwatch.StartNew();
        long calls = 0;
        Func<double[], double>? dev = validation is { Count: > 0 } v ? a =>
        {
            calls += v.Count;
            return ScoreShots(task, v, a, maxNewTokens).Accuracy;
        } : null;
        CemResult result;
        try
        {
            result = CrossEntropyMethod.Optimize(FewShotDimensions, MixtureLabels.Count, a =>
            {
                calls += shots.Count;
                var f = ScoreShots(task, shots, a, maxNewTokens);
                return new CemFitness(f.Accuracy, f.MeanLogLikelihood);
            }, cem, dev, onIteration);
        }
        finally
        {
            Host.Clear();
        }
        UseMixture(result.Selected);
        return new T2FewShotResult((double[])result.Selected.Clone(), MixtureLabels, result, calls, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Installs the mixture α, answers every shot greedily (the task's prompt layout, stop strings and token limit,
    /// prompts cut from the left to fit), verifies them and returns (accuracy, Σ_correct log p(completion) / Σ_correct
    /// |completion|), the log-probabilities being those of the model's own completion tokens under α. Leaves α installed.
    /// </summary>
    internal ShotFitness ScoreShots(EvalTask task, IReadOnlyList<EvalExample> shots, IReadOnlyList<double> alpha, int? maxNewTokens = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(shots);
        ArgumentNullException.ThrowIfNull(alpha);
        Host.ApplyMixture([.. MixtureLabels.Select(l => Experts[l])], alpha);
        int positions = Generator.Model.Info.MaxPositions;
        int limit = maxNewTokens ?? task.MaxNewTokens;
        int reserve = Math.Max(1, Math.Min(limit, positions / 4));
        int correct = 0, tokens = 0;
        double logLikelihood = 0;
        var scorer = new Scorer(Generator.Model, Generator.Tokenizer);
        foreach (var chunk in shots.Chunk(8))
        {
            var prompts = chunk.Select(s =>
            {
                var ids = Generator.EncodePrompt(s.Prompt, Options.SecondPassFormat);
                return ids.Count > positions - reserve ? [.. ids.Skip(ids.Count - (positions - reserve))] : ids;
            }).ToList();
            int maxNew = Math.Max(1, Math.Min(limit, positions - prompts.Max(p => p.Count)));
            var outs = Generator.Generate(prompts, new GenerationOptions { MaxNewTokens = maxNew, Temperature = 0f, StopStrings = task.StopStrings });
            for (int i = 0; i < chunk.Length; i++)
            {
                if (!task.Verifier.Verify(chunk[i].VerifyPrefix + outs[i].Text, chunk[i].Gold).Correct) continue;
                correct++;
                var completion = outs[i].TokenIds;
                if (completion.Count == 0) continue;
                var scored = scorer.ScoreIds([.. prompts[i], .. completion]);          // n − 1 scores; the last |completion| are the completion's
                for (int t = scored.Length - completion.Count; t < scored.Length; t++) logLikelihood += scored[t].LogProb;
                tokens += completion.Count;
            }
        }
        return new ShotFitness(correct / (double)shots.Count, tokens > 0 ? logLikelihood / tokens : 0);
    }
}
