// Loads a Hugging Face causal LM directory: config.json → architecture → weights through a WeightSource.
using ExpertMix.Models.Gpt2;
using ExpertMix.Models.Llama;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Models;

/// <summary>Entry point for loading and building causal LMs by architecture name.</summary>
public static class CausalLm
{
    /// <summary>The HF architecture names this library implements.</summary>
    public static IReadOnlyList<string> SupportedArchitectures { get; } =
        ["GPT2LMHeadModel", "LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM"];

    private static readonly Dictionary<string, string> ModelTypes = new(StringComparer.Ordinal)
    {
        ["gpt2"] = "GPT2LMHeadModel",
        ["llama"] = "LlamaForCausalLM",
        ["mistral"] = "MistralForCausalLM",
        ["qwen2"] = "Qwen2ForCausalLM",
        ["qwen3"] = "Qwen3ForCausalLM",
    };

    /// <summary>
    /// Loads the model in <paramref name="directory"/>: <c>config.json</c>, optional <c>generation_config.json</c>
    /// (bos/eos ids), and <c>model.safetensors</c> or <c>model.safetensors.index.json</c> with its shards.
    /// Weights stay memory-mapped in their dtype unless <see cref="LoadOptions.DType"/> is F32.
    /// </summary>
    /// <exception cref="FileNotFoundException">No config.json or no weights.</exception>
    /// <exception cref="NotSupportedException">An unsupported architecture (the message lists the supported ones) or config feature.</exception>
    /// <exception cref="InvalidDataException">A missing config key, a malformed/truncated file, a missing or mis-shaped tensor, or (strict) unused tensors; messages name the file and tensor.</exception>
    public static ICausalLm Load(string directory, LoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        options ??= LoadOptions.Default;
        var raw = HfConfigJson.Load(System.IO.Path.Combine(directory, "config.json"));
        string architecture = ResolveArchitecture(raw);
        using var source = SafetensorsSource.Open(directory);
        var ws = WeightSource.FromCheckpoint(source, options.DType);
        var gen = GenerationIds.Load(System.IO.Path.Combine(directory, "generation_config.json"));
        IReadOnlyList<string> unused = [];
        ICausalLm model;
        try
        {
            model = Build(raw, architecture, ws, info =>
            {
                unused = ws.UnusedNames();
                return info with
                {
                    BosTokenId = gen.Bos ?? info.BosTokenId,
                    EosTokenIds = gen.Eos.Count > 0 ? gen.Eos : info.EosTokenIds,
                    Warnings = [.. info.Warnings, .. unused.Select(n => $"{ws.Path}: unused tensor '{n}'")],
                };
            });
        }
        catch
        {
            ws.DisposeHandedOut();
            throw;
        }
        if (unused.Count > 0 && options.UnusedTensors == UnusedTensorPolicy.Error)
        {
            model.Dispose();
            throw new InvalidDataException($"{ws.Path}: {unused.Count} tensor(s) not used by {architecture}: {string.Join(", ", unused)}");
        }
        if (options.Packing == WeightPacking.Prefill)
        {
            foreach (var slot in model.Linears)
            {
                if (slot.Module is Linear l) l.EnablePacking();
                else if (slot.Module is Conv1DLinear c) c.EnablePacking();
            }
        }
        return model;
    }

    /// <summary>Builds a shape-only model of <paramref name="config"/> (no weights; for manifests) and returns it with the source that recorded every requested tensor.</summary>
    /// <exception cref="NotSupportedException">Unsupported architecture.</exception>
    public static (ICausalLm Model, WeightSource Source) BuildMeta(HfConfigJson config, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(config);
        var ws = WeightSource.Meta(dtype);
        var model = Build(config, ResolveArchitecture(config), ws, info => info);
        return (model, ws);
    }

    /// <summary>Builds <paramref name="config"/> with seeded random weights of <paramref name="dtype"/> (benchmarks of real shapes).</summary>
    /// <exception cref="NotSupportedException">Unsupported architecture.</exception>
    public static ICausalLm BuildRandom(HfConfigJson config, DType dtype, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Build(config, ResolveArchitecture(config), WeightSource.Random(dtype, seed), info => info);
    }

    /// <summary>architectures[0], else the class for model_type; an unsupported one throws listing the supported architectures.</summary>
    /// <exception cref="NotSupportedException">Not supported (names config.json).</exception>
    /// <exception cref="InvalidDataException">Neither architectures nor model_type is present.</exception>
    public static string ResolveArchitecture(HfConfigJson config)
    {
        ArgumentNullException.ThrowIfNull(config);
        string? arch = config.Architectures is { Length: > 0 } a ? a[0] : null;
        if (arch is null && config.ModelType is { } mt && ModelTypes.TryGetValue(mt, out var byType)) arch = byType;
        if (arch is null && config.ModelType is null) throw new InvalidDataException($"{config.Path}: missing required key 'architectures' (or 'model_type')");
        arch ??= config.ModelType!;
        if (!SupportedArchitectures.Contains(arch))
        {
            throw new NotSupportedException($"{config.Path}: architecture '{arch}' is not supported; supported architectures: {string.Join(", ", SupportedArchitectures)}");
        }
        return arch;
    }

    private static ICausalLm Build(HfConfigJson raw, string architecture, WeightSource ws, Func<ModelInfo, ModelInfo> finish) => architecture switch
    {
        "GPT2LMHeadModel" => new Gpt2LMHeadModel(Gpt2Config.FromJson(raw), ws, m => finish(Gpt2LMHeadModel.DefaultInfo(m))),
        "LlamaForCausalLM" => Llama(raw, architecture, LlamaVariant.Llama, ws, finish),
        "MistralForCausalLM" => Llama(raw, architecture, LlamaVariant.Mistral, ws, finish),
        "Qwen2ForCausalLM" => Llama(raw, architecture, LlamaVariant.Qwen2, ws, finish),
        "Qwen3ForCausalLM" => Llama(raw, architecture, LlamaVariant.Qwen3, ws, finish),
        _ => throw new NotSupportedException($"{raw.Path}: architecture '{architecture}' is not supported; supported architectures: {string.Join(", ", SupportedArchitectures)}"),
    };

    private static LlamaForCausalLM Llama(HfConfigJson raw, string architecture, LlamaVariant variant, WeightSource ws, Func<ModelInfo, ModelInfo> finish) =>
        new(LlamaConfig.FromJson(raw, architecture, variant), ws, m => finish(LlamaForCausalLM.DefaultInfo(m)));
}
