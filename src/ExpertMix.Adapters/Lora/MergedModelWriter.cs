// Writes a model with its LoRA adapters folded in as a plain Hugging Face model directory (sharded safetensors).
using System.Text.Json.Nodes;
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Adapters.Lora;

/// <summary>
/// Saves W_eff = W + Σ w_i s_i B_i A_i for every adapted module (rounded once to the base dtype) and every other
/// parameter unchanged, under the checkpoint's own names: GPT-2 Conv1D weights are transposed back to their stored
/// [in, out] layout (decided by module type), the rest stay [out, in]. An adapted lm_head tied to the embedding is
/// written untied (<c>lm_head.weight</c> + <c>tie_word_embeddings: false</c>). Config, generation config and tokenizer
/// files are copied. The result loads in transformers' <c>from_pretrained</c> and in <see cref="CausalLm.Load"/>.
/// </summary>
internal static class MergedModelWriter
{
    /// <summary>transformers' default <c>max_shard_size</c> (5 GB).</summary>
    public const long DefaultMaxShardBytes = 5_000_000_000;

    /// <summary>
    /// Writes the merged model of <paramref name="model"/> (loaded from <paramref name="sourceDir"/>) to
    /// <paramref name="outDir"/>; <paramref name="deltas"/> (module path → ΔW [out, in], e.g. a dense merge result)
    /// are added on top of the attached adapters.
    /// </summary>
    /// <returns>The files written.</returns>
    /// <exception cref="IOException"><paramref name="outDir"/> is the source directory or already holds a checkpoint.</exception>
    public static IReadOnlyList<string> Write(ICausalLm model, string sourceDir, string outDir, long maxShardBytes = DefaultMaxShardBytes, IReadOnlyDictionary<string, Tensor>? deltas = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sourceDir);
        ArgumentNullException.ThrowIfNull(outDir);
        if (Path.GetFullPath(sourceDir).TrimEnd('/') == Path.GetFullPath(outDir).TrimEnd('/')) throw new IOException($"{outDir}: refusing to overwrite the base model directory");
        if (Directory.Exists(outDir) && Directory.EnumerateFiles(outDir, "*.safetensors*").Any()) throw new IOException($"{outDir}: already holds a checkpoint; choose an empty directory");
        Directory.CreateDirectory(outDir);
        var slots = model.Linears.ToDictionary(s => s.ModulePath + ".weight", StringComparer.Ordinal);
        deltas ??= new Dictionary<string, Tensor>();
        foreach (var (path, d) in deltas)
        {
            if (!slots.TryGetValue(path + ".weight", out var slot)) throw new ArgumentException($"delta for module {path}, which this {model.Info.Architecture} does not have");
            if (d.Shape != new Shape(slot.Module.OutFeatures, slot.Module.InFeatures)) throw new ArgumentException($"delta for {path} is {d.Shape}, expected [{slot.Module.OutFeatures}, {slot.Module.InFeatures}]");
        }
        var tensors = new List<(string, Tensor)>();
        bool untieHead = false;
        try
        {
            foreach (var (name, param) in model.NamedParameters())
            {
                if (!slots.TryGetValue(name, out var slot))
                {
                    tensors.Add((name, param.Detach()));
                    continue;
                }
                tensors.Add((name, Stored(slot.Module, param.DType, deltas.GetValueOrDefault(slot.ModulePath))));
            }
            var head = model.Linears[^1];
            var headDelta = deltas.GetValueOrDefault(head.ModulePath);
            var headBase = head.Module is LoraLinear hl ? hl.Base : head.Module;
            if (headBase is Linear { IsTied: true } tiedHead)
            {
                using var d = head.Module.DeltaWeight();
                if (d is not null || headDelta is not null)
                {
                    untieHead = true;
                    tensors.Add((head.ModulePath + ".weight", Stored(head.Module, tiedHead.Weight.DType, headDelta)));
                }
            }
            var written = SafetensorsWriter.WriteSharded(outDir, tensors, maxShardBytes, new Dictionary<string, string> { ["format"] = "pt" }).ToList();
            written.AddRange(CopySideFiles(sourceDir, outDir, untieHead));
            return written;
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
    }

    /// <summary>The module's effective weight in its checkpoint layout and dtype.</summary>
    private static Tensor Stored(ILinearLike module, DType dtype, Tensor? delta)
    {
        using var scope = TensorScope.Begin();
        bool conv1D = (module is LoraLinear l ? l.Base : module) is Conv1DLinear;
        var w = module.EffectiveWeight();                                   // [out, in]
        if (delta is not null) w = Ops.Add(w.DType == DType.F32 ? w : w.To(DType.F32), delta);
        var laid = conv1D ? w.Transpose(0, 1) : w;                          // Conv1D stores [in, out]
        return TensorScope.Forget(laid.Compact(dtype));
    }

    private static IEnumerable<string> CopySideFiles(string sourceDir, string outDir, bool untieHead)
    {
        var written = new List<string>();
        foreach (var file in Directory.EnumerateFiles(sourceDir))
        {
            string name = Path.GetFileName(file);
            if (name.EndsWith(".safetensors", StringComparison.Ordinal) || name.EndsWith(".safetensors.index.json", StringComparison.Ordinal)
                || name.EndsWith(".bin", StringComparison.Ordinal) || name.EndsWith(".pt", StringComparison.Ordinal) || name.EndsWith(".pth", StringComparison.Ordinal))
            {
                continue;
            }
            string dst = Path.Combine(outDir, name);
            if (name == "config.json" && untieHead)
            {
                var config = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
                config["tie_word_embeddings"] = false;
                AtomicFile.WriteAllBytes(dst, System.Text.Encoding.UTF8.GetBytes(config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n"));
            }
            else
            {
                AtomicFile.WriteAllBytes(dst, File.ReadAllBytes(file));
            }
            written.Add(dst);
        }
        return written;
    }
}
