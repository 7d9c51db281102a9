// PEFT's adapter layout both ways: fixtures written per the spec load; what we write has PEFT's keys, metadata and fields.
using System.Text.Json;
using ExpertMix.Adapters.Lora;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Lora;

public class PeftFormatTests
{
    [Fact]
    public void A_peft_fixture_loads_with_its_config_scalings_and_factor_shapes()
    {
        using var a = PeftFormat.Load(LoraFixtures.AdapterDir("tiny-gpt2", "b"));
        Assert.Equal("peft-tiny-gpt2-b", a.Name);
        Assert.Equal(2, a.Config.Rank);
        Assert.True(a.Config.UseRsLora);
        Assert.True(a.Config.FanInFanOut);
        Assert.Equal(["attn.c_proj", "c_fc"], a.Config.TargetModules.Names);
        Assert.Equal(4, a.Modules.Count);                                     // attn.c_proj + mlp.c_fc in 2 layers
        var m = a.Modules["transformer.h.1.mlp.c_fc"];
        Assert.Equal(new Shape(2, 64), m.A.Shape);
        Assert.Equal(new Shape(128, 2), m.B.Shape);
        Assert.Equal(4f / MathF.Sqrt(2), m.Scaling, 6);
    }

    [Fact]
    public void Saved_adapters_use_peft_keys_metadata_and_config_fields_and_round_trip_exactly()
    {
        string dir = LoraFixtures.TempDir();
        using var original = PeftFormat.Load(LoraFixtures.AdapterDir("tiny-llama", "b"), "b");
        PeftFormat.Save(original, dir);
        using (var file = SafetensorsFile.Open(Path.Combine(dir, PeftFormat.WeightsFileName)))
        {
            Assert.Equal("pt", file.Metadata["format"]);
            Assert.Contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", file.Names);
            Assert.Contains("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight", file.Names);
            Assert.All(file.Names, n => Assert.Matches(@"^base_model\.model\..+\.lora_[AB]\.weight$", n));
        }
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "adapter_config.json")));
        var root = json.RootElement;
        Assert.Equal("LORA", root.GetProperty("peft_type").GetString());
        Assert.Equal("CAUSAL_LM", root.GetProperty("task_type").GetString());
        Assert.Equal(3, root.GetProperty("r").GetInt32());
        Assert.Equal(6.0, root.GetProperty("lora_alpha").GetDouble());
        Assert.True(root.GetProperty("use_rslora").GetBoolean());
        Assert.Equal("none", root.GetProperty("bias").GetString());
        Assert.False(root.GetProperty("use_dora").GetBoolean());
        Assert.Equal(["down_proj", "o_proj", "q_proj"], root.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()));
        using var back = PeftFormat.Load(dir, "b");
        Assert.Equal(original.Modules.Keys, back.Modules.Keys);
        foreach (var (path, m) in original.Modules)
        {
            TensorAssert.BitEqual(m.A.ToArray(), back.Modules[path].A.ToArray(), path);
            TensorAssert.BitEqual(m.B.ToArray(), back.Modules[path].B.ToArray(), path);
            Assert.Equal(m.Scaling, back.Modules[path].Scaling);
        }
        Directory.Delete(dir, recursive: true);
    }

    [Theory]
    [InlineData("\"use_dora\": true", "DoRA")]
    [InlineData("\"bias\": \"all\"", "bias \"all\"")]
    [InlineData("\"modules_to_save\": [\"lm_head\"]", "modules_to_save")]
    [InlineData("\"peft_type\": \"IA3\"", "not a LoRA adapter")]
    [InlineData("\"r\": 0", "rank r must be ≥ 1")]
    [InlineData("\"r\": \"four\"", "\"r\" must be a number")]
    public void Unsupported_or_malformed_configs_are_refused_naming_the_file_and_field(string field, string message)
    {
        string dir = CopyFixture();
        string path = Path.Combine(dir, "adapter_config.json");
        var json = File.ReadAllText(path);
        string key = field[..(field.IndexOf(':') + 1)];
        int at = json.IndexOf(key, StringComparison.Ordinal);
        int end = json.IndexOfAny([',', '\n'], at + key.Length);
        json = at >= 0 ? json[..at] + field + json[end..] : json.Replace("{", "{" + field + ",", StringComparison.Ordinal);
        File.WriteAllText(path, json);
        var e = Assert.Throws<InvalidDataException>(() => PeftFormat.Load(dir));
        Assert.Contains(path, e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Pickled_weights_get_a_conversion_hint_and_a_rank_mismatch_names_the_module()
    {
        string dir = CopyFixture();
        File.Move(Path.Combine(dir, PeftFormat.WeightsFileName), Path.Combine(dir, "adapter_model.bin"));
        var e = Assert.Throws<InvalidDataException>(() => PeftFormat.Load(dir));
        Assert.Contains("adapter_model.bin", e.Message);
        Assert.Contains("safetensors", e.Message);

        string dir2 = CopyFixture();
        string cfg = Path.Combine(dir2, "adapter_config.json");
        File.WriteAllText(cfg, File.ReadAllText(cfg).Replace("\"r\": 4", "\"r\": 8", StringComparison.Ordinal));
        var e2 = Assert.Throws<InvalidDataException>(() => PeftFormat.Load(dir2));
        Assert.Contains("model.layers.0.self_attn.q_proj", e2.Message);
        Assert.Contains("r = 8", e2.Message);
    }

    [Fact]
    public void Target_rules_follow_peft_suffix_regex_exclude_layers_and_patterns()
    {
        var list = TargetModules.List(["c_proj"]);
        Assert.True(list.Matches("transformer.h.0.attn.c_proj"));
        Assert.True(list.Matches("transformer.h.0.mlp.c_proj"));
        Assert.False(list.Matches("transformer.h.0.attn.xc_proj"));
        var re = TargetModules.FullMatch(@".*\.attn\.c_proj");
        Assert.True(re.Matches("transformer.h.0.attn.c_proj"));
        Assert.False(re.Matches("transformer.h.0.mlp.c_proj"));
        Assert.False(TargetModules.AllLinear.Matches("lm_head", isOutputHead: true));
        var cfg = new LoraConfig
        {
            Rank = 4,
            Alpha = 8,
            TargetModules = TargetModules.List(["q_proj", "v_proj"]),
            ExcludeModules = TargetModules.List(["layers.1.self_attn.v_proj"]),
            LayersToTransform = [0, 1],
            LayersPattern = ["layers"],
            RankPattern = [new("v_proj", 2)],
            AlphaPattern = [new(@"layers\.0\.self_attn\.q_proj", 32f)],
            UseRsLora = true,
        };
        Assert.True(cfg.Targets("model.layers.0.self_attn.v_proj"));
        Assert.False(cfg.Targets("model.layers.1.self_attn.v_proj"));
        Assert.False(cfg.Targets("model.layers.2.self_attn.q_proj"));
        Assert.Equal(2, cfg.RankFor("model.layers.0.self_attn.v_proj"));
        Assert.Equal(4, cfg.RankFor("model.layers.0.self_attn.q_proj"));
        Assert.Equal(32f / 2f, cfg.ScalingFor("model.layers.0.self_attn.q_proj"));
        Assert.Equal(8f / MathF.Sqrt(2), cfg.ScalingFor("model.layers.1.self_attn.v_proj"));
        var back = PeftConfigJson.Parse(PeftConfigJson.Write(cfg), "mem");
        Assert.Equal(cfg.RankPattern, back.RankPattern);
        Assert.Equal(cfg.AlphaPattern, back.AlphaPattern);
        Assert.Equal(cfg.LayersToTransform, back.LayersToTransform);
        Assert.Equal(cfg.TargetModules.Names, back.TargetModules.Names);
        Assert.Equal(cfg.ExcludeModules.Names, back.ExcludeModules!.Names);
    }

    private static string CopyFixture()
    {
        string dir = LoraFixtures.TempDir();
        foreach (var f in Directory.GetFiles(LoraFixtures.AdapterDir("tiny-llama", "a"))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }
}
