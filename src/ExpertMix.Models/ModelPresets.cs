// Shapes of well-known public checkpoints, buildable without weights (manifest approvals, `bench model`).
using System.Text.Json;
using ExpertMix.Tensors;

namespace ExpertMix.Models;

/// <summary>Static presets: GPT-2 small, llama2.c stories110M, Llama-3.2-1B, Qwen2.5-0.5B, Qwen3-0.6B, Mistral-7B-v0.1.</summary>
public static class ModelPresets
{
    /// <summary>GPT-2 small (openai-community/gpt2): 124,439,808 parameters, tied lm_head.</summary>
    public static ModelPreset Gpt2Small { get; } = new("gpt2-small", "openai-community/gpt2", new HfConfigJson
    {
        Architectures = ["GPT2LMHeadModel"], ModelType = "gpt2", VocabSize = 50257, NEmbd = 768, NLayer = 12, NHead = 12,
        NPositions = 1024, NCtx = 1024, LayerNormEpsilon = 1e-5, ActivationFunction = "gelu_new", BosTokenId = Id(50256), EosTokenId = Id(50256),
    }, DType.F32);

    /// <summary>llama2.c stories110M (karpathy/tinyllamas): dim 768, 12 layers, 12 heads, hidden 2048, vocab 32000, tied.</summary>
    public static ModelPreset Llama110M { get; } = new("llama-110m", "karpathy/tinyllamas stories110M", new HfConfigJson
    {
        Architectures = ["LlamaForCausalLM"], ModelType = "llama", VocabSize = 32000, HiddenSize = 768, IntermediateSize = 2048,
        NumHiddenLayers = 12, NumAttentionHeads = 12, NumKeyValueHeads = 12, MaxPositionEmbeddings = 1024, RmsNormEps = 1e-5,
        RopeTheta = 10000, TieWordEmbeddings = true, HiddenAct = "silu", BosTokenId = Id(1), EosTokenId = Id(2),
    }, DType.F32);

    /// <summary>Llama-3.2-1B (meta-llama): 1,235,814,400 parameters, GQA 32/8, head_dim 64, llama3 RoPE scaling, tied.</summary>
    public static ModelPreset Llama1B { get; } = new("llama-1b", "meta-llama/Llama-3.2-1B", new HfConfigJson
    {
        Architectures = ["LlamaForCausalLM"], ModelType = "llama", VocabSize = 128256, HiddenSize = 2048, IntermediateSize = 8192,
        NumHiddenLayers = 16, NumAttentionHeads = 32, NumKeyValueHeads = 8, HeadDim = 64, MaxPositionEmbeddings = 131072,
        RmsNormEps = 1e-5, RopeTheta = 500000, TieWordEmbeddings = true, HiddenAct = "silu", AttentionBias = false, MlpBias = false,
        RopeScaling = new RopeScalingJson { RopeType = "llama3", Factor = 32, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 8192 },
        BosTokenId = Id(128000), EosTokenId = Id(128001),
    }, DType.BF16);

    /// <summary>Qwen2.5-0.5B (Qwen): 494,032,768 parameters, q/k/v biases, GQA 14/2, tied.</summary>
    public static ModelPreset Qwen2Small { get; } = new("qwen2-0.5b", "Qwen/Qwen2.5-0.5B", new HfConfigJson
    {
        Architectures = ["Qwen2ForCausalLM"], ModelType = "qwen2", VocabSize = 151936, HiddenSize = 896, IntermediateSize = 4864,
        NumHiddenLayers = 24, NumAttentionHeads = 14, NumKeyValueHeads = 2, MaxPositionEmbeddings = 32768, RmsNormEps = 1e-6,
        RopeTheta = 1000000, TieWordEmbeddings = true, HiddenAct = "silu", BosTokenId = Id(151643), EosTokenId = Id(151643),
    }, DType.BF16);

    /// <summary>Qwen3-0.6B (Qwen): q_norm/k_norm, head_dim 128 ≠ hidden/heads, GQA 16/8, tied.</summary>
    public static ModelPreset Qwen3Small { get; } = new("qwen3-0.6b", "Qwen/Qwen3-0.6B", new HfConfigJson
    {
        Architectures = ["Qwen3ForCausalLM"], ModelType = "qwen3", VocabSize = 151936, HiddenSize = 1024, IntermediateSize = 3072,
        NumHiddenLayers = 28, NumAttentionHeads = 16, NumKeyValueHeads = 8, HeadDim = 128, MaxPositionEmbeddings = 40960,
        RmsNormEps = 1e-6, RopeTheta = 1000000, TieWordEmbeddings = true, HiddenAct = "silu", AttentionBias = false,
        BosTokenId = Id(151643), EosTokenId = Id(151645),
    }, DType.BF16);

    /// <summary>Mistral-7B-v0.1: 7,241,732,096 parameters, GQA 32/8, untied (a 7B manifest built without allocating it).</summary>
    public static ModelPreset Mistral7B { get; } = new("mistral-7b", "mistralai/Mistral-7B-v0.1", new HfConfigJson
    {
        Architectures = ["MistralForCausalLM"], ModelType = "mistral", VocabSize = 32000, HiddenSize = 4096, IntermediateSize = 14336,
        NumHiddenLayers = 32, NumAttentionHeads = 32, NumKeyValueHeads = 8, MaxPositionEmbeddings = 32768, RmsNormEps = 1e-5,
        RopeTheta = 10000, TieWordEmbeddings = false, HiddenAct = "silu", SlidingWindow = 4096, BosTokenId = Id(1), EosTokenId = Id(2),
    }, DType.BF16);

    /// <summary>Every preset by name.</summary>
    public static IReadOnlyDictionary<string, ModelPreset> All { get; } =
        new[] { Gpt2Small, Llama110M, Llama1B, Qwen2Small, Qwen3Small, Mistral7B }.ToDictionary(p => p.Name, StringComparer.Ordinal);

    /// <summary>The preset <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name (lists the known ones).</exception>
    public static ModelPreset Get(string name) => All.TryGetValue(name, out var p)
        ? p
        : throw new ArgumentException($"unknown model preset '{name}'; known presets: {string.Join(", ", All.Keys)}", nameof(name));

    private static JsonElement Id(int id) => JsonSerializer.SerializeToElement(id, HfConfigJsonContext.Default.Int32);
}
