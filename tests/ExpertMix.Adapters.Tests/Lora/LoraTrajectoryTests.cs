// A 10-step LoRA training trajectory (AdamW on A and B, frozen base) matches PyTorch (tools/golden/lora.py).
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Training;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Tensors.Optim;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Lora;

public class LoraTrajectoryTests
{
    [Theory]
    [MemberData(nameof(LoraFixtures.Models), MemberType = typeof(LoraFixtures))]
    public void Ten_adamw_steps_on_lora_factors_match_pytorch(string model)
    {
        var golden = LoraFixtures.Golden($"lora-train-{model}.safetensors");
        float scaling = float.Parse(golden.Metadata["scaling"], System.Globalization.CultureInfo.InvariantCulture);
        double lr = golden["lr"].Data[0];
        var paths = golden.Tensors.Keys.Where(k => k.StartsWith("init.", StringComparison.Ordinal) && k.EndsWith(".lora_A", StringComparison.Ordinal))
            .Select(k => k["init.".Length..^".lora_A".Length]).ToList();
        using var lm = LoraFixtures.Load(model);
        using var host = new LoraHost(lm);
        var modules = paths.Select(p =>
        {
            var a = golden[$"init.{p}.lora_A"].ToTensor();
            var b = golden[$"init.{p}.lora_B"].ToTensor();
            a.RequiresGrad = true;
            b.RequiresGrad = true;
            return new LoraModule(p, a, b, scaling);
        }).ToList();
        host.Add(new LoraAdapter("t", new LoraConfig { Rank = modules[0].Rank, TargetModules = TargetModules.List(paths) }, modules));
        var factors = host.Parameters("t");
        var opt = new AdamW(factors.Select(f => f.Param), new AdamWOptions(LearningRate: lr, WeightDecay: 0.01));
        long[] batch = golden["batch"].ToInt64();                       // [2, 12]
        int rows = 2, t = batch.Length / rows;
        var trainable = new LoraTrainable(host, host.Adapters[0].Adapter);
        Assert.Equal(factors.Select(f => f.Name), trainable.TrainableParameters.Select(f => f.Name));
        var losses = new double[10];
        for (int step = 0; step < losses.Length; step++)
        {
            var ids = batch.Select(x => (int)x).ToArray();
            using (var scope = TensorScope.Begin())
            {
                var b = new TrainingBatch(Tensor.FromInts(ids, new Shape(rows, t)), Tensor.FromInts(ids, new Shape(rows, t)), Tensor.Ones(new Shape(rows, t)));
                var loss = trainable.Loss(b, ForwardMode.Train);
                losses[step] = loss.Item();
                loss.Backward();
            }
            opt.Step();
            opt.ZeroGrad();
        }
        TensorAssert.Close(golden["losses"].Data.Select(x => (double)x).ToArray(), losses, 0, Tolerances.TrajectoryRelative, "losses");
        foreach (var m in modules)
        {
            TensorAssert.Close(golden[$"final.{m.ModulePath}.lora_A"].Data, m.A.ToArray(), 2e-5, 1e-3, $"{m.ModulePath} A");
            TensorAssert.Close(golden[$"final.{m.ModulePath}.lora_B"].Data, m.B.ToArray(), 2e-5, 1e-3, $"{m.ModulePath} B");
        }
        Assert.All(lm.NamedParameters(), p => Assert.Null(p.Param.Grad));
    }

    [Fact]
    public void The_loss_of_a_right_padded_batch_is_the_token_weighted_loss_of_its_rows()
    {
        using var lm = LoraFixtures.Load("tiny-llama");
        using var host = new LoraHost(lm);
        var adapter = host.CreateAdapter("x", new LoraConfig { Rank = 2, TargetModules = TargetModules.List(["q_proj"]), Init = LoraInit.Random }, new Rng(2));
        var trainable = new LoraTrainable(host, adapter);
        int[] r0 = [5, 9, 13, 200, 7, 1], r1 = [40, 41, 42];
        double Loss(int rows, int[] ids, int[] labels, float[] mask)
        {
            using var scope = TensorScope.Begin();
            var shape = new Shape(rows, ids.Length / rows);
            var b = new TrainingBatch(Tensor.FromInts(ids, shape), Tensor.FromInts(labels, shape), Tensor.FromArray(mask, shape));
            return trainable.Loss(b, ForwardMode.Eval).Item();
        }
        double l0 = Loss(1, r0, r0, [1, 1, 1, 1, 1, 1]);
        double l1 = Loss(1, r1, [-100, 41, 42], [1, 1, 1]);                         // two loss tokens: 41 after 40, 42 after 41
        double padded = Loss(2, [.. r0, .. r1, 0, 0, 0], [.. r0, -100, 41, 42, -100, -100, -100], [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
        Assert.Equal((5 * l0 + 2 * l1) / 7, padded, 5);
    }
}
