// X-LoRA's forward: scaling pass → gate → real pass, with a dual KV cache, freeze-after-k and the no-cache baseline.
using ExpertMix.Adapters.Lora;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.XLora;

public sealed partial class XLoraModel
{
    /// <summary>
    /// Logits [B, T|1, V] of the real pass (or its last hidden state, per <c>ctx.Output</c>). In
    /// <see cref="ForwardMode.Eval"/> nothing is recorded for autograd; in <see cref="ForwardMode.Train"/> gradients reach
    /// the gate through λ (the scaling pass is never recorded). A cache must come from <see cref="CreateCache"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A cache without the scaling-pass companion.</exception>
    public Tensor Forward(Tensor inputIds, ForwardContext ctx)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(ctx);
        if (ctx.Mode == ForwardMode.Eval && Autograd.IsEnabled)
        {
            using var noGrad = Autograd.NoGrad();
            return Dispatch(inputIds, ctx);
        }
        return Dispatch(inputIds, ctx);
    }

    /// <summary>
    /// λ [B, T, Lx, n] (before top-k) for <paramref name="inputIds"/> without a cache: the scaling pass and the gate
    /// only (no real pass). Recorded for autograd in <see cref="ForwardMode.Train"/>.
    /// </summary>
    public Tensor Scalings(Tensor inputIds, ForwardContext ctx)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(ctx);
        var h = ScalingPass(inputIds, ctx, null);                                          // [B, T, H]
        return Classifier.Scalings(Classifier.Logits(h, ctx.Mode, DropoutRng));           // [B, T, Lx, n]
    }

    /// <summary>h [B, T, H]: the scaling pass's last hidden state, which the gate reads (no cache; never recorded for autograd).</summary>
    internal Tensor ScalingPassHidden(Tensor inputIds, ForwardContext ctx)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(ctx);
        return ScalingPass(inputIds, ctx, null);
    }

    private Tensor Dispatch(Tensor inputIds, ForwardContext ctx)
    {
        if (ctx.Cache is { } cache)
        {
            if (cache.Companion is null) throw new ArgumentException("X-LoRA needs its dual KV cache: create the cache with XLoraModel.CreateCache", nameof(ctx));
            if (Options.Cache == XLoraCacheMode.None) return Recompute(inputIds, ctx, cache);
        }
        return ForwardCore(inputIds, ctx);
    }

    private Tensor ForwardCore(Tensor inputIds, ForwardContext ctx)
    {
        int b = inputIds.Size(0), t = inputIds.Size(1);
        var seq = ctx.Cache is { } c ? _sequences.GetValue(c, _ => new SequenceState()) : null;
        if (seq is not null && ctx.PastLength == 0) Reset(seq);
        Tensor lambda;                                                                      // [B, T, Lx, n]
        bool decode = seq is not null && ctx.PastLength > 0 && t == 1;
        if (decode && Options.FreezeScalingsAfter is int k && seq!.DecodeSteps >= k && seq.Last is { } frozen)
        {
            lambda = Tensor.FromArray(frozen, new Shape(b, 1, Classifier.OutputLayers, Config.ExpertCount));
        }
        else
        {
            var h = ScalingPass(inputIds, ctx, ctx.Cache?.Companion);                       // [B, T, H]
            lambda = Classifier.Scalings(Classifier.Logits(h, ctx.Mode, DropoutRng));       // [B, T, Lx, n]
            if (seq is not null)
            {
                if (decode) seq.DecodeSteps++;
                using var last = lambda.Narrow(1, t - 1, 1);
                seq.Last = last.ToArray();
            }
        }
        LiveScalings = ctx.Mode == ForwardMode.Train ? lambda : null;
        Remember(lambda, inputIds, ctx.PastLength);
        var used = Config.TopKLora is int topK ? XLoraTopK.Apply(lambda, topK, Config.EnableSoftmaxTopK) : lambda;  // [B, T, Lx, n]
        if (ScalingsLog.Point == XLoraLogPoint.AfterTopK && Config.TopKLora is not null) ScalingsLog.Append(used, inputIds, ctx.PastLength);
        var real = ctx.WithInputs(ctx.AttentionMask, ctx.PositionIds).Set<ILoraMixing>(LoraMixing.Key, XLoraPass.Real(_states, used, Config, Options.Kernel));
        return _model.Forward(inputIds, real);
    }

    /// <summary>
    /// h [B, T, H]: the base model's final-norm hidden state with every expert at weight c (skipped entirely when c = 0),
    /// never recorded for autograd and never running the LM head.
    /// </summary>
    private Tensor ScalingPass(Tensor inputIds, ForwardContext ctx, KvCache? cache)
    {
        using var noGrad = Autograd.NoGrad();
        var pass = ctx.ForPass(cache, LogitsSelection.All, ModelOutput.LastHiddenState);
        float c = Config.ResolvedScalingPassValue;
        if (c == 0f)
        {
            pass.Remove(LoraMixing.Key);
        }
        else
        {
            var row = Enumerable.Repeat(c, Config.ExpertCount).ToArray();
            if (Config.TopKLora is int k) row = XLoraTopK.ApplyRow(row, k, Config.EnableSoftmaxTopK);
            pass.Set<ILoraMixing>(LoraMixing.Key, XLoraPass.Constant(_states, row, Config, Options.Kernel));
        }
        return _model.Forward(inputIds, pass);                                             // [B, T, H]
    }

    /// <summary>The reference behaviour without a cache: each call re-runs both passes over the whole sequence so far.</summary>
    private Tensor Recompute(Tensor inputIds, ForwardContext ctx, KvCache cache)
    {
        int b = inputIds.Size(0), t = inputIds.Size(1);
        var seq = _sequences.GetValue(cache, _ => new SequenceState());
        if (ctx.PastLength == 0) Reset(seq);
        var ids = inputIds.ToInt64Array();
        for (int r = 0; r < b; r++)
        {
            var row = new int[t];
            for (int j = 0; j < t; j++) row[j] = (int)ids[r * t + j];
            if (seq.History.Count < b) seq.History.Add(row);
            else seq.History[r] = [.. seq.History[r], .. row];
        }
        int s = seq.History[0].Length;
        using var all = Tensor.FromInts([.. seq.History.SelectMany(h => h)], new Shape(b, s));   // [B, S]
        var full = new ForwardContext { AttentionMask = ctx.AttentionMask, Mode = ctx.Mode, Logits = ctx.Logits, Output = ctx.Output, Sink = ctx.Sink };
        var y = ForwardCore(all, full);                                                    // [B, S|1, V]
        cache.Advance(t);
        if (ctx.Logits == LogitsSelection.LastPosition || t == s) return y;
        using (y) return y.Narrow(1, s - t, t).Contiguous();                               // [B, T, V]
    }

    /// <summary>λ [B, T, Lx, n] of the last training forward (on the autograd tape when grad is on; for regularisers), else null.</summary>
    internal Tensor? LiveScalings { get; private set; }

    private void Remember(Tensor lambda, Tensor inputIds, int pastLength)
    {
        LatestScalings?.Dispose();
        using (Autograd.NoGrad()) LatestScalings = TensorScope.Forget(lambda.Detach().Contiguous().Clone());
        if (ScalingsLog.Point == XLoraLogPoint.BeforeTopK || Config.TopKLora is null) ScalingsLog.Append(lambda, inputIds, pastLength);
    }

    private static void Reset(SequenceState seq)
    {
        seq.History.Clear();
        seq.DecodeSteps = 0;
        seq.Last = null;
    }
}
