// LogProbs, PerplexityAccumulator and multiple-choice scoring against double-precision references computed here.
using ExpertMix.Models.Generation;
using ExpertMix.Tensors;
using ExpertMix.Testing;

namespace ExpertMix.Models.Tests.Generation;

public class LogProbsTests
{
    private static float[] RandomLogits(int rows, int vocab, int seed, double scale = 3)
    {
        var rng = new Rng((ulong)seed);
        var x = new float[rows * vocab];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextNormal() * scale);
        return x;
    }

    private static double RefLogProb(ReadOnlySpan<float> row, int y)
    {
        double max = double.NegativeInfinity;
        foreach (var v in row) max = Math.Max(max, v);
        double sum = 0;
        foreach (var v in row) sum += Math.Exp(v - max);
        return row[y] - max - Math.Log(sum);
    }

    [Fact]
    public void Per_token_log_probabilities_match_a_double_precision_log_softmax()
    {
        const int t = 7, v = 301;
        var logits = RandomLogits(t, v, 1);
        int[] targets = [0, 300, 17, 17, 150, 2, 299];
        var scored = LogProbs.OfTargets(logits, v, targets);
        var expected = targets.Select((y, r) => RefLogProb(logits.AsSpan(r * v, v), y)).ToArray();
        TensorAssert.Close(expected, scored.Select(s => (double)s.LogProb).ToArray(), atol: 1e-5, what: "log p");
        Assert.Equal(targets, scored.Select(s => s.Id).ToArray());
    }

    [Fact]
    public void Huge_logits_stay_finite_and_accurate()
    {
        float[] logits = [1e4f, 1e4f - 1f, -1e4f, 0f];
        var scored = LogProbs.OfTargets(logits, 4, [1]);
        Assert.Equal(RefLogProb(logits, 1), scored[0].LogProb, 1e-5);
        Assert.False(scored[0].IsArgMax);
        Assert.True(LogProbs.OfTargets(logits, 4, [0])[0].IsArgMax);
    }

    [Fact]
    public void Tensor_inputs_of_any_layout_match_the_span_path_and_the_sequence_form_shifts_by_one()
    {
        const int t = 5, v = 33;
        var data = RandomLogits(t, v, 2);
        int[] ids = [3, 1, 4, 1, 5];
        using var logits = Tensor.FromArray(data, new Shape(1, t, v));
        using var transposed = Tensor.FromArray(Transpose(data, t, v), new Shape(v, t));
        using var strided = transposed.Transpose(0, 1); // [t, v] non-contiguous view
        var fromSpan = LogProbs.OfTargets(data, v, ids);
        Assert.Equal(fromSpan, LogProbs.OfTargets(logits, ids));
        Assert.Equal(fromSpan, LogProbs.OfTargets(strided, ids));

        var seq = LogProbs.OfSequence(logits, ids);
        Assert.Equal(t - 1, seq.Length);
        for (int j = 0; j < t - 1; j++) Assert.Equal(RefLogProb(data.AsSpan(j * v, v), ids[j + 1]), seq[j].LogProb, 1e-5);
        Assert.Equal(seq, LogProbs.OfSequence(data, v, ids));
    }

    [Fact]
    public void Bad_shapes_and_targets_are_rejected_with_clear_messages()
    {
        using var logits = Tensor.Zeros(new Shape(3, 4));
        Assert.Contains("[2, V]", Assert.Throws<ArgumentException>(() => LogProbs.OfTargets(logits, [0, 1])).Message, StringComparison.Ordinal);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => LogProbs.OfTargets(logits, [0, 4, 1]));
        Assert.Contains("target 1 = 4", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => LogProbs.OfSequence(logits, []));
    }

    [Fact]
    public void Perplexity_is_token_weighted_over_sequences_and_skips_masked_prompt_tokens()
    {
        const int v = 50;
        var rng = new Random(4);
        var acc = new PerplexityAccumulator();
        double nll = 0;
        long n = 0;
        for (int s = 0; s < 6; s++)
        {
            int len = rng.Next(2, 12), prompt = s % 3 == 0 ? 0 : rng.Next(1, len);
            var logits = RandomLogits(len, v, 10 + s);
            var ids = Enumerable.Range(0, len).Select(_ => rng.Next(v)).ToArray();
            acc.AddSequence(LogProbs.OfSequence(logits, v, ids), prompt);
            // reference: every position j ≥ max(prompt, 1) predicted from row j − 1
            for (int j = Math.Max(prompt, 1); j < len; j++)
            {
                nll -= RefLogProb(logits.AsSpan((j - 1) * v, v), ids[j]);
                n++;
            }
        }
        var r = acc.Result();
        Assert.Equal(n, r.Tokens);
        Assert.Equal(nll / n, r.Nll, 1e-5);
        Assert.Equal(Math.Exp(nll / n), r.Perplexity, 1e-4 * r.Perplexity);
    }

    [Fact]
    public void Boolean_masks_count_only_the_selected_tokens_and_an_empty_count_fails()
    {
        ScoredToken[] tokens = [new(1, -1f, false), new(2, -2f, true), new(3, -4f, false)];
        var acc = new PerplexityAccumulator();
        acc.Add(tokens, [true, false, true]);
        Assert.Equal(new PerplexityResult(2, 2.5, Math.Exp(2.5)), acc.Result());
        Assert.Throws<ArgumentException>(() => acc.Add(tokens, [true]));
        var empty = new PerplexityAccumulator();
        empty.Add(tokens, [false, false, false]);
        Assert.Contains("no tokens", Assert.Throws<InvalidOperationException>(empty.Result).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Multiple_choice_acc_and_acc_norm_follow_lm_eval_harness()
    {
        // lm-eval: acc = argmax(lls), acc_norm = argmax(lls / len(choice)) with len in code points.
        ChoiceScore Choice(int i, string text, params float[] lps) =>
            ChoiceScore.From(i, text, lps.Select(lp => new ScoredToken(0, lp, lp > -0.5f)).ToArray());
        var choices = new[]
        {
            Choice(0, "no", -3f),                       // ll -3, per char -1.5
            Choice(1, "a much longer answer", -6f, -2f), // ll -8, per char -0.4
            Choice(2, "café", -4f),                     // ll -4: 4 code points, 5 bytes
        };
        Assert.Equal(0, ChoiceScore.Best(choices, ChoiceNormalization.None));
        Assert.Equal(1, ChoiceScore.Best(choices, ChoiceNormalization.Characters));
        Assert.Equal((4, 5), (choices[2].Characters, choices[2].Bytes));
        Assert.Equal(-4.0 / 5, choices[2].Normalized(ChoiceNormalization.Bytes));
        Assert.Equal(-8.0 / 2, choices[1].Normalized(ChoiceNormalization.Tokens));
        Assert.False(choices[1].IsGreedy);

        var accuracy = new ChoiceAccuracy();
        Assert.Equal((0, 1), accuracy.Add(choices, answer: 1));
        accuracy.Add(choices, answer: 0);
        Assert.Equal((0.5, 0.5), (accuracy.Accuracy, accuracy.NormalizedAccuracy));
        Assert.Throws<ArgumentOutOfRangeException>(() => accuracy.Add(choices, 3));

        // ties resolve to the first index, like numpy.argmax
        var tied = new[] { Choice(0, "x", -1f), Choice(1, "y", -1f) };
        Assert.Equal(0, ChoiceScore.Best(tied, ChoiceNormalization.None));
    }

    private static float[] Transpose(float[] a, int rows, int cols)
    {
        var r = new float[a.Length];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++) r[j * rows + i] = a[i * cols + j];
        }
        return r;
    }
}
