// Token-weighted NLL/perplexity over many sequences, with masks for prompt tokens.
namespace ExpertMix.Models.Generation;

/// <summary>
/// Accumulates −log p over many scored sequences (double precision) and reports the token-weighted mean:
/// Nll = −Σ log p / N over the counted tokens of all sequences, Perplexity = exp(Nll) (corpus perplexity, as
/// lm-eval's token-level perplexity and HF's perplexity guide compute it).
/// </summary>
internal sealed class PerplexityAccumulator
{
    private double _nll;

    /// <summary>Counted tokens so far.</summary>
    public long Tokens { get; private set; }

    /// <summary>Sequences added so far.</summary>
    public long Sequences { get; private set; }

    /// <summary>Counts every token of <paramref name="tokens"/>.</summary>
    public void Add(ReadOnlySpan<ScoredToken> tokens)
    {
        foreach (var t in tokens) _nll -= t.LogProb;
        Tokens += tokens.Length;
        Sequences++;
    }

    /// <summary>Counts tokens[i] where <paramref name="mask"/>[i] is true (false = masked out, e.g. prompt or padding).</summary>
    /// <exception cref="ArgumentException">mask and tokens differ in length.</exception>
    public void Add(ReadOnlySpan<ScoredToken> tokens, ReadOnlySpan<bool> mask)
    {
        if (mask.Length != tokens.Length) throw new ArgumentException($"PerplexityAccumulator: mask has {mask.Length} entries for {tokens.Length} tokens", nameof(mask));
        for (int i = 0; i < tokens.Length; i++)
        {
            if (!mask[i]) continue;
            _nll -= tokens[i].LogProb;
            Tokens++;
        }
        Sequences++;
    }

    /// <summary>
    /// Adds the output of <see cref="LogProbs.OfSequence(ExpertMix.Tensors.Tensor, ReadOnlySpan{int})"/> for ids =
    /// prompt ids ++ completion ids, counting only the completion: the first max(promptTokens − 1, 0) scores (which
    /// predict prompt ids 1..promptTokens−1) are skipped. promptTokens = 0 counts everything (a plain text row).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">promptTokens is negative or exceeds the sequence length (scores + 1).</exception>
    public void AddSequence(ReadOnlySpan<ScoredToken> sequenceScores, int promptTokens = 0)
    {
        if (promptTokens < 0 || promptTokens > sequenceScores.Length + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(promptTokens), promptTokens, $"PerplexityAccumulator: prompt of {promptTokens} tokens for a sequence of {sequenceScores.Length + 1} tokens");
        }
        Add(sequenceScores[Math.Max(promptTokens - 1, 0)..]);
    }

    /// <summary>The summary so far.</summary>
    /// <exception cref="InvalidOperationException">No token has been counted.</exception>
    public PerplexityResult Result()
    {
        if (Tokens == 0) throw new InvalidOperationException($"PerplexityAccumulator: no tokens were counted over {Sequences} sequences (every token masked, or no data)");
        double mean = _nll / Tokens;
        return new PerplexityResult(Tokens, mean, Math.Exp(mean));
    }
}
