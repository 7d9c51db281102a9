// Test helpers: run a causal LM on id arrays, greedy decoding with and without the KV cache.
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models.Tests;

internal static class ModelRunner
{
    /// <summary>Logits [T, V] for one sequence, full recompute.</summary>
    public static float[] Logits(ICausalLm model, long[] ids)
    {
        using var input = Ids([ids]);
        using var logits = model.Forward(input, new ForwardContext());
        Assert.Equal(new Shape(1, ids.Length, model.Info.VocabSize), logits.Shape);
        return logits.ToArray();
    }

    /// <summary>An I64 [B, T] tensor.</summary>
    public static Tensor Ids(long[][] rows)
    {
        var t = Tensor.Empty(new Shape(rows.Length, rows[0].Length), DType.I64);
        var s = t.AsSpan<long>();
        for (int b = 0; b < rows.Length; b++) rows[b].CopyTo(s.Slice(b * rows[0].Length));
        return t;
    }

    public static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs((double)a[i] - b[i]));
        return m;
    }

    public static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best]) best = i;
        }
        return best;
    }

    /// <summary>Greedy continuation by full recompute of the growing sequence.</summary>
    public static long[] GreedyRecompute(ICausalLm model, long[] prompt, int steps)
    {
        var seq = prompt.ToList();
        int v = model.Info.VocabSize;
        for (int i = 0; i < steps; i++)
        {
            var logits = Logits(model, [.. seq]);
            seq.Add(ArgMax(logits.AsSpan((seq.Count - 1) * v, v)));
        }
        return seq.Skip(prompt.Length).ToArray();
    }

    /// <summary>Greedy continuation with a KV cache (prefill, then one token per step, last-position logits only).</summary>
    public static long[] GreedyCached(ICausalLm model, long[] prompt, int steps, DType cacheDType = DType.F32) =>
        GreedyCachedWithLogits(model, prompt, steps, cacheDType).Tokens;

    /// <summary><see cref="GreedyCached"/> that also returns each step's logits row [V].</summary>
    public static (long[] Tokens, List<float[]> Logits) GreedyCachedWithLogits(ICausalLm model, long[] prompt, int steps, DType cacheDType = DType.F32)
    {
        using var cache = model.CreateCache(1, prompt.Length + steps, cacheDType);
        Assert.Equal(cacheDType, cache.DType);
        var ctx = new ForwardContext { Cache = cache, Logits = LogitsSelection.LastPosition };
        var result = new List<long>();
        var rows = new List<float[]>();
        long[] next = prompt;
        for (int i = 0; i < steps; i++)
        {
            using var scope = TensorScope.Begin();
            using var input = Ids([next]);
            using var logits = model.Forward(input, ctx);
            Assert.Equal(new Shape(1, 1, model.Info.VocabSize), logits.Shape);
            long tok = ArgMax(logits.Span);
            result.Add(tok);
            rows.Add(logits.Span.ToArray());
            next = [tok];
        }
        return ([.. result], rows);
    }
}
