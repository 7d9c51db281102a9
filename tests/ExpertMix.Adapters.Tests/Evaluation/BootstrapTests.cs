// Bootstrap interval: degenerate cases, determinism per seed, agreement with the normal approximation, quantiles.
using ExpertMix.Adapters.Evaluation;

namespace ExpertMix.Adapters.Tests.Evaluation;

public sealed class BootstrapTests
{
    [Fact]
    public void All_correct_and_all_wrong_have_zero_width()
    {
        Assert.Equal(new AccuracyInterval(1, 1, 1), Bootstrap.Accuracy(Enumerable.Repeat(true, 20).ToList(), seed: 3));
        Assert.Equal(new AccuracyInterval(0, 0, 0), Bootstrap.Accuracy(Enumerable.Repeat(false, 20).ToList(), seed: 3));
        Assert.Equal(new AccuracyInterval(0, 0, 0), Bootstrap.Accuracy([], seed: 3));
    }

    [Fact]
    public void Half_of_400_matches_the_normal_approximation_and_is_deterministic_for_a_seed()
    {
        var items = Enumerable.Range(0, 400).Select(i => i % 2 == 0).ToList();
        var ci = Bootstrap.Accuracy(items, seed: 1, resamples: 4000);
        // Binomial: sd = sqrt(0.5·0.5/400) = 0.025, so the 95% interval is about 0.5 ± 1.96·0.025 = [0.451, 0.549].
        Assert.Equal(0.5, ci.Accuracy);
        Assert.InRange(ci.Low, 0.44, 0.46);
        Assert.InRange(ci.High, 0.54, 0.56);
        Assert.Equal(ci, Bootstrap.Accuracy(items, seed: 1, resamples: 4000));
    }

    [Fact]
    public void Nearest_rank_quantile_and_mean_sd()
    {
        double[] sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        Assert.Equal(1, Bootstrap.Quantile(sorted, 0.025));
        Assert.Equal(10, Bootstrap.Quantile(sorted, 0.975));
        Assert.Equal(5, Bootstrap.Quantile(sorted, 0.5));
        var (mean, sd) = Bootstrap.MeanSd([1.0, 2.0, 3.0]);
        Assert.Equal(2.0, mean, 12);
        Assert.Equal(1.0, sd, 12);
        Assert.Equal((4.0, 0.0), Bootstrap.MeanSd([4.0]));
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Bootstrap.Accuracy([true], 0, resamples: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Bootstrap.Accuracy([true], 0, level: 1.0));
    }
}
