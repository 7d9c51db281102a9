// Vectorised mergekit combine step over a span of entries: weighting, sign consensus, normalisation, λ, and the error.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ExpertMix.Adapters.Merging;

/// <summary>
/// mergekit's per-entry combine (see <see cref="MergekitFunctions.Combine"/>) over entries [from, from+n) of k f32
/// deltas, 8 lanes at a time, with f32 arithmetic. Optionally accumulates ‖y − T‖² and ‖T‖² with T = Σ w_i x_i.
/// </summary>
internal static class CombineKernel
{
    /// <summary>Writes y[from..from+n) and returns (‖y − Σ w_i x_i‖², ‖Σ w_i x_i‖²) over that range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double ErrSq, double TargetSq) Run(float[][] xs, int xOffset, float[] w, ConsensusMethod consensus, bool normalize,
        float lambda, float[] y, int yOffset, int n, ReadOnlySpan<float> target = default)
    {
        int k = xs.Length;
        float wsum = 0;
        foreach (var v in w) wsum += v;
        float plainDivisor = Math.Abs(wsum) < 1e-8f ? 1f : wsum;
        double err = 0, tgt = 0;
        int e = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var zero = Vector256<float>.Zero;
            var one = Vector256.Create(1f);
            var lam = Vector256.Create(lambda);
            var errAcc = zero;
            var tgtAcc = zero;
            for (; e + 8 <= n; e += 8)
            {
                var vote = zero;
                var plain = zero;
                for (int i = 0; i < k; i++)
                {
                    var t = Vector256.Create(w[i]) * Vector256.LoadUnsafe(ref xs[i][xOffset + e]);
                    plain += t;
                    vote += consensus == ConsensusMethod.Count ? Sign(t, one) : t;
                }
                Vector256<float> mixed, div;
                if (consensus == ConsensusMethod.None)
                {
                    mixed = plain;
                    div = Vector256.Create(plainDivisor);
                }
                else
                {
                    var pos = Vector256.GreaterThanOrEqual(vote, zero);
                    mixed = zero;
                    div = zero;
                    for (int i = 0; i < k; i++)
                    {
                        var wi = Vector256.Create(w[i]);
                        var t = wi * Vector256.LoadUnsafe(ref xs[i][xOffset + e]);
                        var agree = (Vector256.GreaterThan(t, zero) & pos) | (Vector256.LessThan(t, zero) & ~pos);
                        mixed += t & agree;
                        div += wi & agree;
                    }
                    div = Vector256.ConditionalSelect(Vector256.Equals(div, zero), one, div);
                }
                var outv = (normalize ? mixed / div : mixed) * lam;
                outv.StoreUnsafe(ref y[yOffset + e]);
                var tv = target.IsEmpty ? plain : Vector256.Create(target.Slice(e, 8));
                var d = outv - tv;
                errAcc += d * d;
                tgtAcc += tv * tv;
            }
            err = Vector256.Sum(errAcc);
            tgt = Vector256.Sum(tgtAcc);
        }
        for (; e < n; e++)
        {
            float vote = 0, plain = 0;
            for (int i = 0; i < k; i++)
            {
                float t = w[i] * xs[i][xOffset + e];
                plain += t;
                vote += consensus == ConsensusMethod.Count ? MathF.Sign(t) : t;
            }
            float mixed, div;
            if (consensus == ConsensusMethod.None)
            {
                mixed = plain;
                div = plainDivisor;
            }
            else
            {
                int elected = vote >= 0 ? 1 : -1;
                mixed = 0;
                div = 0;
                for (int i = 0; i < k; i++)
                {
                    float t = w[i] * xs[i][xOffset + e];
                    if (MathF.Sign(t) != elected) continue;
                    mixed += t;
                    div += w[i];
                }
                if (div == 0) div = 1;
            }
            float o = (normalize ? mixed / div : mixed) * lambda;
            y[yOffset + e] = o;
            float tv = target.IsEmpty ? plain : target[e];
            err += (double)(o - tv) * (o - tv);
            tgt += (double)tv * tv;
        }
        return (err, tgt);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Sign(Vector256<float> t, Vector256<float> one)
        => (one & Vector256.GreaterThan(t, Vector256<float>.Zero)) - (one & Vector256.LessThan(t, Vector256<float>.Zero));
}
