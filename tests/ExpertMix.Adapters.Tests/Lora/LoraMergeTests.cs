// Merging several adapters (different ranks and weights) into f32 and 16-bit bases: W' = W + Σ w_i s_i B_i A_i, exact unmerge.
using ExpertMix.Adapters.Lora;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Lora;

public class LoraMergeTests
{
    [Theory]
    [InlineData(DType.BF16)]
    [InlineData(DType.F16)]
    public void A_16_bit_base_merges_once_rounded_in_its_dtype_and_unmerges_bit_exactly(DType dtype)
    {
        const int outF = 40, inF = 24;
        var rng = new Rng(3);
        using var w32 = Tensor.FromArray(Random(rng, outF * inF, 0.5f), new Shape(outF, inF));   // [out, in]
        using var lora = new LoraLinear(new Linear("m", w32.To(dtype)));
        using var a1 = Module(rng, 3, outF, inF, 0.8f);
        using var a2 = Module(rng, 5, outF, inF, 1.5f);
        lora.Attach("a1", a1, 0.7f, 0f, null);
        lora.Attach("a2", a2, -1.1f, 0f, null);
        using var original = lora.EffectiveWeight();                                       // widened, with the branches
        var baseBits = ((Linear)lora.Base).Weight.ToArray();
        var exact = ReferenceWeight(lora);                                                  // f64 W + Σ, as floats
        using var x = Tensor.FromArray(Random(rng, 2 * inF, 1f), new Shape(2, inF));            // [2, in]
        using var yUnmerged = lora.Forward(x, new ForwardContext());                           // [2, out]

        lora.Merge();
        using var merged = lora.EffectiveWeight();                                         // [out, in] f32 view of W'
        var m = merged.ToArray();
        using var roundTrip = merged.To(dtype);
        TensorAssert.BitEqual(m, roundTrip.ToArray(), "W' is stored in the base dtype");
        double ulp = dtype == DType.BF16 ? 1.0 / 128 : 1.0 / 1024;
        TensorAssert.Close(exact, m, 1e-6, ulp, "W' = round(W + Σ w_i s_i B_i A_i)");
        using var yMerged = lora.Forward(x, new ForwardContext());
        TensorAssert.Close(yUnmerged.ToArray(), yMerged.ToArray(), 0.05, 0.02, "merged vs unmerged output");

        lora.Unmerge();
        TensorAssert.BitEqual(baseBits, ((Linear)lora.Base).Weight.ToArray(), "base weight");
        using var again = lora.EffectiveWeight();
        TensorAssert.BitEqual(original.ToArray(), again.ToArray(), "effective weight after unmerge");
        using var delta = lora.DeltaWeight();
        Assert.NotNull(delta);
        var wBase = baseBits;
        TensorAssert.Close(exact.Select((v, i) => v - wBase[i]).ToArray(), delta.ToArray(), 1e-5, 1e-5, "ΔW = Σ w_i s_i B_i A_i");
    }

    [Theory]
    [MemberData(nameof(LoraFixtures.Models), MemberType = typeof(LoraFixtures))]
    public void Three_adapters_of_different_ranks_and_weights_merge_to_the_unmerged_logits_and_unmerge_bit_exactly(string model)
    {
        var rng = new Rng(21);
        using var lm = LoraFixtures.Load(model);
        var baseWeights = lm.NamedParameters().Select(p => p.Param.ToArray()).ToList();
        using var host = new LoraHost(lm);
        (string Name, int Rank, float Weight)[] specs = [("a", 2, 0.5f), ("b", 4, -1.2f), ("c", 3, 2f)];
        foreach (var (name, rank, weight) in specs)
        {
            host.CreateAdapter(name, new LoraConfig { Rank = rank, Alpha = 3 * rank, TargetModules = TargetModules.AllLinear, Init = LoraInit.Random }, rng);
            host.SetWeight(name, weight);
        }
        long[] ids = [3, 17, 200, 45, 9, 120, 77, 5];
        var unmerged = LoraFixtures.Logits(lm, ids);
        var wrappers = lm.Linears.Select(s => s.Module).OfType<LoraLinear>().ToList();
        Assert.NotEmpty(wrappers);
        var expected = wrappers.Select(ReferenceWeight).ToList();

        host.Merge();
        TensorAssert.Close(unmerged, LoraFixtures.Logits(lm, ids), 1e-4, 1e-4, "merged vs unmerged logits");
        for (int i = 0; i < wrappers.Count; i++)
        {
            Assert.True(wrappers[i].IsMerged);
            using var w = wrappers[i].EffectiveWeight();                                  // [out, in]
            TensorAssert.Close(expected[i], w.ToArray(), 1e-5, 1e-5, $"{wrappers[i].ModulePath}: W + Σ w_i s_i B_i A_i");
        }

        host.Unmerge();
        TensorAssert.Close(unmerged, LoraFixtures.Logits(lm, ids), 1e-5, what: "unmerged again");
        host.Dispose();
        var after = lm.NamedParameters().Select(p => p.Param.ToArray()).ToList();
        for (int i = 0; i < after.Count; i++) TensorAssert.BitEqual(baseWeights[i], after[i], "base weight");
    }

    /// <summary>W + Σ w_i·ΔW_i from the per-module f32 deltas (<see cref="LoraModule.Delta"/>), summed in f64.</summary>
    private static float[] ReferenceWeight(LoraLinear lora)
    {
        double[] acc;
        using (var w = lora.Base.EffectiveWeight()) acc = w.ToArray().Select(v => (double)v).ToArray();   // [out, in]
        foreach (var b in lora.Branches)
        {
            using var d = b.Module.Delta();                                                // [out, in]
            var dv = d.ToArray();
            for (int i = 0; i < acc.Length; i++) acc[i] += (double)b.Weight * dv[i];
        }
        return acc.Select(v => (float)v).ToArray();
    }

    private static LoraModule Module(Rng rng, int rank, int outF, int inF, float scaling) =>
        new("m", Tensor.FromArray(Random(rng, rank * inF, 0.3f), new Shape(rank, inF)), Tensor.FromArray(Random(rng, outF * rank, 0.3f), new Shape(outF, rank)), scaling);

    private static float[] Random(Rng rng, int n, float bound) => Enumerable.Range(0, n).Select(_ => (2f * rng.NextFloat() - 1f) * bound).ToArray();
}
