// X-LoRA forward properties (spec §10 "Forward"): base scaling pass, softmax/temperature, layer order, one-hot = LoRA,
// top-k, fused = per-expert loop, per-token independence, padding, dropout modes.
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Tests.Lora;
using ExpertMix.Adapters.XLora;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.XLora;

public class XLoraForwardTests
{
    private static readonly long[] Seq = [3, 17, 200, 45, 9, 120, 77, 5, 250, 33];

    [Theory]
    [MemberData(nameof(XLoraFixtures.Models), MemberType = typeof(XLoraFixtures))]
    public void With_scaling_pass_value_zero_the_gate_reads_the_base_models_hidden_states_exactly(string model)
    {
        using var xl = XLoraFixtures.Create(model);
        using var plain = LoraFixtures.Load(model);
        using var scope = TensorScope.Begin();
        var ids = XLoraFixtures.Ids(Seq);
        var hidden = plain.Forward(ids, new ForwardContext { Output = ModelOutput.LastHiddenState });           // [1, T, H]
        Assert.Equal([1, Seq.Length, plain.Info.HiddenSize], hidden.Shape.ToArray());
        var viaBase = xl.Base.Forward(ids, new ForwardContext { Output = ModelOutput.LastHiddenState });       // experts attached at weight 0
        TensorAssert.BitEqual(hidden.ToArray(), viaBase.ToArray(), "hidden states through the wrapped base");
        var expected = xl.Classifier.Scalings(xl.Classifier.Logits(hidden, ForwardMode.Eval, null));
        TensorAssert.BitEqual(expected.ToArray(), xl.Scalings(ids, new ForwardContext()).ToArray(), "λ from the scaling pass");
        TensorAssert.BitEqual(LoraFixtures.Logits(plain, Seq), XLoraFixtures.Logits(xl.Base, Seq), "disabling the mixing gives the base logits");
    }

    [Fact]
    public void Softmax_rows_sum_to_one_and_the_temperature_divides_the_logits()
    {
        using var xl = XLoraFixtures.Create("tiny-llama", c => c with { LayerwiseScalings = true, SoftmaxTemperature = 0.5f });
        using var scope = TensorScope.Begin();
        var ids = XLoraFixtures.Ids(Seq);
        var lambda = xl.Scalings(ids, new ForwardContext());                                                    // [1, T, L, n]
        int n = 3;
        Assert.Equal([1, Seq.Length, xl.Layers.Count, n], lambda.Shape.ToArray());
        var values = lambda.ToArray();
        for (int o = 0; o < values.Length; o += n) Assert.InRange(values[o] + values[o + 1] + values[o + 2], 1 - 1e-6, 1 + 1e-6);
        var hidden = xl.Base.Forward(ids, new ForwardContext { Output = ModelOutput.LastHiddenState });
        var logits = xl.Classifier.Logits(hidden, ForwardMode.Eval, null).ToArray();                           // [1, T, L·n]
        for (int o = 0; o < logits.Length; o += n)
        {
            double z = 0;
            for (int i = 0; i < n; i++) z += Math.Exp(logits[o + i] / 0.5);
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(Math.Exp(logits[o + i] / 0.5) / z - values[o + i]) < 1e-6, $"λ[{o + i}] = {values[o + i]} vs softmax(logits / T) = {Math.Exp(logits[o + i] / 0.5) / z}");
        }
        Assert.True(values.Max() - values.Min() > 0.3, "the test gate must give clearly non-uniform scalings");
    }

    [Fact]
    public void Layerwise_scalings_take_unit_l_times_n_plus_i()
    {
        var config = new XLoraConfig { HiddenSize = 4, Adapters = [new("x", "x"), new("y", "y"), new("z", "z")], LayerwiseScalings = true, EnableSoftmax = false };
        using var gate = new XLoraClassifier(config, 5, XLoraGateInit.Default, new Rng(1));
        using var scope = TensorScope.Begin();
        var units = Tensor.FromArray([.. Enumerable.Range(0, 2 * 15).Select(v => (float)v)], new Shape(1, 2, 15));  // [B=1, T=2, L·n]
        var lambda = gate.Scalings(units);                                                                        // [1, 2, 5, 3]
        var v = lambda.ToArray();
        for (int t = 0; t < 2; t++)
        {
            for (int l = 0; l < 5; l++)
            {
                for (int i = 0; i < 3; i++) Assert.Equal(t * 15 + l * 3 + i, v[((t * 5) + l) * 3 + i]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(XLoraFixtures.Models), MemberType = typeof(XLoraFixtures))]
    public void A_one_hot_gate_reproduces_each_lora_expert_alone_times_the_global_weight(string model)
    {
        const float g = 0.8f;
        using var xl = XLoraFixtures.Create(model, c => c with { EnableSoftmax = false, GlobalScalingWeight = g });
        using var plain = LoraFixtures.Load(model);
        using var host = new LoraHost(plain);
        foreach (var e in XLoraFixtures.Experts(plain)) host.Add(e, 0f);
        for (int i = 0; i < 3; i++)
        {
            XLoraFixtures.ConstantGate(xl, [.. Enumerable.Range(0, 3).Select(j => j == i ? 1f : 0f)]);
            foreach (var name in new[] { "a", "b", "c" }) host.SetWeight(name, name == "abc"[i].ToString() ? g : 0f);
            var expected = LoraFixtures.Logits(plain, Seq);
            TensorAssert.Close(expected, XLoraFixtures.Logits(xl, Seq), 1e-5, what: $"one-hot on expert {i}");
        }
    }

    [Theory]
    [MemberData(nameof(XLoraFixtures.Models), MemberType = typeof(XLoraFixtures))]
    public void Equal_scalings_with_softmax_off_give_the_scaled_sum_of_the_experts(string model)
    {
        using var xl = XLoraFixtures.Create(model, c => c with { EnableSoftmax = false, GlobalScalingWeight = 1.5f });
        XLoraFixtures.ConstantGate(xl, [0.4f, 0.4f, 0.4f]);
        using var plain = LoraFixtures.Load(model);
        using var host = new LoraHost(plain);
        foreach (var e in XLoraFixtures.Experts(plain)) host.Add(e, 0.4f * 1.5f);
        TensorAssert.Close(LoraFixtures.Logits(plain, Seq), XLoraFixtures.Logits(xl, Seq), 1e-5, what: "λ = 0.4 for every expert, g = 1.5");
    }

    [Theory]
    [MemberData(nameof(XLoraFixtures.Models), MemberType = typeof(XLoraFixtures))]
    public void The_fused_rank_space_kernel_matches_the_per_expert_loop_for_unequal_ranks_and_batches(string model)
    {
        using var xl = XLoraFixtures.Create(model, c => c with { LayerwiseScalings = true, ScalingPassValue = 0.3f, XLoraDepth = 2, XLoraSize = 12 });
        long[] batch = [.. Seq, .. Seq.Reverse()];
        var fused = XLoraFixtures.Logits(xl, batch, batch: 2);
        xl.Options = new XLoraRuntimeOptions { Kernel = XLoraKernel.PerExpert };
        var loop = XLoraFixtures.Logits(xl, batch, batch: 2);
        TensorAssert.Close(loop, fused, 1e-5, 1e-5, what: "fused vs per-expert");
        var single = XLoraFixtures.Logits(xl, Seq);
        TensorAssert.Close(single, loop.AsSpan(0, single.Length), Tolerances.TinyLogitsAbs, what: "row 0 of the batch vs alone");
    }

    [Theory]
    [MemberData(nameof(XLoraFixtures.Models), MemberType = typeof(XLoraFixtures))]
    public void Top_k_keeps_k_experts_per_token_and_the_skipping_path_equals_the_dense_masked_one(string model)
    {
        using var xl = XLoraFixtures.Create(model, c => c with { LayerwiseScalings = true, TopKLora = 2, EnableSoftmaxTopK = true });
        using (var scope = TensorScope.Begin())
        {
            var lambda = xl.Scalings(XLoraFixtures.Ids(Seq), new ForwardContext());
            var kept = XLoraTopK.Apply(lambda, 2, softmax: true).ToArray();
            var raw = lambda.ToArray();
            for (int o = 0; o < kept.Length; o += 3)
            {
                Assert.Equal(2, kept.Skip(o).Take(3).Count(v => v != 0f));
                Assert.InRange(kept[o] + kept[o + 1] + kept[o + 2], 1 - 1e-6, 1 + 1e-6);
                int dropped = Enumerable.Range(0, 3).Single(i => kept[o + i] == 0f);
                Assert.True(Enumerable.Range(0, 3).All(i => raw[o + dropped] <= raw[o + i]), "the dropped expert has the smallest scaling");
            }
        }
        var sparse = XLoraFixtures.Logits(xl, Seq);                              // eval: experts computed only where kept
        float[] dense;
        using (var scope = TensorScope.Begin())
        {
            dense = XLoraFixtures.Logits(xl, Seq, mode: ForwardMode.Train);    // train (no dropout): dense masked path with a graph
        }
        TensorAssert.Close(dense, sparse, 1e-5, what: "top-k skipping vs dense masked");
    }

    [Fact]
    public void Top_k_ties_go_to_the_lower_expert_index()
    {
        var keep = new bool[4];
        XLoraTopK.Select([0.2f, 0.5f, 0.2f, 0.5f], 3, keep);
        Assert.Equal([true, true, false, true], keep);
        Assert.Equal([0.5f, 0.5f, 0f], XLoraTopK.ApplyRow([1f / 3, 1f / 3, 1f / 3], 2, softmax: true));
    }

    [Theory]
    [MemberData(nameof(XLoraFixtures.Models), MemberType = typeof(XLoraFixtures))]
    public void A_tokens_scalings_depend_only_on_earlier_tokens_of_its_own_row(string model)
    {
        using var xl = XLoraFixtures.Create(model, c => c with { LayerwiseScalings = true });
        using var scope = TensorScope.Begin();
        var full = xl.Scalings(XLoraFixtures.Ids(Seq), new ForwardContext()).ToArray();                          // [1, 10, L, n]
        var prefix = xl.Scalings(XLoraFixtures.Ids(Seq[..6]), new ForwardContext()).ToArray();                   // [1, 6, L, n]
        TensorAssert.Close(prefix, full.AsSpan(0, prefix.Length), 1e-6, what: "λ of a prefix");
        long[] two = [.. Seq, .. Seq.Select(v => (v * 7 + 1) % 256)];
        var batch = xl.Scalings(XLoraFixtures.Ids(two, 2), new ForwardContext()).ToArray();
        TensorAssert.Close(full, batch.AsSpan(0, full.Length), 1e-6, what: "λ of row 0 next to another row");
    }

    [Theory]
    [MemberData(nameof(XLoraFixtures.Models), MemberType = typeof(XLoraFixtures))]
    public void A_left_padded_batch_gives_the_unbatched_logits(string model)
    {
        using var xl = XLoraFixtures.Create(model, c => c with { LayerwiseScalings = true, ScalingPassValue = null });
        long[] shortRow = [5, 9, 44, 7, 120, 3];
        int pad = Seq.Length - shortRow.Length;
        long[] batch = [.. Seq, .. Enumerable.Repeat(0L, pad), .. shortRow];
        var maskValues = new int[2 * Seq.Length];
        for (int j = 0; j < Seq.Length; j++)
        {
            maskValues[j] = 1;
            maskValues[Seq.Length + j] = j >= pad ? 1 : 0;
        }
        using var mask = Tensor.FromInts(maskValues, new Shape(2, Seq.Length));
        var both = XLoraFixtures.Logits(xl, batch, batch: 2, mask: mask);
        int v = xl.Info.VocabSize;
        TensorAssert.Close(XLoraFixtures.Logits(xl, Seq), both.AsSpan(0, Seq.Length * v), 1e-4, what: "unpadded row");
        TensorAssert.Close(XLoraFixtures.Logits(xl, shortRow), both.AsSpan((Seq.Length + pad) * v, shortRow.Length * v), 1e-4, what: "left-padded row");
    }

    [Fact]
    public void Gate_and_expert_dropout_act_only_in_training()
    {
        using var xl = XLoraFixtures.Create("tiny-llama", c => c with { XLoraDepth = 2, XLoraSize = 16, XLoraDropoutP = 0.5f });
        var eval1 = XLoraFixtures.Logits(xl, Seq);
        var eval2 = XLoraFixtures.Logits(xl, Seq);
        TensorAssert.BitEqual(eval1, eval2, "eval is deterministic");
        float[] train;
        using (TensorScope.Begin()) train = XLoraFixtures.Logits(xl, Seq, mode: ForwardMode.Train);
        Assert.True(train.Zip(eval1).Max(p => Math.Abs(p.First - p.Second)) > 1e-4, "training mode must apply the gate's dropout");
    }
}
