// The X-LoRA classifier's tensor file in both layouts: original keys inner.{j}/last, PEFT keys base_model.internal_xlora_classifier.layers.{j}.
using System.Globalization;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Adapters.XLora;

/// <summary>
/// Reads and writes the gate's tensors. In memory they are always keyed as in the original package
/// (<see cref="XLoraClassifier.KeyOf"/>: hidden Linear k at <c>inner.{3k}</c> with relu+dropout, <c>inner.{k}</c>
/// without, the output Linear at <c>last</c>). PEFT's classifier is <c>nn.Sequential(*layers, last)</c> registered as
/// <c>internal_xlora_classifier</c> on PEFT's XLoraModel, with a ReLU after every hidden Linear and a Dropout only
/// when p &gt; 0: with q = 3 if p &gt; 0 else 2, hidden Linear k is <c>layers.{k·q}</c> and the output Linear
/// <c>layers.{(d−1)·q}</c>, all under <c>base_model.internal_xlora_classifier.</c> (depth 1: <c>layers.0</c>).
/// </summary>
internal static class XLoraClassifierFile
{
    /// <summary>The original layout's classifier file.</summary>
    public const string OriginalFileName = "xlora_classifier.safetensors";

    /// <summary>The pickled classifier the original package writes without safetensors (refused).</summary>
    public const string OriginalPickleName = "xlora_classifier.pt";

    /// <summary>PEFT's weights file (classifier only for X-LoRA).</summary>
    public const string PeftFileName = "adapter_model.safetensors";

    /// <summary>The prefix of PEFT's classifier keys.</summary>
    public const string PeftPrefix = "base_model.internal_xlora_classifier.";

    /// <summary>The classifier file of a checkpoint in <paramref name="dir"/> with layout <paramref name="layout"/>.</summary>
    /// <exception cref="InvalidDataException">Only a pickled file is there (the message says how to convert it).</exception>
    /// <exception cref="FileNotFoundException">No classifier file.</exception>
    public static string Locate(string dir, XLoraLayout layout)
    {
        string path = Path.Combine(dir, layout == XLoraLayout.Original ? OriginalFileName : PeftFileName);
        if (File.Exists(path)) return path;
        string pickle = Path.Combine(dir, layout == XLoraLayout.Original ? OriginalPickleName : "adapter_model.bin");
        if (File.Exists(pickle))
        {
            string name = Path.GetFileName(pickle), target = Path.GetFileName(path);
            throw new InvalidDataException($"{pickle}: the X-LoRA classifier is a pickled PyTorch file, which ExpertMix does not read (unpickling is unsafe). Convert it to {target}: "
                + $"`python -c \"import torch, safetensors.torch as s; s.save_file(torch.load('{name}'), '{target}', {{'format': 'pt'}})\"`");
        }
        throw new FileNotFoundException($"{dir}: no X-LoRA classifier ({Path.GetFileName(path)})", path);
    }

    /// <summary>
    /// The tensors of <paramref name="path"/> as owned contiguous F32 copies keyed in the original layout (PEFT keys are
    /// mapped per <paramref name="config"/>). The caller owns the result.
    /// </summary>
    /// <exception cref="InvalidDataException">A dtype other than F32/F16/BF16, or a PEFT key that is not a classifier Linear of this config.</exception>
    public static Dictionary<string, Tensor> Read(string path, XLoraLayout layout, XLoraConfig config)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            using var file = SafetensorsFile.Open(path);
            foreach (var key in file.Names)
            {
                var info = file.GetInfo(key);
                if (info.DType is not (DType.F32 or DType.F16 or DType.BF16)) throw new InvalidDataException($"{path}: classifier tensor {key} is {info.DType.SafetensorsName()} (expected F32, F16 or BF16)");
                string name = layout == XLoraLayout.Original ? key : OriginalKey(config, key, path);
                using var view = file.GetTensor(key);
                result.Add(name, view.Compact(DType.F32));
            }
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="tensors"/> (original keys) to <paramref name="path"/> atomically as F32, under the keys of <paramref name="layout"/>.</summary>
    /// <exception cref="ArgumentException">A key that is not a classifier Linear of <paramref name="config"/>.</exception>
    public static void Write(string path, IEnumerable<(string Key, Tensor Tensor)> tensors, XLoraLayout layout, XLoraConfig config)
    {
        var owned = new List<(string, Tensor)>();
        try
        {
            foreach (var (key, t) in tensors)
            {
                string name = layout == XLoraLayout.Original ? key : PeftKey(config, key);
                using var detached = t.Detach();
                owned.Add((name, detached.DType == DType.F32 ? detached.Contiguous() : detached.To(DType.F32)));
            }
            SafetensorsWriter.Write(path, owned, new Dictionary<string, string> { ["format"] = "pt" });
        }
        finally
        {
            foreach (var (_, t) in owned) t.Dispose();
        }
    }

    /// <summary>PEFT's key of original key <paramref name="key"/> (e.g. <c>inner.3.weight</c> → <c>base_model.internal_xlora_classifier.layers.3.weight</c> for p = 0.2).</summary>
    /// <exception cref="ArgumentException">Not a classifier Linear of <paramref name="config"/>.</exception>
    public static string PeftKey(XLoraConfig config, string key)
    {
        int d = config.XLoraDepth;
        var (module, part) = Split(key);
        int k = -1;
        if (module == "last")
        {
            k = d - 1;
        }
        else if (module.StartsWith("inner.", StringComparison.Ordinal) && int.TryParse(module["inner.".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int j))
        {
            int stride = config.EnableReluAndDropout ? 3 : 1;
            if (j % stride == 0 && j / stride < d - 1) k = j / stride;
        }
        if (k < 0 || part is not ("weight" or "bias")) throw new ArgumentException($"classifier tensor {key} is not a Linear of a depth-{d} gate (relu_dropout {config.EnableReluAndDropout})");
        return $"{PeftPrefix}layers.{k * PeftStride(config)}.{part}";
    }

    /// <summary>The original key of PEFT key <paramref name="key"/>.</summary>
    /// <exception cref="InvalidDataException">Not a classifier Linear of <paramref name="config"/> (the message lists the expected keys).</exception>
    public static string OriginalKey(XLoraConfig config, string key, string path)
    {
        int d = config.XLoraDepth, q = PeftStride(config);
        if (key.StartsWith(PeftPrefix + "layers.", StringComparison.Ordinal))
        {
            var (module, part) = Split(key[(PeftPrefix.Length + "layers.".Length)..]);
            if (int.TryParse(module, NumberStyles.None, CultureInfo.InvariantCulture, out int j) && j % q == 0 && j / q < d && part is "weight" or "bias")
            {
                return $"{XLoraClassifier.KeyOf(config, j / q, d)}.{part}";
            }
        }
        var expected = Enumerable.Range(0, d).Select(k => $"{PeftPrefix}layers.{k * q}.weight|bias");
        throw new InvalidDataException($"{path}: unexpected classifier tensor '{key}' (expected {string.Join(", ", expected)} for xlora_depth {d}, xlora_dropout_p {config.XLoraDropoutP})");
    }

    /// <summary>q: PEFT's Sequential slots per hidden Linear (Linear, ReLU and, when p &gt; 0, Dropout).</summary>
    private static int PeftStride(XLoraConfig config) => config.XLoraDropoutP > 0f ? 3 : 2;

    private static (string Module, string Part) Split(string key)
    {
        int dot = key.LastIndexOf('.');
        return dot < 0 ? (key, "") : (key[..dot], key[(dot + 1)..]);
    }
}
