// Per-token log-probabilities from logits rows via the engine's numerically stable log-softmax kernel.
using ExpertMix.Tensors;
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Models.Generation;

/// <summary>
/// Scores tokens under logits: log p(y | row) = x_y − (max x + log Σⱼ exp(xⱼ − max x)) (the engine's
/// <see cref="SoftmaxKernels.LogSoftmax"/>, f32). Two alignments: <c>OfTargets</c> scores row r against targets[r];
/// <c>OfSequence</c> applies the causal shift (row t predicts token t + 1), so logits [T, V] of a sequence of T ids
/// score ids[1..T). A row containing NaN or +∞, or all −∞, gives NaN, as in PyTorch.
/// Rows are processed one at a time with one V-sized scratch buffer (no [T, V] log-softmax tensor).
/// </summary>
public static class LogProbs
{
    /// <summary>Scores row r of <paramref name="logits"/> (row-major [T, <paramref name="vocabSize"/>]) against <paramref name="targets"/>[r].</summary>
    /// <exception cref="ArgumentException">logits' length is not T · vocabSize for T = targets.Length, or vocabSize ≤ 0.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, vocabSize) (the message gives its position).</exception>
    public static ScoredToken[] OfTargets(ReadOnlySpan<float> logits, int vocabSize, ReadOnlySpan<int> targets)
    {
        if (vocabSize <= 0) throw new ArgumentException($"LogProbs: vocabulary size {vocabSize} must be > 0", nameof(vocabSize));
        if (logits.Length != (long)targets.Length * vocabSize)
        {
            throw new ArgumentException($"LogProbs: {logits.Length} logits do not form [{targets.Length}, {vocabSize}] for {targets.Length} targets", nameof(logits));
        }
        var result = new ScoredToken[targets.Length];
        var scratch = new float[vocabSize];
        for (int r = 0; r < targets.Length; r++)
        {
            int y = targets[r];
            if ((uint)y >= (uint)vocabSize) throw new ArgumentOutOfRangeException(nameof(targets), y, $"LogProbs: target {r} = {y} is outside the vocabulary [0, {vocabSize})");
            var row = logits.Slice(r * vocabSize, vocabSize);
            SoftmaxKernels.LogSoftmax(row, scratch);
            result[r] = new ScoredToken(y, scratch[y], FirstArgMax(row) == y);
        }
        return result;
    }

    /// <summary>
    /// Scores the rows of <paramref name="logits"/> [T, V] or [1, T, V] (any float dtype and layout; not modified or
    /// disposed) against <paramref name="targets"/> [T].
    /// </summary>
    /// <exception cref="ArgumentException">logits is not [T, V] / [1, T, V] with T = targets.Length, or not a float tensor.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, V).</exception>
    public static ScoredToken[] OfTargets(Tensor logits, ReadOnlySpan<int> targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        int vocab = CheckRows(logits, targets.Length, "targets");
        using var noGrad = Autograd.NoGrad();
        using var dense = logits.DType == DType.F32 ? logits.Contiguous() : logits.To(DType.F32);
        return OfTargets(dense.Span, vocab, targets);
    }

    /// <summary>
    /// Causal-LM scoring of a whole sequence: logits [T, V] (or [1, T, V]) computed from <paramref name="ids"/> [T];
    /// returns T − 1 scores, element j for ids[j + 1] from row j (the first token has no prediction).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes disagree (see <see cref="OfTargets(Tensor, ReadOnlySpan{int})"/>) or ids is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, V).</exception>
    public static ScoredToken[] OfSequence(Tensor logits, ReadOnlySpan<int> ids)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (ids.Length == 0) throw new ArgumentException("LogProbs.OfSequence: the sequence is empty", nameof(ids));
        int vocab = CheckRows(logits, ids.Length, "ids");
        using var noGrad = Autograd.NoGrad();
        using var dense = logits.DType == DType.F32 ? logits.Contiguous() : logits.To(DType.F32);
        return OfTargets(dense.Span[..((ids.Length - 1) * vocab)], vocab, ids[1..]);
    }

    /// <summary>Span form of <see cref="OfSequence(Tensor, ReadOnlySpan{int})"/>: logits row-major [T, vocabSize] for ids [T].</summary>
    /// <exception cref="ArgumentException">logits' length is not T · vocabSize or ids is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, vocabSize).</exception>
    public static ScoredToken[] OfSequence(ReadOnlySpan<float> logits, int vocabSize, ReadOnlySpan<int> ids)
    {
        if (ids.Length == 0) throw new ArgumentException("LogProbs.OfSequence: the sequence is empty", nameof(ids));
        if (vocabSize <= 0 || logits.Length != (long)ids.Length * vocabSize)
        {
            throw new ArgumentException($"LogProbs.OfSequence: {logits.Length} logits do not form [{ids.Length}, {vocabSize}] for {ids.Length} ids", nameof(logits));
        }
        return OfTargets(logits[..((ids.Length - 1) * vocabSize)], vocabSize, ids[1..]);
    }

    /// <summary>Sum of the log-probabilities (the log-likelihood of the scored tokens), accumulated in double.</summary>
    public static double Sum(ReadOnlySpan<ScoredToken> tokens)
    {
        double s = 0;
        foreach (var t in tokens) s += t.LogProb;
        return s;
    }

    private static int CheckRows(Tensor logits, int rows, string what)
    {
        bool ok = logits.Rank == 2 && logits.Size(0) == rows || logits.Rank == 3 && logits.Size(0) == 1 && logits.Size(1) == rows;
        if (!ok) throw new ArgumentException($"LogProbs: logits {logits.Describe()} must be [{rows}, V] or [1, {rows}, V] for {rows} {what}", nameof(logits));
        if (!logits.DType.IsFloat()) throw new ArgumentException($"LogProbs: logits {logits.Describe()} must be a float tensor", nameof(logits));
        int vocab = logits.Size(-1);
        if (vocab == 0) throw new ArgumentException($"LogProbs: logits {logits.Describe()} have an empty vocabulary dimension", nameof(logits));
        return vocab;
    }

    private static int FirstArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best]) best = i;
        }
        return best;
    }
}
