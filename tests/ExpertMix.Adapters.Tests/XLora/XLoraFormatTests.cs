// X-LoRA checkpoints both ways (spec §7, §10 "Checkpoints"): save → load and conversions keep the logits; the layouts'
// files and keys; the lamm-mit config; adapter resolution.
using System.Text.Json.Nodes;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Tests.Lora;
using ExpertMix.Adapters.XLora;
using ExpertMix.Tensors;
using static ExpertMix.Adapters.Tests.XLora.XLoraFormatFixtures;

namespace ExpertMix.Adapters.Tests.XLora;

public class XLoraFormatTests
{
    public static readonly TheoryData<string, XLoraLayout> ModelsAndLayouts = new()
    {
        { "tiny-llama", XLoraLayout.Original }, { "tiny-llama", XLoraLayout.Peft },
        { "tiny-gpt2", XLoraLayout.Original }, { "tiny-gpt2", XLoraLayout.Peft },
    };

    [Theory]
    [MemberData(nameof(ModelsAndLayouts))]
    public void Save_then_load_reproduces_the_logits_experts_and_numbering(string model, XLoraLayout layout)
    {
        var (dir, expected) = Saved(model, layout);
        try
        {
            Assert.Equal(layout, XLoraFormat.DetectLayout(dir));
            using var loaded = XLoraFormat.Load(LoraFixtures.Load(model), dir);
            Assert.Equal(["a", "b"], loaded.Config.AdapterNames);
            Assert.Equal(["a", "b"], loaded.Host.Adapters.Select(a => a.Adapter.Name));
            Assert.Equal(ExpectedLayers(loaded.Base, LoraFixtures.AdapterDir(model, "a"), LoraFixtures.AdapterDir(model, "b")), loaded.Layers);
            Assert.Equal(2, loaded.Config.XLoraDepth);
            Assert.True(loaded.Config.LayerwiseScalings);
            var actual = LoraFixtures.Logits(loaded, Ids);
            Assert.Equal(expected, actual);                                                 // bitwise
            Assert.NotEqual(LoraFixtures.Logits(loaded.Base, Ids), actual);                  // the experts and the gate matter
        }
        finally
        {
            Delete(dir);
        }
    }

    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-gpt2")]
    public void Converting_original_to_peft_and_back_preserves_the_logits(string model)
    {
        var (src, expected) = Saved(model);
        string peft = LoraFixtures.TempDir(), back = LoraFixtures.TempDir();
        try
        {
            XLoraFormat.Convert(src, peft, XLoraLayout.Peft);
            Assert.Equal(XLoraLayout.Peft, XLoraFormat.DetectLayout(peft));
            Assert.Equal(expected, LoadLogits(model, peft));
            XLoraFormat.Convert(peft, back, XLoraLayout.Original);
            Assert.Equal(XLoraLayout.Original, XLoraFormat.DetectLayout(back));
            Assert.Equal(expected, LoadLogits(model, back));
            Assert.Equal(TensorNames(Path.Combine(src, "xlora_classifier.safetensors")), TensorNames(Path.Combine(back, "xlora_classifier.safetensors")));
        }
        finally
        {
            Delete(src, peft, back);
        }
    }

    [Fact]
    public void A_linear_stack_of_depth_two_is_not_converted_or_saved_to_peft()
    {
        var (src, expected) = Saved("tiny-llama", depth: 2, reluDropout: false);
        string dst = LoraFixtures.TempDir();
        try
        {
            Assert.Equal(expected, LoadLogits("tiny-llama", src));                         // the original layout keeps it
            var e = Assert.Throws<ArgumentException>(() => XLoraFormat.Convert(src, dst, XLoraLayout.Peft));
            Assert.Contains("xlora_config.json", e.Message);
            Assert.Contains("enable_relu_and_dropout", e.Message);
            Assert.False(File.Exists(Path.Combine(dst, "adapter_config.json")));
            using var x = Build("tiny-llama", depth: 2, reluDropout: false);
            Assert.Contains("enable_relu_and_dropout", Assert.Throws<ArgumentException>(() => XLoraFormat.Save(x, dst, XLoraLayout.Peft)).Message);
        }
        finally
        {
            Delete(src, dst);
        }
    }

    [Theory]
    [InlineData(2, 0.2f, new[] { 0, 3 })]      // Linear, ReLU, Dropout, last → q = 3
    [InlineData(2, 0f, new[] { 0, 2 })]        // Linear, ReLU, last → q = 2
    [InlineData(3, 0.2f, new[] { 0, 3, 6 })]
    [InlineData(1, 0.2f, new[] { 0 })]         // depth 1: the last Linear alone
    public void The_peft_layout_keys_the_classifier_as_peft_s_sequential(int depth, float p, int[] indices)
    {
        var (dir, expected) = Saved("tiny-llama", XLoraLayout.Peft, depth, dropoutP: p);
        try
        {
            var keys = TensorNames(Path.Combine(dir, "adapter_model.safetensors"));
            var want = indices.SelectMany(j => new[] { $"base_model.internal_xlora_classifier.layers.{j}.weight", $"base_model.internal_xlora_classifier.layers.{j}.bias" });
            Assert.Equal(want.Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
            var json = ReadJson(Path.Combine(dir, "adapter_config.json"));
            Assert.Equal("XLORA", (string?)json["peft_type"]);
            Assert.Equal("a", (string?)json["adapters"]!["a"]);                            // relative sub-folders, written too
            Assert.True(PeftFormat.IsAdapterDirectory(Path.Combine(dir, "b")));
            Assert.False(json.ContainsKey("enable_relu_and_dropout"));                       // not a PEFT field
            Assert.Equal(expected, LoadLogits("tiny-llama", dir));
        }
        finally
        {
            Delete(dir);
        }
    }

    [Fact]
    public void The_original_bundle_has_config_classifier_experts_and_manifest()
    {
        var (dir, _) = Saved("tiny-llama");
        try
        {
            Assert.Equal(["inner.0.bias", "inner.0.weight", "last.bias", "last.weight"], TensorNames(Path.Combine(dir, "xlora_classifier.safetensors")).Order(StringComparer.Ordinal));
            var config = ReadJson(Path.Combine(dir, "xlora_config.json"));
            Assert.Equal(64, (int)config["hidden_size"]!);
            Assert.Equal("b", (string?)config["adapters"]!["b"]);
            Assert.True((bool)config["enable_relu_and_dropout"]!);
            var manifest = ReadJson(Path.Combine(dir, "xlora_manifest.json"));
            Assert.Equal(["a", "b"], manifest["adapters"]!.AsArray().Select(n => (string?)n));
            Assert.Equal(2, (int)manifest["classifier"]!["depth"]!);
            using var baseModel = LoraFixtures.Load("tiny-llama");
            Assert.Equal(ExpectedLayers(baseModel, LoraFixtures.AdapterDir("tiny-llama", "a"), LoraFixtures.AdapterDir("tiny-llama", "b")),
                manifest["layers"]!.AsArray().Select(n => (string)n!));
            Assert.Empty(Directory.EnumerateFiles(dir, "*.tmp-*", SearchOption.AllDirectories));
        }
        finally
        {
            Delete(dir);
        }
    }

    private const string LammMitConfig = """
        {"hidden_size": 4096, "base_model_id": "HuggingFaceH4/zephyr-7b-beta",
         "adapters": ["adapter_1", "adapter_2", "adapter_3", "adapter_4", "adapter_5", "adapter_6", "adapter_7", "adapter_8", "adapter_9"],
         "layerwise_scalings": true, "enable_softmax": true, "softmax_temperature": 1.0, "xlora_depth": 1, "xlora_size": 2048,
         "enable_relu_and_dropout": true, "use_bias": true, "xlora_dropout_p": 0.2, "stop_token_id": null, "use_trainable_adapters": false,
         "use_mean_pool": false, "scaling_pass_value": 0.0, "top_k_lora": null, "enable_softmax_topk": false, "global_scaling_weight": 1.0}
        """;

    [Fact]
    public void The_lamm_mit_config_parses_and_a_4096_to_1440_head_fits_160_modules_of_9_experts()
    {
        var doc = XLoraConfigJson.ParseOriginal(LammMitConfig, "lamm-mit/xlora_config.json");
        var c = doc.Config;
        Assert.Equal(XLoraAdapterListing.Names, doc.Listing);
        Assert.Equal(4096, c.HiddenSize);
        Assert.Equal(Enumerable.Range(1, 9).Select(i => $"adapter_{i}"), c.AdapterNames);
        Assert.True(c.LayerwiseScalings);
        Assert.Equal(1, c.XLoraDepth);
        Assert.Equal(0f, c.ScalingPassValue);
        Assert.Null(c.TopKLora);

        var tensors = new Dictionary<string, Tensor> { ["last.weight"] = Tensor.Zeros(new Shape(1440, 4096)), ["last.bias"] = Tensor.Zeros(new Shape(1440)) };
        using var head = new XLoraClassifier(c, 160, tensors, "xlora_classifier.safetensors");
        Assert.Equal(1440, head.OutputWidth);
        Assert.Equal(4096L * 1440 + 1440, head.ParameterCount);

        using var w = Tensor.Zeros(new Shape(1440, 4096));
        using var b = Tensor.Zeros(new Shape(1440));
        var wrong = Assert.Throws<ArgumentException>(() => new XLoraClassifier(c, 159, new Dictionary<string, Tensor> { ["last.weight"] = w, ["last.bias"] = b }, "xlora_classifier.safetensors"));
        Assert.Contains("L = 159", wrong.Message);
    }

    [Fact]
    public void Config_fields_default_ignore_unknowns_and_read_a_null_scaling_pass_value_as_one_over_n()
    {
        var c = XLoraConfigJson.ParseOriginal("""{"hidden_size": 64, "adapters": {"x": "p/x", "y": "/abs/y"}, "scaling_pass_value": null, "something_new": [1]}""", "f.json").Config;
        Assert.Null(c.ScalingPassValue);
        Assert.Equal(0.5f, c.ResolvedScalingPassValue);
        Assert.Equal([KeyValuePair.Create("x", "p/x"), KeyValuePair.Create("y", "/abs/y")], c.Adapters);
        Assert.Equal(2048, c.XLoraSize);
        var again = XLoraConfigJson.ParseOriginal(XLoraConfigJson.WriteOriginal(c), "g.json").Config;
        Assert.Equal(c.Adapters, again.Adapters);
        Assert.Equal(c, again with { Adapters = c.Adapters });
    }

    [Fact]
    public void Peft_base_fields_are_preserved_from_load_to_save()
    {
        var (src, expected) = Saved("tiny-llama", XLoraLayout.Peft);
        string dst = LoraFixtures.TempDir();
        try
        {
            string path = Path.Combine(src, "adapter_config.json");
            var json = ReadJson(path);
            json["task_type"] = "CAUSAL_LM";
            json["base_model_name_or_path"] = "org/tiny-llama";
            json["revision"] = "v2";
            json["peft_version"] = "0.15.2";
            json["inference_mode"] = false;
            WriteJson(path, json);
            using (var x = XLoraFormat.Load(LoraFixtures.Load("tiny-llama"), src))
            {
                Assert.Equal(expected, LoraFixtures.Logits(x, Ids));
                XLoraFormat.Save(x, dst, XLoraLayout.Peft);
            }
            var saved = ReadJson(Path.Combine(dst, "adapter_config.json"));
            Assert.Equal("org/tiny-llama", (string?)saved["base_model_name_or_path"]);
            Assert.Equal("v2", (string?)saved["revision"]);
            Assert.Equal("0.15.2", (string?)saved["peft_version"]);
            Assert.False((bool)saved["inference_mode"]!);
            Assert.Equal("CAUSAL_LM", (string?)saved["task_type"]);
        }
        finally
        {
            Delete(src, dst);
        }
    }

    [Fact]
    public void Listed_adapters_are_matched_to_sub_folders_by_exact_name()
    {
        string dir = LoraFixtures.TempDir();
        try
        {
            float[] expected;
            using (var x = Build("tiny-llama", nameA: "adapter_1", nameB: "adapter_10"))
            {
                XLoraFormat.Save(x, dir);
                expected = LoraFixtures.Logits(x, Ids);
            }
            string configPath = Path.Combine(dir, "xlora_config.json");
            var json = ReadJson(configPath);
            json["adapters"] = new JsonArray("adapter_1", "adapter_10");                   // as the original package writes it
            WriteJson(configPath, json);
            using (var loaded = XLoraFormat.Load(LoraFixtures.Load("tiny-llama"), dir))
            {
                using var a = PeftFormat.Load(LoraFixtures.AdapterDir("tiny-llama", "a"));
                Assert.Equal(a.Modules.Keys, loaded.Host.Adapters[0].Adapter.Modules.Keys);
                Assert.Equal("adapter_1", loaded.Host.Adapters[0].Adapter.Name);
                Assert.Equal(expected, LoraFixtures.Logits(loaded, Ids));
            }
            Directory.Move(Path.Combine(dir, "adapter_1"), Path.Combine(dir, "old_adapter_1"));  // adapter_10 must not stand in for it
            var e = LoadFails<DirectoryNotFoundException>("tiny-llama", dir);
            Assert.Contains("'adapter_1'", e.Message);
            Assert.Contains("xlora_config.json", e.Message);
        }
        finally
        {
            Delete(dir);
        }
    }

    [Fact]
    public void Stale_absolute_expert_paths_fall_back_to_the_sub_folder_of_the_expert_s_name()
    {
        var (dir, expected) = Saved("tiny-llama");
        try
        {
            string configPath = Path.Combine(dir, "xlora_config.json");
            var json = ReadJson(configPath);
            json["adapters"] = new JsonObject { ["a"] = "/nonexistent/training-run/a", ["b"] = "/nonexistent/training-run/b" };
            WriteJson(configPath, json);
            Assert.Equal(expected, LoadLogits("tiny-llama", dir));
            Directory.Move(Path.Combine(dir, "b"), Path.Combine(dir, "b_moved"));
            var e = LoadFails<DirectoryNotFoundException>("tiny-llama", dir);
            Assert.Contains("expert 'b'", e.Message);
            Assert.Contains("/nonexistent/training-run/b", e.Message);
        }
        finally
        {
            Delete(dir);
        }
    }

    [Fact]
    public void An_override_map_replaces_the_expert_paths_only_when_given()
    {
        var (dir, expected) = Saved("tiny-llama");
        string elsewhere = LoraFixtures.TempDir();
        try
        {
            Directory.Move(Path.Combine(dir, "a"), Path.Combine(elsewhere, "first"));
            Directory.Move(Path.Combine(dir, "b"), Path.Combine(elsewhere, "second"));
            Assert.Contains("'a'", LoadFails<DirectoryNotFoundException>("tiny-llama", dir).Message);
            var options = new XLoraLoadOptions { Adapters = [KeyValuePair.Create("b", Path.Combine(elsewhere, "second")), KeyValuePair.Create("a", Path.Combine(elsewhere, "first"))] };
            Assert.Equal(expected, LoadLogits("tiny-llama", dir, options));               // the config's column order is kept
            var wrong = new XLoraLoadOptions { Adapters = [KeyValuePair.Create("a", Path.Combine(elsewhere, "first"))] };
            Assert.Contains("configured experts", LoadFails<ArgumentException>("tiny-llama", dir, wrong).Message);
        }
        finally
        {
            Delete(dir, elsewhere);
        }
    }
}
