// A 10-step LoRA training trajectory (AdamW on A and B, frozen base) matches PyTorch (tools/golden/lora.py).
using ExpertMix.Adapters.Lora;
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
        int rows = 2, t = batch.Length / rows, v = lm.Info.VocabSize;
        var targets = Enumerable.Range(0, rows).SelectMany(r => batch.Skip(r * t + 1).Take(t - 1)).Select(x => (int)x).ToArray();
        var losses = new double[10];
        for (int step = 0; step < losses.Length; step++)
        {
            using (var scope = TensorScope.Begin())
            {
                var ids = Tensor.Empty(new Shape(rows, t), DType.I64);
                batch.CopyTo(ids.AsSpan<long>());
                var logits = lm.Forward(ids, new ForwardContext { Mode = ForwardMode.Train });   // [2, 12, V]
                var flat = logits.Narrow(1, 0, t - 1).Reshape(rows * (t - 1), v);                 // [22, V]
                var loss = Ops.CrossEntropy(flat, Tensor.FromInts(targets, new Shape(targets.Length)));
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
}
