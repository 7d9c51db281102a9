// PEFT's init_lora_weights choices.
namespace ExpertMix.Adapters.Lora;

/// <summary>How new LoRA factors are initialised (PEFT <c>init_lora_weights</c>).</summary>
public enum LoraInit
{
    /// <summary><c>true</c>: A ~ Kaiming-uniform(a=√5) = U(−1/√in, 1/√in), B = 0 (the adapter starts as a no-op).</summary>
    Default,

    /// <summary><c>"gaussian"</c>: A ~ N(0, 1/r), B = 0.</summary>
    Gaussian,

    /// <summary><c>false</c>: A Kaiming-uniform and B random too (non-trivial deltas for tests and merges).</summary>
    Random,
}
