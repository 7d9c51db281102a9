// Tiny X-LoRA models (tiny-llama / tiny-gpt2 + the PEFT fixture experts) and file helpers for the checkpoint tests.
using System.Text.Json.Nodes;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Tests.Lora;
using ExpertMix.Adapters.XLora;
using ExpertMix.Models;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Adapters.Tests.XLora;

internal static class XLoraFormatFixtures
{
    public static readonly long[] Ids = [1, 5, 9, 20, 33, 7, 100];

    /// <summary>An X-LoRA model on <paramref name="model"/> with experts a and b (fixture adapters) and a random gate.</summary>
    public static XLoraModel Build(string model, int depth = 2, bool reluDropout = true, float dropoutP = 0.2f, int seed = 7,
        string nameA = "a", string nameB = "b")
    {
        var baseModel = LoraFixtures.Load(model);
        var config = new XLoraConfig
        {
            HiddenSize = baseModel.Info.HiddenSize,
            BaseModelId = model,
            Adapters = [KeyValuePair.Create(nameA, LoraFixtures.AdapterDir(model, "a")), KeyValuePair.Create(nameB, LoraFixtures.AdapterDir(model, "b"))],
            XLoraDepth = depth,
            XLoraSize = 8,
            LayerwiseScalings = true,
            EnableReluAndDropout = reluDropout,
            XLoraDropoutP = dropoutP,
        };
        var experts = new List<LoraAdapter> { PeftFormat.Load(LoraFixtures.AdapterDir(model, "a"), nameA), PeftFormat.Load(LoraFixtures.AdapterDir(model, "b"), nameB) };
        return new XLoraModel(baseModel, config, experts, classifier: null, init: XLoraGateInit.Default, seed: seed);
    }

    /// <summary>Builds the model, saves it in <paramref name="layout"/> to a new temp dir and returns (dir, logits before saving).</summary>
    public static (string Dir, float[] Logits) Saved(string model, XLoraLayout layout = XLoraLayout.Original, int depth = 2, bool reluDropout = true, float dropoutP = 0.2f)
    {
        string dir = LoraFixtures.TempDir();
        using var x = Build(model, depth, reluDropout, dropoutP);
        XLoraFormat.Save(x, dir, layout);
        return (dir, LoraFixtures.Logits(x, Ids));
    }

    /// <summary>Loads <paramref name="dir"/> onto a fresh base and returns its logits.</summary>
    public static float[] LoadLogits(string model, string dir, XLoraLoadOptions? options = null)
    {
        using var x = XLoraFormat.Load(LoraFixtures.Load(model), dir, options);
        return LoraFixtures.Logits(x, Ids);
    }

    /// <summary>Loads <paramref name="dir"/> expecting <typeparamref name="T"/>; checks the base model was handed back untouched.</summary>
    public static T LoadFails<T>(string model, string dir, XLoraLoadOptions? options = null)
        where T : Exception
    {
        using var baseModel = LoraFixtures.Load(model);
        var before = LoraFixtures.Logits(baseModel, Ids);
        var e = Assert.Throws<T>(() => XLoraFormat.Load(baseModel, dir, options));
        Assert.DoesNotContain(baseModel.Linears, s => s.Module is LoraLinear);
        Assert.Equal(before, LoraFixtures.Logits(baseModel, Ids));
        return e;
    }

    public static JsonObject ReadJson(string path) => (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;

    public static void WriteJson(string path, JsonNode node) => File.WriteAllText(path, node.ToJsonString());

    /// <summary>Rewrites a safetensors file through <paramref name="edit"/> (name → F32 copy).</summary>
    public static void EditTensors(string path, Action<Dictionary<string, Tensor>> edit)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (var file = SafetensorsFile.Open(path))
        {
            foreach (var n in file.Names)
            {
                using var v = file.GetTensor(n);
                tensors[n] = v.Compact(DType.F32);
            }
        }
        edit(tensors);
        SafetensorsWriter.Write(path, tensors);
        foreach (var t in tensors.Values) t.Dispose();
    }

    public static IReadOnlyList<string> TensorNames(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return [.. file.Names];
    }

    public static void Delete(params string[] dirs)
    {
        foreach (var d in dirs)
        {
            if (Directory.Exists(d)) Directory.Delete(d, recursive: true);
        }
    }

    /// <summary>The module paths the fixture experts a and b wrap on <paramref name="model"/>, in the model's module order.</summary>
    public static List<string> ExpectedLayers(ICausalLm model, params string[] adapterDirs)
    {
        var modules = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in adapterDirs)
        {
            using var a = PeftFormat.Load(d);
            modules.UnionWith(a.Modules.Keys);
        }
        return [.. model.Linears.Select(s => s.ModulePath).Where(modules.Contains)];
    }
}
