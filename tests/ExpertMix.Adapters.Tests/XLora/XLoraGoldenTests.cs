// X-LoRA against the plain-PyTorch reference of tools/golden/xlora.py: checkpoints in both layouts load and give
// PyTorch's scaling-pass hidden states, scalings and logits; one-hot gates; a 5-step gate-training trajectory.
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Tests.Lora;
using ExpertMix.Adapters.Training;
using ExpertMix.Adapters.XLora;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Tensors.Optim;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.XLora;

public class XLoraGoldenTests
{
    public static readonly TheoryData<string, string> Fixtures = new()
    {
        { "tiny-llama", "xlora-tiny-llama" }, { "tiny-llama", "xlora-tiny-llama-peft" }, { "tiny-gpt2", "xlora-tiny-gpt2" },
    };

    private static string Dir(string fixture) => Path.Combine(AppContext.BaseDirectory, "Golden", fixture);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Checkpoints_give_pytorchs_hidden_states_scalings_and_logits(string model, string fixture)
    {
        var golden = LoraFixtures.Golden($"xlora-forward-{model}.safetensors");
        using var xl = XLoraFormat.Load(LoraFixtures.Load(model), Dir(fixture));
        Assert.Equal(System.Text.Json.JsonSerializer.Deserialize<string[]>(golden.Meta("layers")), xl.Layers);
        var ids = golden["input_ids"];
        using var scope = TensorScope.Begin();
        var input = XLoraFixtures.Ids(ids.ToInt64(), ids.Shape[0]);
        TensorAssert.Close(golden["scalings"].Data, Expand(xl.Scalings(input, new ForwardContext()), xl.Layers.Count), 1e-5, what: "λ");
        TensorAssert.Close(golden["logits"].Data, xl.Forward(input, new ForwardContext()).ToArray(), Tolerances.TinyLogitsAbs, what: "real-pass logits");
        if (golden.Tensors.ContainsKey("scalings_topk"))
        {
            TensorAssert.Close(golden["scalings_topk"].Data, Expand(XLoraTopK.Apply(xl.LatestScalings!, xl.Config.TopKLora!.Value, xl.Config.EnableSoftmaxTopK), xl.Layers.Count), 1e-5, what: "λ after top-k");
        }
    }

    [Theory]
    [MemberData(nameof(XLoraFixtures.Models), MemberType = typeof(XLoraFixtures))]
    public void The_scaling_pass_hidden_states_match_including_c_times_g_when_c_is_not_zero(string model)
    {
        var golden = LoraFixtures.Golden($"xlora-forward-{model}.safetensors");
        using var xl = XLoraFormat.Load(LoraFixtures.Load(model), Dir($"xlora-{model}"));
        var ids = golden["input_ids"];
        using var scope = TensorScope.Begin();
        var input = XLoraFixtures.Ids(ids.ToInt64(), ids.Shape[0]);
        var hidden = xl.ScalingPassHidden(input, new ForwardContext()).ToArray();
        TensorAssert.Close(golden["hidden_scaling_pass"].Data, hidden, 1e-5, what: $"scaling-pass hidden (c = {xl.Config.ResolvedScalingPassValue}, g = {xl.Config.GlobalScalingWeight})");
    }

    [Theory]
    [MemberData(nameof(XLoraFixtures.Models), MemberType = typeof(XLoraFixtures))]
    public void One_hot_scalings_give_pytorchs_single_expert_logits(string model)
    {
        var golden = LoraFixtures.Golden($"xlora-forward-{model}.safetensors");
        var source = XLoraFormat.ReadConfig(Dir($"xlora-{model}")).Config;
        using var xl = XLoraFormat.Load(LoraFixtures.Load(model), Dir($"xlora-{model}"));
        var ids = golden["input_ids"];
        for (int i = 0; i < 3; i++)
        {
            // The same experts under a gate that outputs e_i for every token and module (softmax and top-k off).
            var config = source with { EnableSoftmax = false, TopKLora = null, EnableSoftmaxTopK = false, XLoraDepth = 1, LayerwiseScalings = false };
            var lm = LoraFixtures.Load(model);
            var experts = config.Adapters.Select(a => PeftFormat.Load(Path.Combine(Dir($"xlora-{model}"), a.Key), a.Key)).ToList();
            using var onehot = new XLoraModel(lm, config, experts);
            XLoraFixtures.ConstantGate(onehot, [.. Enumerable.Range(0, 3).Select(j => j == i ? 1f : 0f)]);
            TensorAssert.Close(golden[$"logits_onehot_{i}"].Data, XLoraFixtures.Logits(onehot, ids.ToInt64(), ids.Shape[0]), 2e-5, 1e-6, $"one-hot on expert {i}");
        }
        Assert.Equal(3, xl.Config.ExpertCount);
    }

    [Fact]
    public void Five_gate_training_steps_follow_the_pytorch_trajectory()
    {
        var golden = LoraFixtures.Golden("xlora-train-tiny-llama.safetensors");
        var dir = Dir("xlora-tiny-llama");
        var config = XLoraFormat.ReadConfig(dir).Config with { XLoraDropoutP = 0f };
        var lm = LoraFixtures.Load("tiny-llama");
        var experts = config.Adapters.Select(a => PeftFormat.Load(Path.Combine(dir, a.Key), a.Key)).ToList();
        int layers = 14;
        var init = golden.Tensors.Where(t => t.Key.StartsWith("init.", StringComparison.Ordinal))
            .ToDictionary(t => t.Key["init.".Length..], t => TensorScope.Forget(t.Value.ToTensor()));
        using var xl = new XLoraModel(lm, config, experts, new XLoraClassifier(config, layers, init, "golden init"));
        var trainable = new XLoraTrainable(xl, (_, _) => { });
        var ids = golden["input_ids"];
        long[] values = ids.ToInt64();
        using var batch = new TrainingBatch(XLoraFixtures.Ids(values, ids.Shape[0]), XLoraFixtures.Ids(values, ids.Shape[0]),
            Tensor.FromInts([.. Enumerable.Repeat(1, values.Length)], new Shape(ids.Shape[0], ids.Shape[1])));
        using var opt = new AdamW(trainable.TrainableParameters.Select(p => p.Param), new AdamWOptions(LearningRate: 1e-2, WeightDecay: 0));
        var losses = new List<double>();
        for (int step = 0; step < 5; step++)
        {
            using (var scope = TensorScope.Begin())
            {
                var loss = trainable.Loss(batch, ForwardMode.Train);
                losses.Add(loss.Item());
                loss.Backward();
            }
            opt.Step();
            opt.ZeroGrad();
        }
        TensorAssert.Close(golden["losses"].Data.Select(v => (double)v).ToArray(), [.. losses], 1e-4, 1e-5, "losses");
        foreach (var (name, p) in xl.Classifier.NamedParameters())
        {
            TensorAssert.Close(golden[$"final.{name}"].Data, p.ToArray(), 1e-4, what: $"final {name}");
        }
    }

    /// <summary>λ [B, T, Lx, n] as [B, T, L, n] (a non-layerwise gate's one row repeated for every module).</summary>
    private static float[] Expand(Tensor lambda, int layers)
    {
        int b = lambda.Size(0), t = lambda.Size(1), lx = lambda.Size(2), n = lambda.Size(3);
        var v = lambda.ToArray();
        var y = new float[b * t * layers * n];
        for (int bt = 0; bt < b * t; bt++)
        {
            for (int l = 0; l < layers; l++) Array.Copy(v, (bt * lx + (lx == 1 ? 0 : l)) * n, y, (bt * layers + l) * n, n);
        }
        return y;
    }
}
