// X-LoRA checkpoint errors (spec §10 "Binding and loading"): each is refused with a message naming the file, field or
// expert, and the caller gets its base model back untouched.
using System.Text.Json.Nodes;
using ExpertMix.Adapters.Tests.Lora;
using ExpertMix.Adapters.XLora;
using ExpertMix.Tensors;
using static ExpertMix.Adapters.Tests.XLora.XLoraFormatFixtures;

namespace ExpertMix.Adapters.Tests.XLora;

public class XLoraFormatErrorTests
{
    private static void EditConfig(string dir, Action<JsonObject> edit)
    {
        string path = Path.Combine(dir, "xlora_config.json");
        var json = ReadJson(path);
        edit(json);
        WriteJson(path, json);
    }

    private static void WithSaved(Action<string> test, XLoraLayout layout = XLoraLayout.Original)
    {
        var (dir, _) = Saved("tiny-llama", layout);
        try
        {
            test(dir);
        }
        finally
        {
            Delete(dir);
        }
    }

    [Fact]
    public void A_missing_hidden_size_is_an_error_not_4096() => WithSaved(dir =>
    {
        EditConfig(dir, j => j.Remove("hidden_size"));
        var e = LoadFails<InvalidDataException>("tiny-llama", dir);
        Assert.Contains("xlora_config.json", e.Message);
        Assert.Contains("hidden_size", e.Message);
        Assert.Contains("hidden_size", Assert.Throws<InvalidDataException>(() => XLoraConfigJson.ParsePeft("""{"peft_type": "XLORA", "adapters": {"a": "a"}}""", "adapter_config.json")).Message);
    });

    [Fact]
    public void A_hidden_size_mismatch_names_both_sizes() => WithSaved(dir =>
    {
        EditConfig(dir, j => j["hidden_size"] = 4096);
        var e = LoadFails<InvalidDataException>("tiny-llama", dir);
        Assert.Contains("xlora_config.json", e.Message);
        Assert.Contains("hidden_size 4096", e.Message);
        Assert.Contains("64", e.Message);
    });

    [Fact]
    public void A_field_of_the_wrong_type_or_malformed_json_names_the_file_and_field() => WithSaved(dir =>
    {
        EditConfig(dir, j => j["xlora_depth"] = "two");
        var e = LoadFails<InvalidDataException>("tiny-llama", dir);
        Assert.Contains("xlora_config.json", e.Message);
        Assert.Contains("xlora_depth", e.Message);
        File.WriteAllText(Path.Combine(dir, "xlora_config.json"), "{\"hidden_size\": 64,");
        Assert.Contains("malformed JSON", LoadFails<InvalidDataException>("tiny-llama", dir).Message);
    });

    [Fact]
    public void An_expert_order_that_differs_from_the_manifest_is_refused() => WithSaved(dir =>
    {
        EditConfig(dir, j => j["adapters"] = new JsonObject { ["b"] = "b", ["a"] = "a" });
        var e = LoadFails<InvalidDataException>("tiny-llama", dir);
        Assert.Contains("xlora_manifest.json", e.Message);
        Assert.Contains("adapters[0] is 'a'", e.Message);
    });

    [Fact]
    public void Manifest_layers_that_differ_from_the_derived_numbering_are_refused() => WithSaved(dir =>
    {
        string path = Path.Combine(dir, "xlora_manifest.json");
        var json = ReadJson(path);
        var layers = json["layers"]!.AsArray();
        string second = (string)layers[1]!;
        layers[1] = "model.layers.9.self_attn.q_proj";
        WriteJson(path, json);
        var e = LoadFails<InvalidDataException>("tiny-llama", dir);
        Assert.Contains("xlora_manifest.json", e.Message);
        Assert.Contains("layers[1]", e.Message);
        Assert.Contains(second, e.Message);
    });

    [Fact]
    public void Classifier_rows_that_are_not_n_times_the_wrapped_modules_say_which_L_the_experts_give() => WithSaved(dir =>
    {
        using var baseModel = LoraFixtures.Load("tiny-llama");
        int onlyA = ExpectedLayers(baseModel, LoraFixtures.AdapterDir("tiny-llama", "a")).Count;
        var options = new XLoraLoadOptions { Adapters = [KeyValuePair.Create("a", Path.Combine(dir, "a")), KeyValuePair.Create("b", Path.Combine(dir, "a"))] };
        var e = LoadFails<InvalidDataException>("tiny-llama", dir, options);
        Assert.Contains("xlora_classifier.safetensors", e.Message);
        Assert.Contains("last.weight", e.Message);
        Assert.Contains($"L = {onlyA}", e.Message);
    });

    [Fact]
    public void An_unknown_classifier_key_is_refused() => WithSaved(dir =>
    {
        EditTensors(Path.Combine(dir, "xlora_classifier.safetensors"), t => t["gate.extra.weight"] = Tensor.Zeros(new Shape(2, 2)));
        var e = LoadFails<InvalidDataException>("tiny-llama", dir);
        Assert.Contains("xlora_classifier.safetensors", e.Message);
        Assert.Contains("gate.extra.weight", e.Message);
    });

    [Fact]
    public void An_unknown_peft_classifier_key_is_refused() => WithSaved(dir =>
    {
        EditTensors(Path.Combine(dir, "adapter_model.safetensors"), t => t["base_model.internal_xlora_classifier.layers.1.weight"] = Tensor.Zeros(new Shape(2, 2)));
        var e = LoadFails<InvalidDataException>("tiny-llama", dir);
        Assert.Contains("adapter_model.safetensors", e.Message);
        Assert.Contains("layers.1.weight", e.Message);
    }, XLoraLayout.Peft);

    [Fact]
    public void A_pickled_classifier_is_refused_with_a_conversion_hint() => WithSaved(dir =>
    {
        File.Delete(Path.Combine(dir, "xlora_classifier.safetensors"));
        File.WriteAllBytes(Path.Combine(dir, "xlora_classifier.pt"), [0x80, 0x02]);
        var e = LoadFails<InvalidDataException>("tiny-llama", dir);
        Assert.Contains("xlora_classifier.pt", e.Message);
        Assert.Contains("safetensors", e.Message);
    });

    [Fact]
    public void An_expert_for_another_base_model_is_named() => WithSaved(dir =>
    {
        var options = new XLoraLoadOptions { Adapters = [KeyValuePair.Create("a", Path.Combine(dir, "a")), KeyValuePair.Create("b", LoraFixtures.AdapterDir("tiny-gpt2", "a"))] };
        var e = LoadFails<InvalidDataException>("tiny-llama", dir, options);
        Assert.Contains("expert 'b'", e.Message);
        Assert.Contains("transformer.h.", e.Message);
    });

    [Fact]
    public void An_adapter_config_that_is_plain_lora_is_not_taken_for_x_lora()
    {
        var e = LoadFails<InvalidDataException>("tiny-llama", LoraFixtures.AdapterDir("tiny-llama", "a"));
        Assert.Contains("adapter_config.json", e.Message);
        Assert.Contains("LORA", e.Message);
    }

    [Fact]
    public void A_mistral_rs_ordering_file_is_checked_against_the_order_and_numbering()
    {
        var (dir, expected) = Saved("tiny-llama");
        try
        {
            CheckOrdering(dir, expected);
        }
        finally
        {
            Delete(dir);
        }
    }

    private static void CheckOrdering(string dir, float[] expected)
    {
        var manifest = ReadJson(Path.Combine(dir, "xlora_manifest.json"));
        var layers = manifest["layers"]!.AsArray().Select(n => (string)n!).ToList();
        string ordering = Path.Combine(dir, "ordering.json");
        JsonObject Ordering(string[] order, Func<int, int> index) => new()
        {
            ["base_model_id"] = "tiny-llama",
            ["order"] = new JsonArray([.. order.Select(o => (JsonNode?)o)]),
            ["layers"] = new JsonObject(layers.Select((l, i) => KeyValuePair.Create(l, (JsonNode?)index(i)))),
        };
        var options = new XLoraLoadOptions { OrderingFile = ordering };

        WriteJson(ordering, Ordering(["a", "b"], i => i));
        Assert.Equal(expected, LoadLogits("tiny-llama", dir, options));

        WriteJson(ordering, Ordering(["b", "a"], i => i));
        var order = LoadFails<InvalidDataException>("tiny-llama", dir, options);
        Assert.Contains("ordering.json", order.Message);
        Assert.Contains("order[0]", order.Message);

        WriteJson(ordering, Ordering(["a", "b"], i => i == 0 ? 1 : i == 1 ? 0 : i));
        var numbering = LoadFails<InvalidDataException>("tiny-llama", dir, options);
        Assert.Contains("ordering.json", numbering.Message);
        Assert.Contains(layers[0], numbering.Message);
    }
}
