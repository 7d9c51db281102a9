// Greedy generation over a task's examples, verification, bootstrap accuracy, first/second-pass timings.
using System.Diagnostics;
using ExpertMix.Models;
using ExpertMix.Models.Chat;
using ExpertMix.Models.Generation;
using ExpertMix.Models.Tokenization;

namespace ExpertMix.Adapters.Evaluation;

/// <summary>Options of <see cref="EvalHarness.Run"/>.</summary>
internal sealed record EvalOptions
{
    /// <summary>The split to evaluate.</summary>
    public EvalSplit Split { get; init; } = EvalSplit.Test;

    /// <summary>At most this many examples per seed (a seeded subset), or null for all.</summary>
    public int? Limit { get; init; }

    /// <summary>Seeds: each picks its subset (under a limit) and its bootstrap resamples. Decoding is greedy.</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [0];

    /// <summary>Prompts generated together in one batch (left-padded).</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Raw text or the model's chat template (one user message).</summary>
    public PromptFormat Format { get; init; } = PromptFormat.Raw;

    /// <summary>Overrides the task's max new tokens when set.</summary>
    public int? MaxNewTokens { get; init; }

    /// <summary>Bootstrap resamples.</summary>
    public int Resamples { get; init; } = Bootstrap.DefaultResamples;

    /// <summary>Optional first pass (Transformer² strategy); null: single pass, first-pass time 0.</summary>
    public IFirstPass? FirstPass { get; init; }
}

/// <summary>
/// Evaluates a causal LM on an <see cref="EvalTask"/>: for each seed, the split's (limited) examples are
/// (1) passed through the optional first pass (timed per prompt), (2) grouped by decision key and generated greedily
/// in batches under that decision's weights (timed as second pass), (3) verified. Prompts longer than the model's
/// positions are cut from the left to leave room for at least min(max new tokens, positions / 4) new tokens; a
/// batch's max new tokens is lowered so that its longest prompt fits.
/// </summary>
internal sealed class EvalHarness
{
    /// <summary>Creates a harness over a generator (model, tokenizer, optional chat template).</summary>
    public EvalHarness(Generator generator) => Generator = generator ?? throw new ArgumentNullException(nameof(generator));

    /// <summary>Creates a harness from its parts.</summary>
    public EvalHarness(ICausalLm model, Tokenizer tokenizer, ChatTemplate? chatTemplate = null)
        : this(new Generator(model, tokenizer, chatTemplate))
    {
    }

    /// <summary>The generator.</summary>
    public Generator Generator { get; }

    /// <summary>
    /// Runs <paramref name="task"/> on <paramref name="data"/>. <paramref name="progress"/>(done, total) is called
    /// after each verified example (total counts all seeds).
    /// </summary>
    /// <exception cref="ArgumentException">No seeds, a non-positive batch size, or an empty split.</exception>
    public EvalReport Run(EvalTask task, string data, EvalOptions options, Action<int, int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Seeds.Count == 0) throw new ArgumentException("at least one seed is needed", nameof(options));
        if (options.BatchSize < 1) throw new ArgumentException($"batch size must be ≥ 1 (got {options.BatchSize})", nameof(options));
        var perSeed = options.Seeds.Select(s => (Seed: s, Examples: task.Examples(data, options.Split, options.Limit, s))).ToList();
        if (perSeed[0].Examples.Count == 0) throw new ArgumentException($"{task.Name}: the {options.Split} split of {data} is empty", nameof(data));
        int total = perSeed.Sum(p => p.Examples.Count), done = 0;
        var records = new List<EvalRecord>();
        var seeds = new List<EvalSeedResult>();
        foreach (var (seed, examples) in perSeed)
        {
            var mine = RunSeed(task, examples, seed, options, () => progress?.Invoke(++done, total), cancellationToken);
            records.AddRange(mine);
            var correct = mine.Select(r => r.Correct).ToList();
            seeds.Add(new EvalSeedResult(seed, mine.Count, Bootstrap.Accuracy(correct, seed, options.Resamples),
                mine.Sum(r => r.FirstPassSeconds), mine.Sum(r => r.SecondPassSeconds), mine.Sum(r => r.VerifySeconds)));
        }
        var (mean, sd) = Bootstrap.MeanSd([.. seeds.Select(s => s.Interval.Accuracy)]);
        var interval = seeds.Count == 1 ? seeds[0].Interval : Bootstrap.Accuracy([.. records.Select(r => r.Correct)], options.Seeds[0], options.Resamples);
        return new EvalReport
        {
            Task = task.Name,
            Split = options.Split,
            SplitRule = task.SplitRule,
            N = seeds[0].N,
            Accuracy = mean,
            AccuracySd = sd,
            Interval = interval with { Accuracy = mean },
            FirstPassSeconds = seeds.Sum(s => s.FirstPassSeconds),
            SecondPassSeconds = seeds.Sum(s => s.SecondPassSeconds),
            Seeds = seeds,
            Records = records,
            Sandbox = task.Verifier is CodeVerifier ? CodeRunner.Sandbox : null,
        };
    }

    private List<EvalRecord> RunSeed(EvalTask task, IReadOnlyList<EvalExample> examples, int seed, EvalOptions options, Action onVerified, CancellationToken ct)
    {
        // First pass, per prompt.
        var decisions = new FirstPassDecision?[examples.Count];
        var firstSeconds = new double[examples.Count];
        if (options.FirstPass is { } fp)
        {
            for (int i = 0; i < examples.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                var clock = Stopwatch.StartNew();
                decisions[i] = fp.Decide(examples[i].Question ?? examples[i].Prompt);
                firstSeconds[i] = clock.Elapsed.TotalSeconds;
            }
        }

        // Second pass, batched within each decision group (file order inside a group).
        var results = new EvalRecord?[examples.Count];
        var groups = Enumerable.Range(0, examples.Count).GroupBy(i => decisions[i]?.Key ?? "");
        foreach (var group in groups)
        {
            using var applied = options.FirstPass is { } f && decisions[group.First()] is { } d ? f.Apply(d) : null;
            foreach (var chunk in group.Chunk(options.BatchSize))
            {
                ct.ThrowIfCancellationRequested();
                var (prompts, maxNew) = Encode(chunk.Select(i => examples[i].Prompt).ToList(), options.MaxNewTokens ?? task.MaxNewTokens, options.Format);
                var gen = new GenerationOptions { MaxNewTokens = maxNew, Temperature = 0f, StopStrings = task.StopStrings, Seed = (ulong)seed };
                var clock = Stopwatch.StartNew();
                var outs = Generator.Generate(prompts, gen, cancellationToken: ct);
                double share = clock.Elapsed.TotalSeconds / chunk.Length;
                for (int j = 0; j < chunk.Length; j++)
                {
                    int i = chunk[j];
                    var ex = examples[i];
                    var vclock = Stopwatch.StartNew();
                    var verdict = task.Verifier.Verify(ex.VerifyPrefix + outs[j].Text, ex.Gold);
                    results[i] = new EvalRecord(seed, ex.Id, ex.Prompt, outs[j].Text, verdict.Extracted, ex.Gold, verdict.Correct, verdict.Detail,
                        decisions[i]?.Key, firstSeconds[i], share, vclock.Elapsed.TotalSeconds, prompts[j].Count, outs[j].TokenIds.Count,
                        outs[j].Finish.ToString().ToLowerInvariant());
                    onVerified();
                }
            }
        }
        return [.. results.Select(r => r!)];
    }

    /// <summary>Encodes prompts, cutting each from the left so that at least min(maxNew, positions/4) new tokens fit.</summary>
    private (List<IReadOnlyList<int>> Prompts, int MaxNew) Encode(List<string> texts, int maxNew, PromptFormat format)
    {
        int positions = Generator.Model.Info.MaxPositions;
        int reserve = Math.Max(1, Math.Min(maxNew, positions / 4));
        var prompts = new List<IReadOnlyList<int>>(texts.Count);
        foreach (var text in texts)
        {
            var ids = Generator.EncodePrompt(text, format);
            if (ids.Count > positions - reserve) ids = [.. ids.Skip(ids.Count - (positions - reserve))];
            prompts.Add(ids);
        }
        int longest = prompts.Max(p => p.Count);
        return (prompts, Math.Max(1, Math.Min(maxNew, positions - longest)));
    }
}
