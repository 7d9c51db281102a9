// The members of the Llama family that share one implementation.
namespace ExpertMix.Models.Llama;

/// <summary>Which HF architecture a <see cref="LlamaConfig"/> describes (same code, different traits).</summary>
public enum LlamaVariant
{
    /// <summary>LlamaForCausalLM: optional attention_bias (q/k/v/o) and mlp_bias.</summary>
    Llama,

    /// <summary>MistralForCausalLM: Llama layout (sliding window not applied).</summary>
    Mistral,

    /// <summary>Qwen2ForCausalLM: q/k/v biases always, o without.</summary>
    Qwen2,

    /// <summary>Qwen3ForCausalLM: per-head RMSNorm q_norm/k_norm before RoPE; optional attention_bias.</summary>
    Qwen3,
}
