// top_k_lora: keep the k largest scalings per token and module (ties → lower expert index), optionally re-softmaxed.
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.XLora;

/// <summary>
/// Spec §4 step 4: per (b, t, ℓ) keep the k largest λ (ties broken by the lower expert index) and zero the rest, with
/// no renormalisation; with softmax-topk, softmax over the kept entries per token (the others get 0).
/// </summary>
internal static class XLoraTopK
{
    /// <summary>Marks in <paramref name="keep"/> the k largest entries of <paramref name="row"/> (ties → lower index).</summary>
    public static void Select(ReadOnlySpan<float> row, int k, Span<bool> keep)
    {
        keep.Clear();
        for (int picked = 0; picked < k && picked < row.Length; picked++)
        {
            int best = -1;
            for (int i = 0; i < row.Length; i++)
            {
                if (!keep[i] && (best < 0 || row[i] > row[best])) best = i;
            }
            keep[best] = true;
        }
    }

    /// <summary>λ after top-k [..., n] (recorded by autograd: the kept entries pass their gradient).</summary>
    public static Tensor Apply(Tensor scalings, int k, bool softmax)
    {
        ArgumentNullException.ThrowIfNull(scalings);
        int n = scalings.Size(-1);
        var values = scalings.ToArray();
        var mask = new float[values.Length];
        var bias = new float[values.Length];
        var keep = new bool[n];
        for (int o = 0; o < values.Length; o += n)
        {
            Select(values.AsSpan(o, n), k, keep);
            for (int i = 0; i < n; i++)
            {
                mask[o + i] = keep[i] ? 1f : 0f;
                bias[o + i] = keep[i] ? 0f : float.NegativeInfinity;
            }
        }
        var shape = scalings.Shape;
        var kept = Ops.Mul(scalings, Tensor.FromArray(mask, shape));                      // [..., n]
        return softmax ? Ops.Softmax(Ops.Add(kept, Tensor.FromArray(bias, shape))) : kept;
    }

    /// <summary>One row (the scaling pass's constant weights) after top-k.</summary>
    public static float[] ApplyRow(ReadOnlySpan<float> row, int k, bool softmax)
    {
        var keep = new bool[row.Length];
        Select(row, k, keep);
        var y = new float[row.Length];
        if (!softmax)
        {
            for (int i = 0; i < row.Length; i++) y[i] = keep[i] ? row[i] : 0f;
            return y;
        }
        float max = float.NegativeInfinity, sum = 0;
        for (int i = 0; i < row.Length; i++) if (keep[i]) max = MathF.Max(max, row[i]);
        for (int i = 0; i < row.Length; i++) if (keep[i]) sum += y[i] = MathF.Exp(row[i] - max);
        for (int i = 0; i < row.Length; i++) y[i] /= sum;
        return y;
    }
}
