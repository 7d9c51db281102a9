// X-LoRA on every architecture of the models issue (GPT-2, Llama, Mistral, Qwen2 with a bf16 checkpoint kept in bf16,
// Qwen3) with no model-specific code, and an interrupted gate training that resumes exactly.
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Tests.Lora;
using ExpertMix.Adapters.Training;
using ExpertMix.Adapters.XLora;
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.XLora;

public class XLoraArchitectureTests
{
    public static readonly TheoryData<string> AllModels = new() { "tiny-gpt2", "tiny-llama", "tiny-mistral", "tiny-qwen2", "tiny-qwen3" };

    private static ICausalLm Load(string model) => CausalLm.Load(LoraFixtures.ModelDir(model), new LoadOptions(DType: DTypePolicy.Keep));

    private static XLoraModel Create(string model, bool softmax)
    {
        var lm = Load(model);
        var experts = new List<LoraAdapter> { XLoraFixtures.RandomExpert(lm, "x", 3, 1), XLoraFixtures.RandomExpert(lm, "y", 2, 2, p => p.EndsWith("v_proj", StringComparison.Ordinal) || p.EndsWith("c_proj", StringComparison.Ordinal)) };
        var config = new XLoraConfig { HiddenSize = lm.Info.HiddenSize, Adapters = [new("x", "x"), new("y", "y")], LayerwiseScalings = true, EnableSoftmax = softmax, XLoraDropoutP = 0 };
        var xl = new XLoraModel(lm, config, experts, null, null, XLoraGateInit.Default, 9);
        foreach (var (name, p) in xl.Classifier.NamedParameters().Where(p => p.Name.StartsWith("last", StringComparison.Ordinal)))
        {
            var s = p.Span;
            for (int i = 0; i < s.Length; i++) s[i] *= 6f;
        }
        return xl;
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void One_hot_gates_reproduce_each_expert_and_cached_decoding_equals_recomputation(string model)
    {
        long[] seq = [3, 17, 200, 45, 9, 120, 77, 5];
        using (var xl = Create(model, softmax: false))
        {
            using var plain = Load(model);
            using var host = new LoraHost(plain);
            host.Add(XLoraFixtures.RandomExpert(plain, "x", 3, 1), 0f);
            host.Add(XLoraFixtures.RandomExpert(plain, "y", 2, 2, p => p.EndsWith("v_proj", StringComparison.Ordinal) || p.EndsWith("c_proj", StringComparison.Ordinal)), 0f);
            for (int i = 0; i < 2; i++)
            {
                int layers = xl.Layers.Count;
                var bias = new float[2 * layers];
                for (int l = 0; l < layers; l++) bias[l * 2 + i] = 1f;
                XLoraFixtures.ConstantGate(xl, bias);
                host.SetWeight("x", i == 0 ? 1f : 0f);
                host.SetWeight("y", i == 1 ? 1f : 0f);
                TensorAssert.Close(LoraFixtures.Logits(plain, seq), XLoraFixtures.Logits(xl, seq), 1e-5, 1e-5, $"{model}: one-hot on expert {i}");
            }
        }
        using var mixed = Create(model, softmax: true);
        using var cache = mixed.CreateCache(1, seq.Length);
        using var scope = TensorScope.Begin();
        var full = mixed.Forward(XLoraFixtures.Ids(seq), new ForwardContext()).ToArray();                        // [1, T, V]
        int v = mixed.Info.VocabSize;
        var first = mixed.Forward(XLoraFixtures.Ids(seq[..4]), new ForwardContext { Cache = cache, Logits = LogitsSelection.LastPosition }).ToArray();
        TensorAssert.Close(full.AsSpan(3 * v, v), first, 1e-4, what: $"{model}: prefill");
        for (int t = 4; t < seq.Length; t++)
        {
            var step = mixed.Forward(XLoraFixtures.Ids([seq[t]]), new ForwardContext { Cache = cache, Logits = LogitsSelection.LastPosition }).ToArray();
            TensorAssert.Close(full.AsSpan(t * v, v), step, 1e-4, what: $"{model}: decode step {t}");
        }
        Assert.Equal(DType.F32, mixed.Classifier.NamedParameters().First().Param.DType);
    }

    [Fact]
    public void An_interrupted_gate_training_resumes_to_the_same_losses_and_gate()
    {
        string dir = LoraFixtures.TempDir(), dir2 = LoraFixtures.TempDir();
        var seqs = Enumerable.Range(0, 8).Select(i => Enumerable.Range(0, 10).Select(j => (i * 11 + j * 5) % 60 + 20).ToArray()).ToArray();
        TrainerOptions Options(string d) => new() { OutputDirectory = d, MaxSteps = 6, SaveEvery = 3, LearningRate = 1e-2, BestCheckpoint = BestCheckpointPolicy.None, Seed = 5 };
        XLoraModel Fresh(int seed) => XLoraFixtures.Create("tiny-llama", c => c with { XLoraDepth = 2, XLoraSize = 8, XLoraDropoutP = 0.3f }, lastScale: 1f, seed: seed);
        using var straight = Fresh(5);
        var straightObs = new RecordingObserver();
        Trainer.Run(new XLoraTrainable(straight, (_, _) => { }), new ListBatchSource(seqs, 4), null, Options(dir), straightObs);
        using (var first = Fresh(5))
        {
            using var cts = new CancellationTokenSource();
            var obs = new RecordingObserver { CancelAt = cts, CancelAtStep = 3 };
            Trainer.Run(new XLoraTrainable(first, (_, _) => { }), new ListBatchSource(seqs, 4), null, Options(dir2), obs, cts.Token);
        }
        using var resumed = Fresh(77);   // other initial gate: everything comes from the checkpoint
        var resumedObs = new RecordingObserver();
        Trainer.Run(new XLoraTrainable(resumed, (_, _) => { }), new ListBatchSource(seqs, 4), null, Options(dir2) with { Resume = TrainerOptions.ResumeLatest }, resumedObs);
        Assert.Equal(straightObs.Steps.Skip(3).Select(s => s.Loss), resumedObs.Steps.Select(s => s.Loss));
        var a = straight.Classifier.NamedParameters().ToList();
        var b = resumed.Classifier.NamedParameters().ToList();
        for (int i = 0; i < a.Count; i++) TensorAssert.BitEqual(a[i].Param.ToArray(), b[i].Param.ToArray(), a[i].Name);
    }
}
