// McNemar's exact test: a two-sided binomial test on the discordant pairs, computed in log space.
namespace ExpertMix.Adapters.Evaluation;

/// <summary>McNemar's exact (binomial) test of paired binary outcomes.</summary>
internal static class McNemar
{
    /// <summary>
    /// Two-sided exact p of McNemar's test with <paramref name="onlyA"/> = b pairs where only A is correct and
    /// <paramref name="onlyB"/> = c pairs where only B is correct: with m = b + c and X ~ Binomial(m, ½),
    /// p = min(1, 2·P(X ≤ min(b, c))) = min(1, 2^(1−m) Σ_{j=0}^{min(b,c)} C(m, j)); m = 0 gives p = 1.
    /// </summary>
    /// <remarks>
    /// Computed without overflow or underflow of intermediate terms for any m (tested to 10⁵): with k = min(b, c),
    /// ln P(X = k) = Σ_{i=1}^{k} ln((m − k + i)/i) − m ln 2, and the tail is P(X = k) · Σ_j t_j with
    /// t_k = 1, t_{j−1} = t_j · j/(m − j + 1) (terms decrease, summed until negligible). The result underflows to 0 only
    /// when the true p is below ~1e−308.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">A negative count.</exception>
    public static double ExactP(int onlyA, int onlyB)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(onlyA);
        ArgumentOutOfRangeException.ThrowIfNegative(onlyB);
        long m = (long)onlyA + onlyB;
        int k = Math.Min(onlyA, onlyB);
        if (m == 0 || 2L * k >= m) return 1;
        return Math.Min(1, Math.Exp(LogTail(k, m) + Math.Log(2)));
    }

    /// <summary>ln P(X ≤ k) for X ~ Binomial(m, ½) and 0 ≤ k &lt; m/2 (see <see cref="ExactP"/>'s remarks).</summary>
    internal static double LogTail(int k, long m)
    {
        double logPmf = -m * Math.Log(2);
        for (int i = 1; i <= k; i++) logPmf += Math.Log((double)(m - k + i) / i);
        double sum = 1, term = 1;
        for (int j = k; j > 0; j--)
        {
            term *= j / (double)(m - j + 1);
            sum += term;
            if (term < sum * 1e-18) break;
        }
        return logPmf + Math.Log(sum);
    }
}
