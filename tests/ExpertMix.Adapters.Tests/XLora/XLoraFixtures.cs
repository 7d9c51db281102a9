// X-LoRA models over the tiny checkpoints: experts a, b (PyTorch PEFT fixtures) and c (random, rank 2), and helpers.
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Tests.Lora;
using ExpertMix.Adapters.XLora;
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Tests.XLora;

internal static class XLoraFixtures
{
    public static readonly TheoryData<string> Models = new() { "tiny-gpt2", "tiny-llama" };

    /// <summary>Expert c: rank 2 on the first and last projection kinds of every block (random A and B).</summary>
    public static LoraAdapter RandomExpert(ICausalLm model, string name, int rank, ulong seed, Func<string, bool>? targets = null)
    {
        var rng = new Rng(seed);
        targets ??= p => p.EndsWith("c_attn", StringComparison.Ordinal) || p.EndsWith("c_fc", StringComparison.Ordinal)
            || p.EndsWith("q_proj", StringComparison.Ordinal) || p.EndsWith("down_proj", StringComparison.Ordinal);
        var modules = new List<LoraModule>();
        foreach (var slot in model.Linears.Where(s => targets(s.ModulePath) && s.ModulePath != "lm_head"))
        {
            var a = Fill(new Shape(rank, slot.Module.InFeatures), 1f / MathF.Sqrt(slot.Module.InFeatures), rng);
            var b = Fill(new Shape(slot.Module.OutFeatures, rank), 1f / MathF.Sqrt(rank), rng);
            modules.Add(new LoraModule(slot.ModulePath, a, b, 2f));
        }
        var config = new LoraConfig { Rank = rank, Alpha = 2f * rank, TargetModules = TargetModules.List(["c_attn", "c_fc", "q_proj", "down_proj"]) };
        return new LoraAdapter(name, config, modules);
    }

    public static List<LoraAdapter> Experts(ICausalLm model) =>
    [
        PeftFormat.Load(LoraFixtures.AdapterDir(Name(model), "a"), "a"),
        PeftFormat.Load(LoraFixtures.AdapterDir(Name(model), "b"), "b"),
        RandomExpert(model, "c", 2, 77),
    ];

    public static XLoraConfig Config(ICausalLm model, Func<XLoraConfig, XLoraConfig>? edit = null)
    {
        var c = new XLoraConfig
        {
            HiddenSize = model.Info.HiddenSize,
            Adapters = [new("a", "a"), new("b", "b"), new("c", "c")],
            XLoraDropoutP = 0f,
        };
        return edit is null ? c : edit(c);
    }

    /// <summary>An X-LoRA model over a freshly loaded <paramref name="modelName"/> with a random gate whose last layer is scaled up (non-uniform λ).</summary>
    public static XLoraModel Create(string modelName, Func<XLoraConfig, XLoraConfig>? edit = null, XLoraRuntimeOptions? options = null, float lastScale = 8f, int seed = 5)
    {
        var lm = LoraFixtures.Load(modelName);
        var config = Config(lm, edit);
        var xl = new XLoraModel(lm, config, Experts(lm), null, options, XLoraGateInit.Default, seed);
        var last = xl.Classifier.NamedParameters().Where(p => p.Name.StartsWith("last", StringComparison.Ordinal));
        foreach (var (_, p) in last)
        {
            var s = p.Span;
            for (int i = 0; i < s.Length; i++) s[i] *= lastScale;
        }
        return xl;
    }

    /// <summary>Sets the gate's last Linear to weight 0 and the given bias (so λ = bias pattern for every token when softmax is off).</summary>
    public static void ConstantGate(XLoraModel xl, float[] bias)
    {
        foreach (var (name, p) in xl.Classifier.NamedParameters())
        {
            if (name == "last.weight") p.Span.Clear();
            if (name == "last.bias") bias.CopyTo(p.Span);
        }
    }

    public static string Name(ICausalLm model) => model.Info.ModelType == "gpt2" ? "tiny-gpt2" : "tiny-llama";

    public static Tensor Ids(long[] ids, int batch = 1)
    {
        var t = Tensor.Empty(new Shape(batch, ids.Length / batch), DType.I64);
        ids.CopyTo(t.AsSpan<long>());
        return t;
    }

    public static float[] Logits(ICausalLm model, long[] ids, int batch = 1, ForwardMode mode = ForwardMode.Eval, Tensor? mask = null)
    {
        using var scope = TensorScope.Begin();
        var input = Ids(ids, batch);
        using var logits = model.Forward(input, new ForwardContext { Mode = mode, AttentionMask = mask });   // [B, T, V]
        return logits.ToArray();
    }

    private static Tensor Fill(Shape shape, float bound, Rng rng)
    {
        var t = TensorScope.Forget(Tensor.Zeros(shape));
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = (2f * rng.NextFloat() - 1f) * bound;
        return t;
    }
}
