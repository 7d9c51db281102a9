// PEFT's on-disk LoRA layout: adapter_config.json + adapter_model.safetensors with base_model.model.<module>.lora_{A,B}.weight.
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Adapters.Lora;

/// <summary>
/// Reads and writes LoRA adapters in the layout Python PEFT saves and loads: <c>adapter_config.json</c> and
/// <c>adapter_model.safetensors</c> (metadata <c>{"format":"pt"}</c>) with keys
/// <c>base_model.model.&lt;module&gt;.lora_A.weight</c> [r, in] and <c>….lora_B.weight</c> [out, r].
/// </summary>
internal static class PeftFormat
{
    /// <summary>The tensor file inside an adapter directory.</summary>
    public const string WeightsFileName = "adapter_model.safetensors";

    private const string Prefix = "base_model.model.";

    /// <summary>The key of A for <paramref name="modulePath"/>.</summary>
    public static string KeyA(string modulePath) => $"{Prefix}{modulePath}.lora_A.weight";

    /// <summary>The key of B for <paramref name="modulePath"/>.</summary>
    public static string KeyB(string modulePath) => $"{Prefix}{modulePath}.lora_B.weight";

    /// <summary>Whether <paramref name="dir"/> looks like a PEFT adapter directory.</summary>
    public static bool IsAdapterDirectory(string dir) => File.Exists(Path.Combine(dir, PeftConfigJson.FileName));

    /// <summary>Reads the adapter in <paramref name="dir"/> into owned f32 tensors; the name defaults to the directory name.</summary>
    /// <exception cref="DirectoryNotFoundException">No such directory.</exception>
    /// <exception cref="FileNotFoundException">No adapter_config.json / adapter_model.safetensors.</exception>
    /// <exception cref="InvalidDataException">Malformed files, unsupported features, keys or shapes that disagree with the config.</exception>
    public static LoraAdapter Load(string dir, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(dir);
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"adapter directory not found: {dir}");
        string configPath = Path.Combine(dir, PeftConfigJson.FileName);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"{dir}: not a PEFT adapter directory (no {PeftConfigJson.FileName})", configPath);
        var config = PeftConfigJson.Parse(File.ReadAllText(configPath), configPath);
        string weightsPath = Path.Combine(dir, WeightsFileName);
        if (!File.Exists(weightsPath))
        {
            string bin = Path.Combine(dir, "adapter_model.bin");
            if (File.Exists(bin))
            {
                throw new InvalidDataException($"{bin}: pickled PyTorch weights are not read (unsafe); convert with "
                    + "`python -c \"import torch, safetensors.torch as s; s.save_file(torch.load('adapter_model.bin'), 'adapter_model.safetensors', {'format': 'pt'})\"`");
            }
            throw new FileNotFoundException($"{dir}: no {WeightsFileName}", weightsPath);
        }
        using var file = SafetensorsFile.Open(weightsPath);
        var pairs = new SortedDictionary<string, (string? A, string? B)>(StringComparer.Ordinal);
        foreach (var key in file.Names)
        {
            var (module, part) = ParseKey(key, weightsPath);
            pairs.TryGetValue(module, out var p);
            pairs[module] = part == 'A' ? (key, p.B) : (p.A, key);
        }
        var modules = new List<LoraModule>();
        try
        {
            foreach (var (module, (keyA, keyB)) in pairs)
            {
                if (keyA is null || keyB is null) throw new InvalidDataException($"{weightsPath}: module {module} has lora_{(keyA is null ? "B" : "A")} but no lora_{(keyA is null ? "A" : "B")}");
                modules.Add(ReadModule(file, config, module, keyA, keyB, weightsPath));
            }
            if (modules.Count == 0) throw new InvalidDataException($"{weightsPath}: holds no lora_A/lora_B tensors");
            return new LoraAdapter(name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir))), config, modules);
        }
        catch
        {
            foreach (var m in modules) m.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes <paramref name="adapter"/> to <paramref name="dir"/> (created if needed) in PEFT's layout; each file is
    /// written atomically (temp + rename). Factors are stored as f32.
    /// </summary>
    public static void Save(LoraAdapter adapter, string dir)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentNullException.ThrowIfNull(dir);
        Directory.CreateDirectory(dir);
        var tensors = new List<(string, Tensor)>();
        try
        {
            foreach (var (key, t) in adapter.NamedFactors()) tensors.Add((key, t.DType == DType.F32 ? t.Contiguous() : t.To(DType.F32)));
            SafetensorsWriter.Write(Path.Combine(dir, WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
        AtomicFile.WriteAllBytes(Path.Combine(dir, PeftConfigJson.FileName), System.Text.Encoding.UTF8.GetBytes(PeftConfigJson.Write(adapter.Config) + "\n"));
    }

    private static (string Module, char Part) ParseKey(string key, string file)
    {
        if (key.Contains("lora_magnitude_vector", StringComparison.Ordinal)) throw new InvalidDataException($"{file}: tensor '{key}' is a DoRA magnitude vector; DoRA is not supported");
        if (key.Contains("lora_embedding_", StringComparison.Ordinal)) throw new InvalidDataException($"{file}: tensor '{key}' adapts an embedding; embedding LoRA is not supported");
        if (key.EndsWith(".bias", StringComparison.Ordinal) && key.Contains(".lora_", StringComparison.Ordinal)) throw new InvalidDataException($"{file}: tensor '{key}' is a LoRA bias (lora_bias); not supported");
        if (!key.StartsWith(Prefix, StringComparison.Ordinal) || !key.EndsWith(".weight", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{file}: unexpected tensor '{key}' (expected base_model.model.<module>.lora_A.weight / lora_B.weight)");
        }
        string body = key[Prefix.Length..^".weight".Length];
        foreach (char part in "AB")
        {
            string tag = $".lora_{part}";
            int at = body.LastIndexOf(tag, StringComparison.Ordinal);
            if (at < 0) continue;
            string rest = body[(at + tag.Length)..];
            if (rest.Length == 0 || (rest[0] == '.' && !rest[1..].Contains('.', StringComparison.Ordinal))) // PEFT may keep the adapter name: lora_A.default.weight
            {
                return (body[..at], part);
            }
        }
        throw new InvalidDataException($"{file}: unexpected tensor '{key}' (expected base_model.model.<module>.lora_A.weight / lora_B.weight)");
    }

    private static LoraModule ReadModule(SafetensorsFile file, LoraConfig config, string module, string keyA, string keyB, string path)
    {
        var ia = file.GetInfo(keyA);
        var ib = file.GetInfo(keyB);
        if (ia.DType is not (DType.F32 or DType.F16 or DType.BF16) || ib.DType is not (DType.F32 or DType.F16 or DType.BF16))
        {
            throw new InvalidDataException($"{path}: {module}: factors must be F32, F16 or BF16 (got {ia.DType.SafetensorsName()}, {ib.DType.SafetensorsName()})");
        }
        int r = config.RankFor(module);
        if (ia.Shape.Rank != 2 || ib.Shape.Rank != 2 || ia.Shape[0] != r || ib.Shape[1] != r)
        {
            throw new InvalidDataException($"{path}: {module}: lora_A {ia.Shape} and lora_B {ib.Shape} do not match rank r = {r} of the config (expected [r, in] and [out, r])");
        }
        using var a = file.GetTensor(keyA);
        using var b = file.GetTensor(keyB);
        var fa = a.Compact(DType.F32);
        var fb = b.Compact(DType.F32);
        return new LoraModule(module, fa, fb, config.ScalingFor(module));
    }
}
