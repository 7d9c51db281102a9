// Gradients flow from a language-model loss to every parameter (LoRA training builds on this), and linears are replaceable.
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models.Tests;

public class TrainingThroughModelTests
{
    public static TheoryData<string> Models => TinyModels.All;

    [Theory]
    [MemberData(nameof(Models))]
    public void A_next_token_loss_backpropagates_finite_gradients_to_every_parameter(string name)
    {
        using var model = CausalLm.Load(TinyModels.Dir(name), new LoadOptions(DType: DTypePolicy.F32));
        var parameters = model.NamedParameters().ToList();
        foreach (var (_, p) in parameters) p.RequiresGrad = true;
        long[][] rows = [[3, 17, 200, 45, 9, 120, 77, 5], [250, 33, 64, 128, 1, 99, 180, 42]];
        using var ids = ModelRunner.Ids(rows);
        using var logits = model.Forward(ids, new ForwardContext { Mode = ForwardMode.Train });    // [2, 8, V]
        using var shifted = logits.Narrow(1, 0, 7);                                                 // predict t+1 from t
        using var flat = shifted.Reshape(14, model.Info.VocabSize);
        var targets = rows.SelectMany(r => r[1..].Select(x => (int)x)).ToArray();
        using var targetT = Tensor.FromInts(targets, new Shape(14));
        using var loss = Ops.CrossEntropy(flat, targetT);
        Assert.True(float.IsFinite(loss.Item()) && loss.Item() > 0);
        loss.Backward();
        foreach (var (path, p) in parameters)
        {
            Assert.True(p.Grad is not null, $"{name}: {path} got no gradient");
            Assert.Equal(p.Shape, p.Grad!.Shape);
            var g = p.Grad.ToArray();
            Assert.True(g.All(float.IsFinite), $"{name}: {path} has a non-finite gradient");
            Assert.True(g.Any(x => x != 0), $"{name}: {path} has an all-zero gradient");
        }
        foreach (var (_, p) in parameters)
        {
            p.Grad?.Dispose();
            p.Grad = null;
        }
    }

    [Fact]
    public void With_a_frozen_base_only_the_trainable_parameter_gets_a_gradient_and_eval_forwards_are_unchanged()
    {
        using var model = CausalLm.Load(TinyModels.Dir("tiny-llama"), new LoadOptions(DType: DTypePolicy.F32));
        var ids = TinyModels.Reference("tiny-llama")["input_ids"].ToInt64();
        var before = ModelRunner.Logits(model, ids);
        var trainable = model.NamedParameters().Single(p => p.Path == "model.layers.1.self_attn.q_proj.weight").Param;
        trainable.RequiresGrad = true;
        using (var scope = TensorScope.Begin())
        {
            using var input = ModelRunner.Ids([ids]);
            var logits = model.Forward(input, new ForwardContext { Mode = ForwardMode.Train });
            var loss = Ops.Sum(logits);
            loss.Backward();
        }
        Assert.NotNull(trainable.Grad);
        Assert.Contains(trainable.Grad!.ToArray(), g => g != 0);
        Assert.All(model.NamedParameters().Where(p => !ReferenceEquals(p.Param, trainable)), p => Assert.Null(p.Param.Grad));
        trainable.Grad.Dispose();
        trainable.Grad = null;
        trainable.RequiresGrad = false;
        Assert.Equal(before, ModelRunner.Logits(model, ids));
    }

    [Fact]
    public void Every_projection_is_reachable_through_a_replaceable_slot_named_by_its_hf_path()
    {
        using var llama = CausalLm.Load(TinyModels.Dir("tiny-llama"));
        var paths = llama.Linears.Select(s => s.ModulePath).ToList();
        Assert.Equal(2 * 7 + 1, paths.Count);
        Assert.Contains("model.layers.0.self_attn.q_proj", paths);
        Assert.Contains("model.layers.1.mlp.down_proj", paths);
        Assert.Equal("lm_head", paths[^1]);

        using var gpt = CausalLm.Load(TinyModels.Dir("tiny-gpt2"));
        Assert.Equal(
            ["transformer.h.0.attn.c_attn", "transformer.h.0.attn.c_proj", "transformer.h.0.mlp.c_fc", "transformer.h.0.mlp.c_proj"],
            gpt.Linears.Take(4).Select(s => s.ModulePath));

        // A wrapper placed in a slot is what the model calls: doubling lm_head doubles the logits.
        long[] ids = [3, 17, 200, 45];
        var before = ModelRunner.Logits(llama, ids);
        var slot = llama.Linears[^1];
        var original = slot.Module;
        slot.Module = new ScaledLinear(original, 2f);
        var after = ModelRunner.Logits(llama, ids);
        slot.Module = original;
        for (int i = 0; i < before.Length; i++) Assert.Equal(2 * before[i], after[i], 4);
        Assert.Equal(before, ModelRunner.Logits(llama, ids));
    }

    [Fact]
    public void Conv1d_projections_expose_the_checkpoint_weight_transposed_to_out_by_in()
    {
        using var gpt = CausalLm.Load(TinyModels.Dir("tiny-gpt2"));
        var cAttn = gpt.Linears[0].Module;
        Assert.Equal((64, 192), (cAttn.InFeatures, cAttn.OutFeatures));
        using var effective = cAttn.EffectiveWeight();
        Assert.Equal(new Shape(192, 64), effective.Shape);
        Assert.Null(cAttn.DeltaWeight());
        using var file = Tensors.IO.SafetensorsFile.Open(Path.Combine(TinyModels.Dir("tiny-gpt2"), "model.safetensors"));
        using var stored = file.GetTensor("transformer.h.0.attn.c_attn.weight");   // [in, out] = [64, 192]
        using var storedT = stored.Transpose(0, 1);
        Assert.Equal(storedT.Contiguous().ToArray(), effective.ToArray());
    }

    private sealed class ScaledLinear(ILinearLike inner, float scale) : ILinearLike
    {
        public string ModulePath => inner.ModulePath;
        public int InFeatures => inner.InFeatures;
        public int OutFeatures => inner.OutFeatures;

        public Tensor Forward(Tensor x, ForwardContext ctx)
        {
            using var y = inner.Forward(x, ctx);
            return Ops.Mul(y, scale);
        }

        public Tensor EffectiveWeight()
        {
            using var w = inner.EffectiveWeight();
            return Ops.Mul(w, scale);
        }

        public Tensor? DeltaWeight() => null;
        public void Merge() { }
        public void Unmerge() { }
        public IEnumerable<(string Path, Tensor Param)> NamedParameters() => inner.NamedParameters();
    }
}
