// The policy-gradient objective of SVF training (spec §7): advantages, KL per token, and per-sample backward passes.
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Svf.Training;

/// <summary>One rollout: a prompt's token ids, the generated ids (everything the sampler produced, EOS or stop included) and its reward.</summary>
/// <param name="PromptIds">The prompt tokens.</param>
/// <param name="CompletionIds">The generated tokens y (|y| ≥ 1 to take part).</param>
/// <param name="Reward">r (±1 from a verifier).</param>
internal sealed record SvfRollout(IReadOnlyList<int> PromptIds, IReadOnlyList<int> CompletionIds, float Reward);

/// <summary>What one <see cref="SvfPolicyLoss.Accumulate"/> did.</summary>
/// <param name="Loss">The objective's value (the sum of every sample's contribution).</param>
/// <param name="MeanKl">Mean over trained samples of the sample's KL (summed over tokens in faithful mode, per-token mean in default mode); 0 without KL.</param>
/// <param name="Tokens">Generated tokens of the trained samples.</param>
/// <param name="SkippedGroups">Groups whose rewards were all equal (A = 0; no forward, no gradient).</param>
/// <param name="TrainedSamples">Samples that were back-propagated.</param>
internal sealed record SvfPolicyStep(double Loss, double MeanKl, long Tokens, int SkippedGroups, int TrainedSamples);

/// <summary>
/// The SVF policy objectives. Rollouts are grouped: G consecutive entries share a prompt (G = 1 in faithful mode).
/// Per sample j with completion y_j: logp_j = Σ_t log π_W'(y_t | x, y_&lt;t) and KL_j = Σ_t KL_t, where KL_t compares
/// the full-vocabulary distributions of W' and of the base weights W at generated position t (one extra forward
/// with <see cref="SvfHost.UseBaseWeights"/>, without a tape).
/// <list type="bullet">
/// <item>Faithful (§7.1): L = Σ_j (−logp_j·r_j + λ·KL_j) / B with KL in <see cref="SvfPolicyOptions.KlDirection"/>
/// (reference: KL(π_W ‖ π_W')).</item>
/// <item>Default (§7.2): L = −(1/(N·G)) Σ_{j,g} A_{j,g}·ℓ_{j,g} + β·mean_{trained (j,g)} (KL_{j,g}/|y_{j,g}|), ℓ per
/// <see cref="SvfLengthNormalization"/>; groups with all-equal rewards are skipped entirely.</item>
/// </list>
/// Each sample is forwarded and back-propagated alone (gradients accumulate in p.Grad), so memory stays at one sequence.
/// </summary>
internal static class SvfPolicyLoss
{
    /// <summary>
    /// Advantages of <paramref name="rewards"/> in consecutive groups of <paramref name="groupSize"/>:
    /// RLOO A_g = r_g − (Σ_{h≠g} r_h)/(G−1) (so Σ_g A_g = 0), GRPO A_g = (r_g − mean r)/(std r + 1e-6) with the
    /// unbiased std. A group of equal rewards gets A = 0 exactly. With G = 1 the advantage is the reward itself.
    /// </summary>
    /// <exception cref="ArgumentException">The count is not a multiple of the group size.</exception>
    public static double[] Advantages(IReadOnlyList<float> rewards, int groupSize, SvfAdvantage kind)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentOutOfRangeException.ThrowIfLessThan(groupSize, 1);
        if (rewards.Count % groupSize != 0) throw new ArgumentException($"{rewards.Count} rewards do not form groups of {groupSize}", nameof(rewards));
        var a = new double[rewards.Count];
        for (int start = 0; start < rewards.Count; start += groupSize)
        {
            if (groupSize == 1)
            {
                a[start] = rewards[start];
                continue;
            }
            double sum = 0;
            for (int g = 0; g < groupSize; g++) sum += rewards[start + g];
            bool equal = true;
            for (int g = 1; g < groupSize; g++) equal &= rewards[start + g] == rewards[start];
            if (equal) continue;
            double mean = sum / groupSize, ss = 0;
            for (int g = 0; g < groupSize; g++) ss += (rewards[start + g] - mean) * (rewards[start + g] - mean);
            double std = Math.Sqrt(ss / (groupSize - 1));
            for (int g = 0; g < groupSize; g++)
            {
                double r = rewards[start + g];
                a[start + g] = kind == SvfAdvantage.Rloo ? r - ((sum - r) / (groupSize - 1)) : (r - mean) / (std + 1e-6);
            }
        }
        return a;
    }

    /// <summary>
    /// KL per position [T] between two rows of log-probabilities [T, V]: <see cref="SvfKlDirection.PolicyToBase"/>
    /// Σ_v exp(lp)(lp − lb), <see cref="SvfKlDirection.BaseToPolicy"/> Σ_v exp(lb)(lb − lp). Recorded on the tape
    /// through <paramref name="policyLogProbs"/>; <paramref name="baseLogProbs"/> is treated as a constant. The
    /// intermediates belong to the caller's <see cref="TensorScope"/>, which must stay open until <c>Backward()</c> ran.
    /// </summary>
    public static Tensor TokenKl(Tensor policyLogProbs, Tensor baseLogProbs, SvfKlDirection direction)
    {
        ArgumentNullException.ThrowIfNull(policyLogProbs);
        ArgumentNullException.ThrowIfNull(baseLogProbs);
        if (policyLogProbs.Shape != baseLogProbs.Shape || policyLogProbs.Rank != 2) throw new ArgumentException($"KL needs two [T, V] log-probability tensors, got {policyLogProbs.Shape} and {baseLogProbs.Shape}");
        // Intermediates stay in the caller's scope: the tape needs them until Backward().
        var lb = baseLogProbs.Detach();                                                   // [T, V]
        return direction == SvfKlDirection.PolicyToBase
            ? Ops.Sum(Ops.Mul(Ops.Exp(policyLogProbs), Ops.Sub(policyLogProbs, lb)), 1)  // [T]
            : Ops.Sum(Ops.Mul(Ops.Exp(lb), Ops.Sub(lb, policyLogProbs)), 1);             // [T]
    }

    /// <summary>
    /// Forwards and back-propagates every rollout with its weight in the objective of <paramref name="options"/>
    /// (gradients accumulate into the p tensors of the installed expert; call with grad mode on).
    /// <paramref name="batchPrompts"/> is N (B in faithful mode); <paramref name="maxNewTokens"/> serves
    /// <see cref="SvfLengthNormalization.MaxNewTokens"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The rollouts do not form N groups of <see cref="SvfPolicyOptions.GroupSize"/>.</exception>
    public static SvfPolicyStep Accumulate(ICausalLm model, SvfHost host, IReadOnlyList<SvfRollout> rollouts, int batchPrompts, SvfPolicyOptions options, int maxNewTokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(rollouts);
        ArgumentNullException.ThrowIfNull(options);
        int g = options.GroupSize;
        if (rollouts.Count != batchPrompts * g) throw new ArgumentException($"{rollouts.Count} rollouts for {batchPrompts} prompts × {g} completions", nameof(rollouts));
        bool faithful = options.Mode == SvfPolicyMode.Faithful;
        double count = rollouts.Count;
        var adv = faithful ? [.. rollouts.Select(r => (double)r.Reward)] : Advantages([.. rollouts.Select(r => r.Reward)], g, options.Advantage);
        var trained = new List<int>();
        int skipped = 0;
        for (int start = 0; start < rollouts.Count; start += g)
        {
            bool informative = faithful || Enumerable.Range(start, g).Any(i => adv[i] != 0);
            if (!informative)
            {
                skipped++;
                continue;
            }
            trained.AddRange(Enumerable.Range(start, g).Where(i => rollouts[i].CompletionIds.Count > 0));
        }
        long allTokens = rollouts.Sum(r => (long)r.CompletionIds.Count);
        double loss = 0, klSum = 0;
        long tokens = 0;
        foreach (int i in trained)
        {
            var r = rollouts[i];
            int len = r.CompletionIds.Count;
            double logpCoef, klCoef;
            if (faithful)
            {
                logpCoef = -r.Reward / count;
                klCoef = options.KlCoefficient / count;
            }
            else
            {
                double norm = options.LengthNormalization switch
                {
                    SvfLengthNormalization.Sum => 1,
                    SvfLengthNormalization.MaxNewTokens => 1.0 / maxNewTokens,
                    SvfLengthNormalization.BatchTokenMean => count / allTokens,
                    _ => 1.0 / len,
                };
                logpCoef = -adv[i] * norm / count;
                klCoef = options.KlCoefficient / (trained.Count * (double)len);
            }
            var (value, kl) = SampleBackward(model, host, r, logpCoef, klCoef, options.KlCoefficient > 0 ? options.KlDirection : null);
            loss += value;
            klSum += faithful ? kl : kl / len;
            tokens += len;
        }
        return new SvfPolicyStep(loss, trained.Count == 0 ? 0 : klSum / trained.Count, tokens, skipped, trained.Count);
    }

    /// <summary>Σ_t log π(y_t | x, y_&lt;t) of <paramref name="completion"/> after <paramref name="prompt"/> under the current weights, without a tape.</summary>
    public static double SequenceLogProb(ICausalLm model, IReadOnlyList<int> prompt, IReadOnlyList<int> completion)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(completion);
        if (completion.Count == 0) return 0;
        using var scope = TensorScope.Begin();
        using var noGrad = Autograd.NoGrad();
        var (logits, targets) = CompletionLogits(model, prompt, completion, ForwardMode.Eval);
        return -Ops.CrossEntropy(logits, targets, LossReduction.Sum).Item();
    }

    // Contribution logpCoef·logp + klCoef·KL of one rollout: value (summed) and KL of the sample, after its backward.
    private static (double Value, double Kl) SampleBackward(ICausalLm model, SvfHost host, SvfRollout r, double logpCoef, double klCoef, SvfKlDirection? kl)
    {
        using var scope = TensorScope.Begin();
        Tensor? baseLp = null;
        if (kl is not null)
        {
            using var noGrad = Autograd.NoGrad();
            using var bypass = host.UseBaseWeights();
            var (bl, _) = CompletionLogits(model, r.PromptIds, r.CompletionIds, ForwardMode.Eval);  // [Tc, V]
            baseLp = Ops.LogSoftmax(bl);                                                          // [Tc, V]
        }
        var (logits, targets) = CompletionLogits(model, r.PromptIds, r.CompletionIds, ForwardMode.Train);  // [Tc, V], [Tc]
        var nll = Ops.CrossEntropy(logits, targets, LossReduction.Sum);                          // [] = −logp
        var term = Ops.Mul(nll, (float)-logpCoef);                                               // [] logpCoef·logp
        double klValue = 0;
        if (baseLp is not null)
        {
            var klSum = Ops.Sum(TokenKl(Ops.LogSoftmax(logits), baseLp, kl!.Value));              // []
            klValue = klSum.Item();
            term = Ops.Add(term, Ops.Mul(klSum, (float)klCoef));                                 // []
        }
        double value = term.Item();
        term.Backward();
        return (value, klValue);
    }

    // Logits at the positions that predict the completion [Tc, V] and the completion ids [Tc]; the prompt is cut
    // from the left when prompt + completion exceed the model's positions.
    private static (Tensor Logits, Tensor Targets) CompletionLogits(ICausalLm model, IReadOnlyList<int> prompt, IReadOnlyList<int> completion, ForwardMode mode)
    {
        int tc = completion.Count, positions = model.Info.MaxPositions;
        int keep = Math.Min(prompt.Count, Math.Max(1, positions - tc));
        if (keep + tc > positions) throw new ArgumentException($"a completion of {tc} tokens does not fit the model's {positions} positions after a prompt token");
        var ids = new int[keep + tc];
        for (int i = 0; i < keep; i++) ids[i] = prompt[prompt.Count - keep + i];
        for (int i = 0; i < tc; i++) ids[keep + i] = completion[i];
        var input = Tensor.FromInts(ids, new Shape(1, ids.Length));                              // [1, L]
        var logits = model.Forward(input, new ForwardContext { Mode = mode });                   // [1, L, V]
        int v = logits.Size(2);
        var rows = logits.Narrow(1, keep - 1, tc).Reshape(tc, v);                                // [Tc, V]
        var targets = Tensor.FromInts([.. completion], new Shape(tc));                          // [Tc]
        return (rows, targets);
    }
}
