// Scores text with a causal LM: per-token log-probabilities, perplexity of text / prompt-completion rows, multiple choice.
using ExpertMix.Models.Tokenization;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models.Generation;

/// <summary>
/// Teacher-forced scoring. Sequences longer than the model's positions are scored in consecutive windows of
/// <c>MaxPositions</c> tokens, each window conditioned on the previous window's last token (HF's perplexity recipe
/// with stride = window), so every token but the first is scored exactly once.
/// </summary>
public sealed class Scorer(ICausalLm model, Tokenizer tokenizer)
{
    /// <summary>The model.</summary>
    public ICausalLm Model { get; } = model ?? throw new ArgumentNullException(nameof(model));

    /// <summary>The tokenizer.</summary>
    public Tokenizer Tokenizer { get; } = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));

    /// <summary>log p(ids[j+1] | ids[..j+1]) for j = 0 … n−2 (n − 1 scores; the first token has no prediction).</summary>
    /// <exception cref="ArgumentException">Fewer than two ids.</exception>
    public ScoredToken[] ScoreIds(IReadOnlyList<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count < 2) throw new ArgumentException($"scoring needs at least 2 tokens (got {ids.Count})", nameof(ids));
        int window = Math.Max(2, Model.Info.MaxPositions);
        var scores = new List<ScoredToken>(ids.Count - 1);
        using var noGrad = Autograd.NoGrad();
        for (int start = 0; start < ids.Count - 1; start += window - 1)
        {
            int end = Math.Min(ids.Count, start + window);
            int[] chunk = [.. ids.Skip(start).Take(end - start)];
            using var scope = TensorScope.Begin();
            using var input = Tensor.FromInts(chunk, new Shape(1, chunk.Length));
            using var logits = Model.Forward(input, new ForwardContext()); // [1, T, V]
            scores.AddRange(LogProbs.OfSequence(logits, chunk));
        }
        return [.. scores];
    }

    /// <summary>
    /// Perplexity over <paramref name="rows"/>: a text row scores every token of encode(text) (with the tokenizer's
    /// special tokens, e.g. BOS); a prompt/completion row scores only the completion's tokens (lm-eval's split of
    /// encode(prompt + completion)).
    /// </summary>
    /// <exception cref="ArgumentException">A row encodes to fewer than two tokens (the message names its line).</exception>
    public PerplexityResult Perplexity(IEnumerable<ScoringRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var total = new PerplexityAccumulator();
        foreach (var row in rows)
        {
            try
            {
                if (row.Prompt is null)
                {
                    total.AddSequence(ScoreIds(Tokenizer.Encode(row.Completion, SpecialTokens.Add)));
                    continue;
                }
                var (context, continuation) = ContinuationEncoding.EncodePair(row.Prompt, row.Completion, t => Tokenizer.Encode(t, SpecialTokens.Add), Tokenizer.BosId);
                total.AddSequence(ScoreIds([.. context, .. continuation]), context.Length);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"row at line {row.Line}: {e.Message}", nameof(rows), e);
            }
        }
        return total.Result();
    }

    /// <summary>Log-likelihood of each choice as the continuation of <paramref name="context"/> (lm-eval's loglikelihood request).</summary>
    public IReadOnlyList<ChoiceScore> ScoreChoices(string context, IReadOnlyList<string> choices)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(choices);
        var result = new ChoiceScore[choices.Count];
        for (int i = 0; i < choices.Count; i++)
        {
            var (ctx, cont) = ContinuationEncoding.EncodePair(context, choices[i], t => Tokenizer.Encode(t, SpecialTokens.Add), Tokenizer.BosId);
            var seq = ContinuationEncoding.Join(ctx, cont, Model.Info.MaxPositions);
            var scores = ScoreIds(seq.Ids);
            result[i] = ChoiceScore.From(i, choices[i], seq.ContinuationScores(scores));
        }
        return result;
    }
}
