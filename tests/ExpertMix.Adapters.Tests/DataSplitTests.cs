// Train/validation split: deterministic by seed, disjoint, covering, sized as asked, order kept.
using ExpertMix.Adapters.Training.Data;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Tests;

public sealed class DataSplitTests
{
    private static readonly int[] Items = Enumerable.Range(0, 100).ToArray();

    [Fact]
    public void Same_seed_gives_the_same_split_and_another_seed_another()
    {
        var a = DataSplit.Split(Items, ValidationSize.OfFraction(0.2), 42);
        var b = DataSplit.Split(Items, ValidationSize.OfFraction(0.2), 42);
        var c = DataSplit.Split(Items, ValidationSize.OfFraction(0.2), 43);
        Assert.Equal(a.Validation, b.Validation);
        Assert.Equal(a.Train, b.Train);
        Assert.NotEqual(a.Validation, c.Validation);
    }

    [Theory]
    [InlineData(0.1, -1, 10)]
    [InlineData(0.0, -1, 0)]
    [InlineData(0.999, -1, 99)]
    [InlineData(0.0, 7, 7)]
    public void Sets_are_disjoint_cover_everything_have_the_asked_size_and_keep_order(double fraction, int count, int expected)
    {
        var size = count >= 0 ? ValidationSize.OfCount(count) : ValidationSize.OfFraction(fraction);
        var (train, validation) = DataSplit.Split(Items, size, 5);
        Assert.Equal(expected, validation.Count);
        Assert.Empty(train.Intersect(validation));
        Assert.Equal(Items, train.Concat(validation).Order());
        Assert.Equal(train.Order(), train);
        Assert.Equal(validation.Order(), validation);
    }

    [Fact]
    public void Validation_takes_the_head_of_the_seeded_Fisher_Yates_permutation()
    {
        var perm = DataSplit.Permutation(100, new Rng(9));
        Assert.Equal(Items, perm.Order());
        var (_, validation) = DataSplit.Split(Items, ValidationSize.OfCount(13), 9);
        Assert.Equal(perm.Take(13).Order(), validation);
        var (trainIdx, validationIdx) = DataSplit.Indices(100, ValidationSize.OfCount(13), 9);
        Assert.Equal(validation, validationIdx);
        Assert.Equal(Items.Except(validation), trainIdx);
    }

    [Fact]
    public void Impossible_sizes_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ValidationSize.OfFraction(1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ValidationSize.OfCount(-1));
        Assert.Throws<ArgumentException>(() => DataSplit.Split(Items, ValidationSize.OfCount(100), 1));
    }
}
