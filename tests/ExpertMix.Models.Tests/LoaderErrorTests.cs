// Loader failures: each one a clear message that names the file and the key or tensor involved.
using System.Text.Json.Nodes;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Models.Tests;

public sealed class LoaderErrorTests : IDisposable
{
    private readonly List<string> _temp = [];

    private string Copy(string name)
    {
        var d = TinyModels.CopyToTemp(name);
        _temp.Add(d);
        return d;
    }

    private static void EditConfig(string dir, Action<JsonObject> edit)
    {
        string path = Path.Combine(dir, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    /// <summary>Rewrites dir/model.safetensors through <paramref name="edit"/> of its (name, tensor) list.</summary>
    private static void EditWeights(string dir, Func<List<(string Name, Tensor Tensor)>, List<(string Name, Tensor Tensor)>> edit)
    {
        string path = Path.Combine(dir, "model.safetensors");
        List<(string, Tensor)> tensors;
        using (var f = SafetensorsFile.Open(path))
        {
            tensors = f.Names.Select(n =>
            {
                using var mapped = f.GetTensor(n);
                return (n, mapped.Clone());
            }).ToList();
        }
        var edited = edit(tensors);
        SafetensorsWriter.Write(path, edited);
        foreach (var (_, t) in tensors.Concat(edited)) t.Dispose();
    }

    [Fact]
    public void A_missing_required_config_key_names_config_json_and_the_key()
    {
        var dir = Copy("tiny-llama");
        EditConfig(dir, j => j.Remove("hidden_size"));
        var e = Assert.Throws<InvalidDataException>(() => CausalLm.Load(dir));
        Assert.Contains("config.json", e.Message);
        Assert.Contains("'hidden_size'", e.Message);

        var gpt = Copy("tiny-gpt2");
        EditConfig(gpt, j => j.Remove("n_head"));
        e = Assert.Throws<InvalidDataException>(() => CausalLm.Load(gpt));
        Assert.Contains("config.json", e.Message);
        Assert.Contains("'n_head'", e.Message);
    }

    [Fact]
    public void An_unknown_architecture_lists_the_supported_ones()
    {
        var dir = Copy("tiny-llama");
        EditConfig(dir, j => j["architectures"] = new JsonArray("FalconForCausalLM"));
        var e = Assert.Throws<NotSupportedException>(() => CausalLm.Load(dir));
        Assert.Contains("config.json", e.Message);
        Assert.Contains("'FalconForCausalLM'", e.Message);
        foreach (var a in CausalLm.SupportedArchitectures) Assert.Contains(a, e.Message);
    }

    [Fact]
    public void A_truncated_shard_names_the_shard_file()
    {
        var dir = Copy("tiny-llama");
        string shard = Path.Combine(dir, "model-00002-of-00002.safetensors");
        using (var fs = new FileStream(shard, FileMode.Open)) fs.SetLength(fs.Length - 1000);
        var e = Assert.ThrowsAny<Exception>(() => CausalLm.Load(dir));
        Assert.True(e is InvalidDataException, e.ToString());
        Assert.Contains("model-00002-of-00002.safetensors", e.Message);
    }

    [Fact]
    public void A_tensor_of_the_wrong_shape_names_the_file_the_tensor_and_both_shapes()
    {
        var dir = Copy("tiny-qwen3");
        EditWeights(dir, ts => ts.Select(p => p.Name == "model.layers.1.mlp.up_proj.weight" ? (p.Name, ReplaceWith(p.Tensor, new Shape(64, 96))) : p).ToList());
        var e = Assert.Throws<InvalidDataException>(() => CausalLm.Load(dir));
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains("'model.layers.1.mlp.up_proj.weight'", e.Message);
        Assert.Contains("[64, 96]", e.Message);
        Assert.Contains("[96, 64]", e.Message);
    }

    [Fact]
    public void A_missing_tensor_is_reported_by_its_full_name()
    {
        var dir = Copy("tiny-gpt2");
        EditWeights(dir, ts => ts.Where(p => p.Name != "transformer.h.1.mlp.c_fc.bias").ToList());
        var e = Assert.Throws<InvalidDataException>(() => CausalLm.Load(dir));
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains("missing tensor 'transformer.h.1.mlp.c_fc.bias'", e.Message);
    }

    [Fact]
    public void An_unused_tensor_is_a_warning_by_default_and_an_error_in_strict_mode()
    {
        var dir = Copy("tiny-qwen3");
        EditWeights(dir, ts => [.. ts, ("model.layers.0.self_attn.rotary_emb.inv_freq", Tensor.Zeros(new Shape(16))), ("model.layers.0.mlp.extra_proj.weight", Tensor.Zeros(new Shape(4, 64)))]);
        using (var model = CausalLm.Load(dir))
        {
            var w = Assert.Single(model.Info.Warnings);
            Assert.Contains("'model.layers.0.mlp.extra_proj.weight'", w);   // rotary_emb.inv_freq is a declared, ignored buffer
        }
        var e = Assert.Throws<InvalidDataException>(() => CausalLm.Load(dir, LoadOptions.Strict));
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains("model.layers.0.mlp.extra_proj.weight", e.Message);
        Assert.DoesNotContain("inv_freq", e.Message);
    }

    [Fact]
    public void A_directory_without_config_json_names_the_missing_file()
    {
        var dir = Copy("tiny-gpt2");
        File.Delete(Path.Combine(dir, "config.json"));
        var e = Assert.Throws<FileNotFoundException>(() => CausalLm.Load(dir));
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void An_unsupported_rope_scaling_type_names_config_json()
    {
        var dir = Copy("tiny-llama");
        EditConfig(dir, j => j["rope_scaling"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4.0 });
        var e = Assert.Throws<NotSupportedException>(() => CausalLm.Load(dir));
        Assert.Contains("config.json", e.Message);
        Assert.Contains("'yarn'", e.Message);
    }

    [Fact]
    public void A_gpt2_hub_checkpoint_without_the_transformer_prefix_and_with_mask_buffers_loads_strictly()
    {
        var dir = Copy("tiny-gpt2");
        EditWeights(dir, ts =>
        [
            .. ts.Select(p => (p.Name.Replace("transformer.", "", StringComparison.Ordinal), p.Tensor.Clone())),
            ("h.0.attn.bias", Tensor.Zeros(new Shape(1, 1, 64, 64))),
            ("h.1.attn.bias", Tensor.Zeros(new Shape(1, 1, 64, 64))),
            ("h.1.attn.masked_bias", Tensor.Zeros(new Shape(1))),
        ]);
        var golden = TinyModels.Reference("tiny-gpt2");
        using var model = CausalLm.Load(dir, LoadOptions.Strict);
        Assert.Contains(model.NamedParameters(), p => p.Path == "h.0.attn.c_attn.weight");
        var logits = ModelRunner.Logits(model, golden["input_ids"].ToInt64());
        ExpertMix.Testing.TensorAssert.Close(golden["logits"].Data, logits, ExpertMix.Testing.Tolerances.TinyLogitsAbs, 0, "unprefixed gpt2");
    }

    [Fact]
    public void Mistral_sliding_window_is_declared_and_longer_sequences_are_refused_not_silently_misattended()
    {
        var dir = Copy("tiny-mistral");
        EditConfig(dir, j => j["sliding_window"] = 4);
        using var model = CausalLm.Load(dir);
        Assert.Contains(model.Info.Warnings, w => w.Contains("sliding_window 4", StringComparison.Ordinal));
        Assert.Equal(4, ModelRunner.Logits(model, [1, 2, 3, 4]).Length / model.Info.VocabSize);
        var e = Assert.Throws<NotSupportedException>(() => ModelRunner.Logits(model, [1, 2, 3, 4, 5]));
        Assert.Contains("sliding_window 4", e.Message);
    }

    private static Tensor ReplaceWith(Tensor old, Shape shape)
    {
        using var flat = old.Reshape(-1);
        return flat.Reshape(shape.ToArray()).Clone();
    }

    public void Dispose()
    {
        foreach (var d in _temp)
        {
            try
            {
                Directory.Delete(d, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
