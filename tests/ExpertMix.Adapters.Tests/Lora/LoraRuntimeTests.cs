// LoRA at the linear seam: PEFT fixtures give PyTorch's logits, several adapters mix with weights, merge/unmerge are exact.
using ExpertMix.Adapters.Lora;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Lora;

public class LoraRuntimeTests
{
    [Theory]
    [MemberData(nameof(LoraFixtures.Models), MemberType = typeof(LoraFixtures))]
    public void Peft_adapters_give_the_pytorch_logits_alone_and_mixed_with_a_negative_weight(string model)
    {
        var golden = LoraFixtures.Golden($"lora-logits-{model}.safetensors");
        long[] ids = golden["input_ids"].ToInt64();
        using var lm = LoraFixtures.Load(model);
        TensorAssert.Close(golden["logits_base"].Data, LoraFixtures.Logits(lm, ids), Tolerances.TinyLogitsAbs, what: "base");
        using var host = new LoraHost(lm);
        host.Add(PeftFormat.Load(LoraFixtures.AdapterDir(model, "a"), "a"));
        TensorAssert.Close(golden["logits_a"].Data, LoraFixtures.Logits(lm, ids), Tolerances.TinyLogitsAbs, what: "adapter a");
        host.Add(PeftFormat.Load(LoraFixtures.AdapterDir(model, "b"), "b"), -0.5f);
        TensorAssert.Close(golden["logits_ab"].Data, LoraFixtures.Logits(lm, ids), Tolerances.TinyLogitsAbs, what: "a − 0.5·b");
        host.SetWeight("b", 0f);
        TensorAssert.Close(golden["logits_a"].Data, LoraFixtures.Logits(lm, ids), Tolerances.TinyLogitsAbs, what: "b disabled");
    }

    [Theory]
    [MemberData(nameof(LoraFixtures.Models), MemberType = typeof(LoraFixtures))]
    public void Merged_logits_equal_unmerged_and_unmerge_restores_the_base_bit_for_bit(string model)
    {
        long[] ids = [3, 17, 200, 45, 9, 120, 77, 5];
        using var lm = LoraFixtures.Load(model);
        var baseLogits = LoraFixtures.Logits(lm, ids);
        var baseWeights = lm.NamedParameters().Select(p => p.Param.ToArray()).ToList();
        using var host = new LoraHost(lm);
        host.Add(PeftFormat.Load(LoraFixtures.AdapterDir(model, "a"), "a"), 0.7f);
        host.Add(PeftFormat.Load(LoraFixtures.AdapterDir(model, "b"), "b"), -1.3f);
        var unmerged = LoraFixtures.Logits(lm, ids);
        Assert.True(ModelDiff(baseLogits, unmerged) > 1e-2, "the adapters must change the logits");
        host.Merge();
        host.Merge(); // idempotent
        var merged = LoraFixtures.Logits(lm, ids);
        TensorAssert.Close(unmerged, merged, 1e-4, 1e-4, "merged vs unmerged");
        Assert.Throws<InvalidOperationException>(() => host.SetWeight("a", 1f));
        host.Unmerge();
        TensorAssert.Close(unmerged, LoraFixtures.Logits(lm, ids), 1e-5, what: "unmerged again");
        host.Dispose();
        TensorAssert.BitEqual(baseLogits, LoraFixtures.Logits(lm, ids), "after removing the adapters");
        var after = lm.NamedParameters().Select(p => p.Param.ToArray()).ToList();
        for (int i = 0; i < after.Count; i++) TensorAssert.BitEqual(baseWeights[i], after[i], "base weight");
        Assert.All(lm.Linears, s => Assert.IsNotType<LoraLinear>(s.Module));
    }

    [Fact]
    public void Conv1D_merge_transposes_by_module_type_on_the_square_c_proj()
    {
        using var lm = LoraFixtures.Load("tiny-gpt2");
        var slot = lm.Linears.Single(s => s.ModulePath == "transformer.h.0.attn.c_proj");
        Assert.Equal(slot.Module.InFeatures, slot.Module.OutFeatures);
        using var w0 = slot.Module.EffectiveWeight();                                     // [out, in]
        using var host = new LoraHost(lm);
        var adapter = host.CreateAdapter("x", new LoraConfig { Rank = 2, Alpha = 4, TargetModules = TargetModules.List(["attn.c_proj"]), Init = LoraInit.Random }, new Rng(5));
        var m = adapter.Modules["transformer.h.0.attn.c_proj"];
        using var delta = m.Delta();                                                      // s·B·A [out, in], not symmetric
        var d = delta.ToArray();
        int n = slot.Module.InFeatures;
        Assert.True(Math.Abs(d[1] - d[n]) > 1e-4, "the test delta must not be symmetric");
        host.Merge();
        using var merged = slot.Module.EffectiveWeight();
        var expected = w0.ToArray().Zip(d, (w, x) => w + x).ToArray();
        TensorAssert.Close(expected, merged.ToArray(), 1e-6, 1e-6, "W + ΔW in [out, in]");
        // the forward agrees: y = x·W'ᵀ + b for a one-hot x picks column j of W'
        host.Unmerge();
        using var x = Tensor.Zeros(new Shape(1, n));
        x.Span[3] = 1f;
        using var y = slot.Module.Forward(x, new ForwardContext());                       // [1, out]
        using var yBase = ((LoraLinear)slot.Module).Base.Forward(x, new ForwardContext());
        var col = Enumerable.Range(0, n).Select(o => d[o * n + 3]).ToArray();
        TensorAssert.Close(col, y.ToArray().Zip(yBase.ToArray(), (a, b) => a - b).ToArray(), 1e-5, what: "branch output = ΔW[:, 3]");
    }

    [Fact]
    public void An_adapter_for_another_base_is_refused_naming_the_module_and_shapes()
    {
        using var gpt = LoraFixtures.Load("tiny-gpt2");
        using var host = new LoraHost(gpt);
        var foreign = Assert.Throws<ArgumentException>(() => host.Add(PeftFormat.Load(LoraFixtures.AdapterDir("tiny-llama", "a"))));
        Assert.Contains("model.layers.0.self_attn.q_proj", foreign.Message);
        Assert.Contains("does not fit this base model", foreign.Message);

        var cfg = new LoraConfig { Rank = 2, TargetModules = TargetModules.List(["c_attn"]) };
        var wrong = new LoraModule("transformer.h.0.attn.c_attn", Tensor.Zeros(new Shape(2, 32)), Tensor.Zeros(new Shape(192, 2)), 1f);
        var e = Assert.Throws<ArgumentException>(() => host.Add(new LoraAdapter("w", cfg, [wrong])));
        Assert.Contains("transformer.h.0.attn.c_attn", e.Message);
        Assert.Contains("[2, 32]", e.Message);
        Assert.Contains("[r, 64]", e.Message);
        Assert.Empty(host.Adapters);
        Assert.All(gpt.Linears, s => Assert.IsNotType<LoraLinear>(s.Module));
    }

    [Fact]
    public void A_target_list_that_matches_nothing_lists_the_models_linear_modules()
    {
        using var lm = LoraFixtures.Load("tiny-llama");
        using var host = new LoraHost(lm);
        var e = Assert.Throws<ArgumentException>(() => host.CreateAdapter("x", new LoraConfig { TargetModules = TargetModules.List(["c_attn"]) }, new Rng(1)));
        Assert.Contains("q_proj", e.Message);
        Assert.Contains("down_proj", e.Message);
        Assert.Contains("c_attn", e.Message);
    }

    [Fact]
    public void All_linear_skips_the_output_head_and_new_adapters_start_as_a_no_op_with_peft_init()
    {
        using var lm = LoraFixtures.Load("tiny-llama");
        long[] ids = [5, 6, 7, 8];
        var before = LoraFixtures.Logits(lm, ids);
        using var host = new LoraHost(lm);
        var a = host.CreateAdapter("x", new LoraConfig { Rank = 4, Alpha = 8, TargetModules = TargetModules.AllLinear }, new Rng(9));
        Assert.DoesNotContain("lm_head", a.Modules.Keys);
        Assert.Equal(lm.Linears.Count - 1, a.Modules.Count);
        foreach (var m in a.Modules.Values)
        {
            Assert.All(m.B.ToArray(), v => Assert.Equal(0f, v));
            float bound = 1f / MathF.Sqrt(m.InFeatures);
            var av = m.A.ToArray();
            Assert.All(av, v => Assert.InRange(v, -bound, bound));
            Assert.True(av.Max() > 0.8f * bound && av.Min() < -0.8f * bound, "A spans the Kaiming-uniform range");
            Assert.True(m.A.RequiresGrad && m.B.RequiresGrad);
            Assert.Equal(2f, m.Scaling);
        }
        TensorAssert.BitEqual(before, LoraFixtures.Logits(lm, ids), "B = 0 → no-op");
    }

    private static double ModelDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
}
