// config.json resolution: defaults, derived values, variant traits, token-id forms, rope_scaling parsing.
using ExpertMix.Models.Llama;
using ExpertMix.Nn;

namespace ExpertMix.Models.Tests;

public class ConfigTests
{
    [Fact]
    public void Llama_defaults_and_derived_values_follow_transformers()
    {
        var raw = HfConfigJson.Parse("""{"architectures":["LlamaForCausalLM"],"vocab_size":100,"hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":8,"num_key_value_heads":2,"eos_token_id":[128001,128008,128009],"bos_token_id":128000}""", "config.json");
        var c = LlamaConfig.FromJson(raw, "LlamaForCausalLM", LlamaVariant.Llama);
        Assert.Equal(8, c.HeadDim);
        Assert.Equal(4, c.KvGroups);
        Assert.Equal(1e-6, c.RmsNormEps);
        Assert.Equal(10000, c.RopeTheta);
        Assert.Equal(RopeScalingKind.None, c.RopeScaling.Kind);
        Assert.False(c.TieWordEmbeddings || c.QkvBias || c.OutputBias || c.MlpBias || c.QkNorm);
        Assert.Equal([128001, 128008, 128009], c.EosTokenIds);
        Assert.Equal(128000, c.BosTokenId);
    }

    [Fact]
    public void Variants_set_their_traits()
    {
        var raw = HfConfigJson.Parse("""{"vocab_size":10,"hidden_size":64,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":4,"sliding_window":4096,"use_sliding_window":false}""", "config.json");
        var qwen2 = LlamaConfig.FromJson(raw, "Qwen2ForCausalLM", LlamaVariant.Qwen2);
        Assert.True(qwen2.QkvBias);
        Assert.False(qwen2.OutputBias);
        Assert.Null(qwen2.SlidingWindow);
        var qwen3 = LlamaConfig.FromJson(raw, "Qwen3ForCausalLM", LlamaVariant.Qwen3);
        Assert.True(qwen3.QkNorm);
        Assert.Equal(128, qwen3.HeadDim);
        Assert.Equal(4096, LlamaConfig.FromJson(raw, "MistralForCausalLM", LlamaVariant.Mistral).SlidingWindow);
    }

    [Fact]
    public void Rope_scaling_accepts_rope_type_and_the_older_type_key()
    {
        var raw = HfConfigJson.Parse("""{"vocab_size":10,"hidden_size":64,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":4,"rope_scaling":{"type":"linear","factor":4.0}}""", "config.json");
        Assert.Equal(new RopeScaling(RopeScalingKind.Linear, 4), LlamaConfig.FromJson(raw, "LlamaForCausalLM", LlamaVariant.Llama).RopeScaling);
        var missing = HfConfigJson.Parse("""{"vocab_size":10,"hidden_size":64,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":4,"rope_scaling":{"rope_type":"llama3","factor":8.0}}""", "/m/config.json");
        var e = Assert.Throws<InvalidDataException>(() => LlamaConfig.FromJson(missing, "LlamaForCausalLM", LlamaVariant.Llama));
        Assert.Contains("/m/config.json", e.Message);
        Assert.Contains("rope_scaling.low_freq_factor", e.Message);
    }

    [Fact]
    public void Malformed_json_and_inconsistent_heads_name_the_file()
    {
        var e = Assert.Throws<InvalidDataException>(() => HfConfigJson.Parse("{\"hidden_size\": \"wide\"", "/m/config.json"));
        Assert.Contains("/m/config.json", e.Message);
        var raw = HfConfigJson.Parse("""{"vocab_size":10,"hidden_size":64,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":6,"num_key_value_heads":4}""", "/m/config.json");
        e = Assert.Throws<InvalidDataException>(() => LlamaConfig.FromJson(raw, "LlamaForCausalLM", LlamaVariant.Llama));
        Assert.Contains("num_key_value_heads 4", e.Message);
    }

    [Fact]
    public void Architecture_falls_back_to_model_type()
    {
        Assert.Equal("Qwen2ForCausalLM", CausalLm.ResolveArchitecture(HfConfigJson.Parse("""{"model_type":"qwen2"}""", "config.json")));
        var e = Assert.Throws<NotSupportedException>(() => CausalLm.ResolveArchitecture(HfConfigJson.Parse("""{"model_type":"falcon"}""", "config.json")));
        Assert.Contains("GPT2LMHeadModel", e.Message);
    }
}
