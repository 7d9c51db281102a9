// DemoCurve.FromMetricsFile reads what the trainer's metrics writer writes (steps, evaluations, NaN, a torn tail, resumes).
using ExpertMix.Adapters.Training;
using static ExpertMix.Cli.Demo.Tests.DemoFixtures;

namespace ExpertMix.Cli.Demo.Tests;

public sealed class DemoCurveTests
{
    [Fact]
    public void The_trainers_metrics_file_becomes_one_point_per_step_with_validation_losses()
    {
        string path = Path.Combine(TempDir(), "metrics.jsonl");
        double[] losses = [3.5, double.NaN, 2.25, 2.0];
        using (var writer = new TrainerMetricsWriter(path, resumeStep: null))
        {
            for (int s = 1; s <= losses.Length; s++)
            {
                writer.WriteStep(new StepMetrics(s, losses.Length, s / 4.0, losses[s - 1], 1e-3, 0.5, 100, 1000, s, TimeSpan.Zero));
                if (s % 2 == 0) writer.WriteEval(new EvalResult(s, 3.0 - (s * 0.25), Math.Exp(3.0 - (s * 0.25)), 50, true));
            }
        }
        File.AppendAllText(path, "{\"step\": 5, \"lo");
        var curve = DemoCurve.FromMetricsFile("lora:x", path);
        Assert.Equal("lora:x", curve.Phase);
        Assert.Equal([1, 2, 3, 4], curve.Points.Select(p => p.Step));
        Assert.Equal(losses, curve.Points.Select(p => p.TrainLoss));
        Assert.Equal([null, 2.5, null, 2.0], curve.Points.Select(p => p.ValidationLoss));
    }

    [Fact]
    public void Policy_dev_losses_and_a_later_line_for_the_same_step_are_read()
    {
        string path = Path.Combine(TempDir(), "metrics.jsonl");
        File.WriteAllLines(path, ["{\"step\":0,\"dev_loss\":1.5}", "{\"step\":1,\"loss\":1.25,\"reward\":0.5}", "{\"step\":1,\"loss\":1.0}", "{\"step\":1,\"dev_loss\":null}"]);
        var curve = DemoCurve.FromMetricsFile("svf:x", path);
        Assert.Equal([0, 1], curve.Points.Select(p => p.Step));
        Assert.True(double.IsNaN(curve.Points[0].TrainLoss));
        Assert.Equal(1.5, curve.Points[0].ValidationLoss);
        Assert.Equal(1.0, curve.Points[1].TrainLoss);
        Assert.True(double.IsNaN(curve.Points[1].ValidationLoss!.Value));
    }

    [Fact]
    public void A_malformed_line_before_the_end_names_the_file_and_line()
    {
        string path = Path.Combine(TempDir(), "metrics.jsonl");
        File.WriteAllLines(path, ["{\"step\":1,\"loss\":1}", "{\"loss\":2}", "{\"step\":3,\"loss\":1}"]);
        var e = Assert.Throws<InvalidDataException>(() => DemoCurve.FromMetricsFile("p", path));
        Assert.Contains($"{path} line 2", e.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => DemoCurve.FromMetricsFile("p", path + ".missing"));
    }
}
