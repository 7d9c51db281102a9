// Transformer² §9.4: the cheap first pass. Score each category label after a prefilled "Classification: \boxed{" in one prefill.
using ExpertMix.Models;
using ExpertMix.Models.Chat;
using ExpertMix.Models.Generation;
using ExpertMix.Models.Tokenization;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Adaptation;

/// <summary>The label scores of one prompt.</summary>
/// <param name="Labels">The labels, in the order scored.</param>
/// <param name="Scores">s_l = Σ_j log p(c_{l,j} | prefix, c_{l,&lt;j}): the summed log-probability of label l's continuation tokens.</param>
/// <param name="Continuations">c_l: the token ids scored for each label (the tokens of prefix + label + closing after the shared part).</param>
internal sealed record LabelScores(IReadOnlyList<string> Labels, double[] Scores, IReadOnlyList<int[]> Continuations)
{
    /// <summary>Index of the highest score (the first on ties): hard dispatch.</summary>
    public int BestIndex
    {
        get
        {
            int best = 0;
            for (int i = 1; i < Scores.Length; i++)
            {
                if (Scores[i] > Scores[best]) best = i;
            }
            return best;
        }
    }

    /// <summary>The argmax label (hard dispatch).</summary>
    public string Best => Labels[BestIndex];

    /// <summary>Soft dispatch: α_l = exp(s_l/τ) / Σ_j exp(s_j/τ), computed with the max subtracted.</summary>
    /// <exception cref="ArgumentOutOfRangeException">τ ≤ 0 or not finite.</exception>
    public double[] Softmax(double temperature = 1.0)
    {
        if (!(temperature > 0) || double.IsInfinity(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "the softmax temperature must be a finite value > 0");
        double max = Scores.Max();
        var a = Scores.Select(s => Math.Exp((s - max) / temperature)).ToArray();
        double sum = a.Sum();
        for (int i = 0; i < a.Length; i++) a[i] /= sum;
        return a;
    }
}

/// <summary>
/// Scores candidate labels as continuations of a prefix with one prefill and a short branch per label (spec §9.4).
/// Tokenizer boundaries: with P = encode(prefix) and W_l = encode(prefix + label + closing), the shared part is the
/// longest common prefix L_l of P and W_l (L_l = |P| when P is a prefix of W_l, the usual case; smaller when the
/// label merges with the prefix's last tokens), and the scored continuation is c_l = W_l[L_l..], so exactly the
/// tokens the tokenizer produces after the prefix are scored:
/// s_l = Σ_{t=L_l}^{|W_l|−1} log softmax(logits(W_l[..t]))[W_l[t]].
/// <para>Cost: with L = min_l L_l, the first L − 1 tokens are prefilled once into a KV cache; each label then runs
/// W_l[L−1 .. |W_l|−1) on top of the cache (typically 1–3 tokens) and the cache is truncated back to L − 1. This is
/// chosen over one right-padded batched forward of the K full sequences, which would recompute the (long, shared)
/// classification prompt K times: here the prompt is computed once and the branches add Σ_l (|c_l| + L_l − L) tokens.</para>
/// </summary>
internal sealed class LabelScorer(ICausalLm model, Tokenizer tokenizer)
{
    /// <summary>The model.</summary>
    public ICausalLm Model { get; } = model ?? throw new ArgumentNullException(nameof(model));

    /// <summary>The tokenizer.</summary>
    public Tokenizer Tokenizer { get; } = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));

    /// <summary>
    /// The §9.4 first pass for <paramref name="question"/>: the classification chat (<see cref="ClassificationPrompt.Render"/>)
    /// with the assistant turn prefilled with <see cref="ClassificationPrompt.AssistantPrefill"/>, each of the
    /// <paramref name="categories"/>' <see cref="ClassificationCategories.Labels"/> (default <see cref="ClassificationCategories.Paper"/>:
    /// code, math, reasoning, other) scored with the closing <c>}</c>; no special tokens are added (the template writes
    /// BOS). The system text is <paramref name="system"/> when given, else the categories' <see cref="ClassificationCategories.SystemPrompt"/>.
    /// </summary>
    public LabelScores ScoreClassification(ChatTemplate template, string question, string? system = null, ClassificationCategories? categories = null)
    {
        var c = categories ?? ClassificationCategories.Paper;
        return Score(ClassificationPrompt.Render(template, question, ClassificationPrompt.AssistantPrefill, system ?? c.SystemPrompt), c.Labels,
            SpecialTokens.None, ClassificationPrompt.LabelClosing);
    }

    /// <summary>Scores each of <paramref name="labels"/> + <paramref name="closing"/> as the continuation of <paramref name="prefix"/> (see the class remarks).</summary>
    /// <exception cref="ArgumentException">No labels, an empty prefix or label, a continuation that shares no token with the prefix's
    /// encoding or adds no token, or a sequence longer than the model's positions.</exception>
    public LabelScores Score(string prefix, IReadOnlyList<string> labels, SpecialTokens specialTokens, string closing = "}")
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(closing);
        if (labels.Count == 0) throw new ArgumentException("LabelScorer: no labels to score", nameof(labels));
        if (prefix.Length == 0) throw new ArgumentException("LabelScorer: the prefix is empty", nameof(prefix));
        var p = Tokenizer.Encode(prefix, specialTokens);
        var whole = new int[labels.Count][];
        var shared = new int[labels.Count];
        int maxLength = 0;
        for (int l = 0; l < labels.Count; l++)
        {
            if (string.IsNullOrEmpty(labels[l])) throw new ArgumentException($"LabelScorer: label {l} is empty", nameof(labels));
            whole[l] = [.. Tokenizer.Encode(prefix + labels[l] + closing, specialTokens)];
            shared[l] = CommonPrefix(p, whole[l]);
            if (shared[l] == 0) throw new ArgumentException($"LabelScorer: \"{labels[l]}{closing}\" after the prefix shares no token with the prefix's encoding; nothing to condition on", nameof(labels));
            if (shared[l] == whole[l].Length) throw new ArgumentException($"LabelScorer: \"{labels[l]}{closing}\" adds no token after the prefix", nameof(labels));
            maxLength = Math.Max(maxLength, whole[l].Length);
        }
        if (maxLength > Model.Info.MaxPositions) throw new ArgumentException($"LabelScorer: {maxLength} tokens exceed the model's {Model.Info.MaxPositions} positions", nameof(prefix));

        int common = shared.Min();
        int cached = common - 1;
        var scores = new double[labels.Count];
        var continuations = new int[labels.Count][];
        using var noGrad = Autograd.NoGrad();
        using var cache = Model.CreateCache(1, maxLength);
        if (cached > 0)
        {
            using var scope = TensorScope.Begin();
            using var input = Tensor.FromInts([.. p.Take(cached)], new Shape(1, cached));
            using var _ = Model.Forward(input, new ForwardContext { Cache = cache, Logits = LogitsSelection.LastPosition }); // [1, 1, V]
        }
        for (int l = 0; l < labels.Count; l++)
        {
            cache.Truncate(cached);
            int[] branch = whole[l][cached..^1];                 // tokens at positions cached … |W|−2
            int skip = shared[l] - cached - 1;                   // rows before the first scored target
            int[] targets = whole[l][shared[l]..];               // c_l
            using var scope = TensorScope.Begin();
            using var input = Tensor.FromInts(branch, new Shape(1, branch.Length));
            using var logits = Model.Forward(input, new ForwardContext { Cache = cache });   // [1, |branch|, V]
            using var rows = logits.Narrow(1, skip, targets.Length);                          // [1, |c_l|, V]
            scores[l] = LogProbs.Sum(LogProbs.OfTargets(rows, targets));
            continuations[l] = targets;
        }
        return new LabelScores([.. labels], scores, continuations);
    }

    private static int CommonPrefix(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        int n = Math.Min(a.Count, b.Count), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }
}
