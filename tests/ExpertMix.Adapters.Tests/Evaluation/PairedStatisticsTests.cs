// Wilson interval against published and closed-form values, McNemar's exact p against BigInteger binomial sums,
// and the paired bootstrap comparison of two runs.
using System.Numerics;
using ExpertMix.Adapters.Evaluation;

namespace ExpertMix.Adapters.Tests.Evaluation;

public sealed class PairedStatisticsTests
{
    // Newcombe (1998), "Two-sided confidence intervals for the single proportion", Stat. Med. 17:857–872, Table II,
    // method 3 (Wilson score interval without continuity correction), to 4 decimals.
    [Theory]
    [InlineData(81, 263, 0.2553, 0.3662)]
    [InlineData(15, 148, 0.0624, 0.1605)]
    [InlineData(0, 20, 0.0000, 0.1611)]
    [InlineData(1, 29, 0.0061, 0.1718)]
    public void Wilson_matches_Newcombes_table(int k, int n, double low, double high)
    {
        var ci = Wilson.Interval(k, n);
        Assert.Equal((double)k / n, ci.Accuracy, 15);
        Assert.Equal(low, ci.Low, 4);
        Assert.Equal(high, ci.High, 4);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(99)]
    [InlineData(1319)]
    public void Wilson_at_zero_and_n_has_the_closed_forms(int n)
    {
        // p̂ = 0: centre = half-width = z²/(2(n + z²)), so the interval is [0, z²/(n + z²)]; p̂ = 1 mirrors it.
        double z2 = 1.959963984540054 * 1.959963984540054;
        var none = Wilson.Interval(0, n);
        Assert.Equal(0.0, none.Low); // exactly, not 0 up to rounding (reports print it)
        Assert.Equal(z2 / (n + z2), none.High, 12);
        var all = Wilson.Interval(n, n);
        Assert.Equal(n / (n + z2), all.Low, 12);
        Assert.Equal(1.0, all.High);
    }

    [Fact]
    public void Wilson_at_one_half_is_symmetric_and_checks_arguments()
    {
        // p̂ = ½: centre ½, half-width z/(1 + z²/n)·√(1/(4n) + z²/(4n²)) = (z/2)·√(n + z²)/(n + z²)·… = z/(2√(n + z²)).
        const int n = 1172;
        var ci = Wilson.Interval(586, n);
        double z = 1.959963984540054;
        Assert.Equal(0.5 - (z / (2 * Math.Sqrt(n + (z * z)))), ci.Low, 12);
        Assert.Equal(0.5 + (z / (2 * Math.Sqrt(n + (z * z)))), ci.High, 12);
        Assert.Equal(new AccuracyInterval(0, 0, 1), Wilson.Interval(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Wilson.Interval(5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Wilson.Interval(-1, 4));
        Assert.Equal(Wilson.Interval(2, 3), Wilson.Interval([true, false, true]));
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(3, 10)]
    [InlineData(10, 3)]
    [InlineData(1, 1)]
    [InlineData(6, 7)]
    [InlineData(40, 70)]
    [InlineData(500, 620)]
    [InlineData(9_000, 11_000)]
    [InlineData(45_000, 55_000)]
    [InlineData(49_000, 51_000)]
    public void McNemar_equals_the_exact_binomial_sum(int b, int c)
    {
        // p = min(1, 2 Σ_{j ≤ min(b,c)} C(m, j) / 2^m), the binomial coefficients built exactly with BigInteger;
        // compared in log space so that p down to ~1e−220 (45,000 vs 55,000) is checked too.
        int m = b + c, k = Math.Min(b, c);
        BigInteger coefficient = BigInteger.One, tail = BigInteger.One;
        for (int j = 1; j <= k; j++)
        {
            coefficient = coefficient * (m - j + 1) / j;
            tail += coefficient;
        }
        double logExpected = Math.Log(2) + BigInteger.Log(tail) - (m * Math.Log(2));
        double p = McNemar.ExactP(b, c);
        if (logExpected >= 0)
        {
            Assert.Equal(1, p);
            return;
        }
        Assert.True(p > 0, $"p underflowed for b={b}, c={c}");
        Assert.Equal(logExpected, Math.Log(p), Math.Abs(logExpected) * 1e-10 + 1e-12);
    }

    [Fact]
    public void McNemar_small_cases_by_hand()
    {
        Assert.Equal(1, McNemar.ExactP(0, 0));
        Assert.Equal(2.0 / 32, McNemar.ExactP(0, 5), 15);              // 2·C(5,0)/2⁵
        Assert.Equal(2.0 * (1 + 4) / 16, McNemar.ExactP(1, 3), 15);     // 2·(C(4,0) + C(4,1))/2⁴ = 0.625
        Assert.Equal(1, McNemar.ExactP(4, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => McNemar.ExactP(-1, 2));
    }

    [Fact]
    public void Identical_runs_differ_by_zero_with_p_one()
    {
        var a = Enumerable.Range(0, 300).Select(i => i % 3 != 0).ToList();
        var cmp = PairedComparison.Compare(a, a, seed: 5);
        Assert.Equal(new AccuracyInterval(0, 0, 0), cmp.Difference);
        Assert.Equal(1, cmp.McNemarP);
        Assert.Equal(0, cmp.OnlyA);
        Assert.Equal(0, cmp.OnlyB);
        Assert.Equal(200, cmp.BothCorrect);
        Assert.Equal(100, cmp.BothWrong);
        Assert.Equal(cmp.A, cmp.B);
        Assert.Equal(PairedComparison.DefaultResamples, cmp.Resamples);
    }

    [Fact]
    public void Paired_bootstrap_contains_the_difference_matches_the_normal_approximation_and_is_seeded()
    {
        // 400 items: 20 only A right, 40 only B right, 200 both, 140 neither; interleaved so that order is arbitrary.
        var a = new List<bool>();
        var b = new List<bool>();
        for (int i = 0; i < 400; i++)
        {
            int g = (i * 7) % 400;
            a.Add(g < 20 || (g >= 60 && g < 260));
            b.Add((g >= 20 && g < 60) || (g >= 60 && g < 260));
        }
        var cmp = PairedComparison.Compare(a, b, seed: 11);
        Assert.Equal((20, 40, 200, 140), (cmp.OnlyA, cmp.OnlyB, cmp.BothCorrect, cmp.BothWrong));
        Assert.Equal(0.05, cmp.Difference.Accuracy, 15);
        Assert.Equal(0.55, cmp.A.Accuracy, 15);
        Assert.Equal(0.60, cmp.B.Accuracy, 15);
        Assert.InRange(cmp.Difference.Accuracy, cmp.Difference.Low, cmp.Difference.High);
        // d_i ∈ {−1, 0, 1}: var = (20 + 40)/400 − 0.05² = 0.1475, se = √(0.1475/400) = 0.01920, 95%: 0.05 ± 0.0376.
        Assert.InRange(cmp.Difference.Low, 0.0124 - 0.006, 0.0124 + 0.006);
        Assert.InRange(cmp.Difference.High, 0.0876 - 0.006, 0.0876 + 0.006);
        Assert.Equal(McNemar.ExactP(20, 40), cmp.McNemarP);
        Assert.Equal(cmp, PairedComparison.Compare(a, b, seed: 11));
        // Quantiles move in steps of 1/400, so one other seed may land on the same bounds; several cannot all.
        Assert.Contains(Enumerable.Range(12, 8), s => PairedComparison.Compare(a, b, seed: s).Difference != cmp.Difference);
        var reversed = PairedComparison.Compare(b, a, seed: 11);
        Assert.Equal(-cmp.Difference.Accuracy, reversed.Difference.Accuracy, 15);
        Assert.Equal(cmp.McNemarP, reversed.McNemarP);
    }

    [Fact]
    public void Paired_comparison_checks_its_arguments()
    {
        Assert.Throws<ArgumentException>(() => PairedComparison.Compare([true], [true, false]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PairedComparison.Compare([true], [true], resamples: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PairedComparison.Compare([true], [true], level: 1));
        var empty = PairedComparison.Compare([], []);
        Assert.Equal(0, empty.N);
        Assert.Equal(1, empty.McNemarP);
    }
}
