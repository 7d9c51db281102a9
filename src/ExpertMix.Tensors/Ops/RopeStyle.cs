// Which dimension pairs RoPE rotates.
namespace ExpertMix.Tensors;

/// <summary>Pairing of the head dimension for rotary embeddings.</summary>
public enum RopeStyle
{
    /// <summary>HF Llama/Mistral/Qwen2 rotate_half: dimension i pairs with i + Dh/2.</summary>
    Half,

    /// <summary>GPT-J / llama.cpp (GGUF "normal" RoPE): dimension 2i pairs with 2i + 1.</summary>
    Interleaved,
}
