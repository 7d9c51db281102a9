// LoraHub-style composition: data sampled from expert A alone; the search must favour A and beat base and uniform weights.
using ExpertMix.Adapters.Adaptation;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Tests.Lora;
using ExpertMix.Adapters.Training;
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Tests.Adaptation;

public class LoraHubComposerTests
{
    private const int Rows = 6, Length = 24;

    // Samples Rows sequences of Length tokens (BOS first) from the host's current composition at temperature 1.
    private static int[] Sample(ICausalLm model, Rng rng, int bos)
    {
        var ids = new int[Rows * Length];
        using var noGrad = Autograd.NoGrad();
        for (int r = 0; r < Rows; r++)
        {
            ids[r * Length] = bos;
            for (int t = 1; t < Length; t++)
            {
                using var scope = TensorScope.Begin();
                using var input = Tensor.FromInts(ids.AsSpan(r * Length, t).ToArray(), new Shape(1, t));
                using var logits = model.Forward(input, new ForwardContext { Logits = LogitsSelection.LastPosition });   // [1, 1, V]
                var row = logits.ToArray();
                double max = row.Max(), sum = row.Sum(x => Math.Exp(x - max)), u = rng.NextDouble() * sum, acc = 0;
                int pick = row.Length - 1;
                for (int v = 0; v < row.Length; v++)
                {
                    acc += Math.Exp(row[v] - max);
                    if (acc >= u) { pick = v; break; }
                }
                ids[r * Length + t] = pick;
            }
        }
        return ids;
    }

    [Fact]
    public void Search_favours_the_expert_that_generated_the_data_and_beats_base_and_uniform_weights()
    {
        using var model = LoraFixtures.Load("tiny-llama");
        using var host = new LoraHost(model);
        var config = new LoraConfig { Rank = 4, Alpha = 32, TargetModules = TargetModules.AllLinear, Init = LoraInit.Random };
        host.CreateAdapter("a", config, new Rng(21));   // attached at weight 1
        host.CreateAdapter("b", config, new Rng(22));
        host.SetWeight("b", 0f);                        // the data comes from expert A alone
        int[] ids = Sample(model, new Rng(5), model.Info.BosTokenId ?? 1);
        using var batch = new TrainingBatch(
            Tensor.FromInts(ids, new Shape(Rows, Length)),                          // [B, T]
            Tensor.FromInts(ids, new Shape(Rows, Length)),                          // [B, T] every token takes loss
            Tensor.FromArray(Enumerable.Repeat(1f, Rows * Length).ToArray(), new Shape(Rows, Length)));   // [B, T]
        string[] names = ["a", "b"];

        var result = LoraHubComposer.Compose(host, names, [batch], new LoraHubOptions { Search = new LoraHubOptions().Search with { Population = 16, Iterations = 8, Seed = 3 } });

        // w* is left on the host.
        Assert.Equal((float)result.Weights[0], host.Adapters.Single(x => x.Adapter.Name == "a").Weight);
        Assert.Equal((float)result.Weights[1], host.Adapters.Single(x => x.Adapter.Name == "b").Weight);

        double uniform = LoraHubComposer.Loss(host, names, [0.5, 0.5], [batch]);
        double baseLoss = LoraHubComposer.Loss(host, names, [0, 0], [batch]);
        Assert.Equal(baseLoss, result.BaseLoss, 9);
        Assert.True(result.Weights[0] > result.Weights[1], $"w = ({result.Weights[0]:f3}, {result.Weights[1]:f3})");
        Assert.True(result.Loss < baseLoss, $"loss {result.Loss:f4} vs base {baseLoss:f4}");
        Assert.True(result.Loss < uniform, $"loss {result.Loss:f4} vs uniform {uniform:f4}");
        Assert.All(result.Weights, w => Assert.InRange(w, -1.5, 1.5));
        Assert.Equal(0.05 * (Math.Abs(result.Weights[0]) + Math.Abs(result.Weights[1])) / 2, result.Penalty, 12);
        Assert.Equal(-result.Loss - result.Penalty, result.Search.BestFitness.Primary, 6);
    }

    [Fact]
    public void Defaults_follow_lorahub_and_bad_inputs_are_rejected()
    {
        var o = new LoraHubOptions();
        Assert.Equal((-1.5, 1.5, 0.05), (o.Lower, o.Upper, o.L1));
        var cem = o.Resolved();
        Assert.Equal(40, cem.Population * cem.Iterations);
        Assert.Equal(0.0, cem.InitialMean);
        Assert.Equal((-1.5, 1.5), (cem.Lower, cem.Upper));
        Assert.Equal(0.05 * 3.0 / 2, LoraHubComposer.Penalty([1.0, -2.0], 0.05), 12);

        using var model = LoraFixtures.Load("tiny-llama");
        using var host = new LoraHost(model);
        using var batch = new TrainingBatch(Tensor.FromInts([1, 2], new Shape(1, 2)), Tensor.FromInts([1, 2], new Shape(1, 2)), Tensor.FromArray([1f, 1f], new Shape(1, 2)));
        var e = Assert.Throws<ArgumentException>(() => LoraHubComposer.Compose(host, ["missing"], [batch], o));
        Assert.Contains("missing", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => LoraHubComposer.Compose(host, [], [batch], o));
    }
}
