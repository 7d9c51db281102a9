// Learning-rate schedules vs transformers' formulas at boundary steps.
using ExpertMix.Tensors.Optim;

namespace ExpertMix.Tensors.Tests;

public class OptimScheduleTests
{
    // transformers: lr_lambda(step) = step/max(1,W) if step < W else max(0, (T-step)/max(1, T-W))
    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(1, 0.1)]
    [InlineData(5, 0.5)]
    [InlineData(9, 0.9)]
    [InlineData(10, 1.0)]
    [InlineData(60, 0.5)]
    [InlineData(109, 0.01)]
    [InlineData(110, 0.0)]
    [InlineData(500, 0.0)]
    public void Linear_warmup_linear_decay_matches_transformers(int step, double factor)
    {
        var s = new LinearWarmupLinearDecaySchedule(2e-3, warmupSteps: 10, totalSteps: 110);
        Assert.Equal(factor, s.Factor(step), 12);
        Assert.Equal(2e-3 * factor, ((ILrSchedule)s).LearningRate(step), 15);
    }

    // transformers: progress = (step-W)/max(1,T-W); max(0, 0.5*(1+cos(pi*0.5*2*progress)))
    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(2, 0.5)]
    [InlineData(4, 1.0)]
    [InlineData(54, 0.5)]
    [InlineData(29, 0.8535533905932737)] // progress 0.25: (1+cos(pi/4))/2
    [InlineData(104, 0.0)]
    [InlineData(300, 0.0)] // beyond the end: cos comes back up but max(0,…) on 1+cos ≥ 0; see note below
    public void Cosine_warmup_decay_matches_transformers(int step, double factor)
    {
        var s = new LinearWarmupCosineDecaySchedule(1.0, warmupSteps: 4, totalSteps: 104);
        double expected = step == 300 ? 0.5 * (1 + Math.Cos(Math.PI * 2.96)) : factor; // transformers does not clamp progress
        Assert.Equal(expected, s.Factor(step), 12);
    }

    [Theory]
    [InlineData(4, 1.0)]
    [InlineData(54, 0.55)]
    [InlineData(104, 0.1)]
    public void Cosine_min_lr_ratio_floors_the_decay(int step, double factor)
    {
        var s = new LinearWarmupCosineDecaySchedule(1.0, 4, 104, minLrRatio: 0.1);
        Assert.Equal(factor, s.Factor(step), 12);
        Assert.Equal(2.0 / 4, s.Factor(2), 12); // warm-up is not floored
    }

    [Fact]
    public void Linear_min_lr_ratio_floors_the_decay()
    {
        var s = new LinearWarmupLinearDecaySchedule(1.0, 0, 100, minLrRatio: 0.2);
        Assert.Equal(1.0, s.Factor(0), 12);
        Assert.Equal(0.6, s.Factor(50), 12);
        Assert.Equal(0.2, s.Factor(100), 12);
        Assert.Equal(0.2, s.Factor(1000), 12);
    }

    [Fact]
    public void Constant_schedule_with_and_without_warmup()
    {
        Assert.Equal(1.0, new ConstantSchedule(1e-3).Factor(0));
        var w = new ConstantSchedule(1e-3, warmupSteps: 4);
        Assert.Equal(new[] { 0.0, 0.25, 0.5, 0.75, 1.0, 1.0 }, Enumerable.Range(0, 6).Select(w.Factor));
    }

    [Fact]
    public void Zero_warmup_starts_at_full_rate()
    {
        Assert.Equal(1.0, new LinearWarmupLinearDecaySchedule(1, 0, 10).Factor(0));
        Assert.Equal(1.0, new LinearWarmupCosineDecaySchedule(1, 0, 10).Factor(0));
    }

    [Fact]
    public void Invalid_arguments_throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearWarmupLinearDecaySchedule(1, 10, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearWarmupCosineDecaySchedule(1, 0, 5, minLrRatio: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSchedule(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSchedule(1).Factor(-1));
    }

    [Fact]
    public void ApplySchedule_scales_each_group_base_rate()
    {
        using var a = Tensor.Zeros(new Shape(1));
        using var b = Tensor.Zeros(new Shape(1));
        a.Name = "a";
        b.Name = "b";
        using var opt = new AdamW([
            new ParameterGroup("g1", [a], new AdamWOptions(1e-2)),
            new ParameterGroup("g2", [b], new AdamWOptions(4e-2)),
        ]);
        opt.ApplySchedule(new LinearWarmupLinearDecaySchedule(123, 10, 20), 5);
        Assert.Equal(5e-3, opt.Groups[0].LearningRate, 15);
        Assert.Equal(2e-2, opt.Groups[1].LearningRate, 15);
    }
}
