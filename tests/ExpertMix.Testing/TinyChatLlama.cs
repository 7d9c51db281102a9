// A tiny random Llama directory with a byte-level tokenizer and a ChatML template, long enough for the §9.1 classification prompt.
using System.Text.Json;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Testing;

/// <summary>
/// Writes a self-contained HF Llama directory (config.json, model.safetensors, tokenizer.json, tokenizer_config.json):
/// 2 layers, hidden 32, MLP 48, 4 heads (2 KV), 2048 positions, vocabulary = 256 bytes + &lt;s&gt; &lt;/s&gt;
/// &lt;|im_start|&gt; &lt;|im_end|&gt; &lt;pad&gt;; seeded N(0, 0.2²) weights, unit norms.
/// </summary>
public static class TinyChatLlama
{
    /// <summary>Vocabulary size (256 bytes + 5 specials).</summary>
    public const int Vocab = 261;

    private const int Hidden = 32, Intermediate = 48, Layers = 2, Heads = 4, KvHeads = 2, HeadDim = Hidden / Heads, Positions = 2048;

    /// <summary>Writes the model to a fresh temp directory and returns its path (the caller deletes it).</summary>
    public static string Write(ulong seed = 7)
    {
        string dir = Path.Combine(Path.GetTempPath(), "expertmix-tinychat-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        var config = new Dictionary<string, object?>
        {
            ["architectures"] = new[] { "LlamaForCausalLM" },
            ["model_type"] = "llama",
            ["vocab_size"] = Vocab,
            ["hidden_size"] = Hidden,
            ["intermediate_size"] = Intermediate,
            ["num_hidden_layers"] = Layers,
            ["num_attention_heads"] = Heads,
            ["num_key_value_heads"] = KvHeads,
            ["max_position_embeddings"] = Positions,
            ["rms_norm_eps"] = 1e-5,
            ["rope_theta"] = 10000.0,
            ["hidden_act"] = "silu",
            ["bos_token_id"] = 256,
            ["eos_token_id"] = 259,
            ["tie_word_embeddings"] = false,
            ["attention_bias"] = false,
            ["mlp_bias"] = false,
            ["torch_dtype"] = "float32",
        };
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(config));
        var rng = new Rng(seed);
        var tensors = new List<(string, Tensor)>();
        void Add(string name, params int[] shape) => tensors.Add((name, Tensor.Randn(new Shape(shape), rng, 0.2f)));
        Add("model.embed_tokens.weight", Vocab, Hidden);
        for (int l = 0; l < Layers; l++)
        {
            string p = $"model.layers.{l}.";
            Add(p + "self_attn.q_proj.weight", Heads * HeadDim, Hidden);
            Add(p + "self_attn.k_proj.weight", KvHeads * HeadDim, Hidden);
            Add(p + "self_attn.v_proj.weight", KvHeads * HeadDim, Hidden);
            Add(p + "self_attn.o_proj.weight", Hidden, Heads * HeadDim);
            Add(p + "mlp.gate_proj.weight", Intermediate, Hidden);
            Add(p + "mlp.up_proj.weight", Intermediate, Hidden);
            Add(p + "mlp.down_proj.weight", Hidden, Intermediate);
            tensors.Add((p + "input_layernorm.weight", Tensor.Ones(new Shape(Hidden))));
            tensors.Add((p + "post_attention_layernorm.weight", Tensor.Ones(new Shape(Hidden))));
        }
        tensors.Add(("model.norm.weight", Tensor.Ones(new Shape(Hidden))));
        Add("lm_head.weight", Vocab, Hidden);
        SafetensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors);
        foreach (var (_, t) in tensors) t.Dispose();
        WriteTokenizer(dir);
        return dir;
    }

    private static void WriteTokenizer(string dir)
    {
        ByteTokenizerFile.Write(dir, [ByteTokenizerFile.Special(256, "<s>"), ByteTokenizerFile.Special(257, "</s>"), ByteTokenizerFile.Special(258, "<|im_start|>"), ByteTokenizerFile.Special(259, "<|im_end|>"), ByteTokenizerFile.Special(260, "<pad>")]);
        var config = new Dictionary<string, object?>
        {
            ["bos_token"] = "<s>",
            ["eos_token"] = "<|im_end|>",
            ["pad_token"] = "<pad>",
            ["chat_template"] = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
        };
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), JsonSerializer.Serialize(config));
    }
}
