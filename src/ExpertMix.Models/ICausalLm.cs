// The common interface of every causal LM architecture.
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Models;

/// <summary>A decoder-only language model: token ids in, next-token logits out.</summary>
public interface ICausalLm : IModule, IDisposable
{
    /// <summary>Sizes, dtype, special tokens and load warnings.</summary>
    ModelInfo Info { get; }

    /// <summary>Every projection's replaceable slot, in module order (adapters wrap these).</summary>
    IReadOnlyList<LinearSlot> Linears { get; }

    /// <summary>
    /// Logits for <paramref name="inputIds"/> [B, T] (I32 or I64) after <c>ctx.PastLength</c> cached positions:
    /// [B, T, V], or [B, 1, V] when <c>ctx.Logits</c> is <see cref="LogitsSelection.LastPosition"/>. With a cache the
    /// new keys/values are appended and the cache advances by T. With <c>ctx.Output</c> =
    /// <see cref="ModelOutput.LastHiddenState"/> the LM head is skipped and the result is the final-norm hidden state
    /// [B, T|1, C] instead. F32; the caller owns the result.
    /// </summary>
    /// <exception cref="ArgumentException">Bad id shape/dtype, mask or positions; a cache of the wrong batch size.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token id outside [0, V) or a position beyond the model's range.</exception>
    Tensor Forward(Tensor inputIds, ForwardContext ctx);

    /// <summary>
    /// A zeroed KV cache for <paramref name="batch"/> sequences of up to <paramref name="maxLength"/> positions (caller
    /// owns it), storing keys and values as <paramref name="dtype"/>: F32 (exact) or BF16 (half the memory and the
    /// attention reads of a decoded token; keys/values rounded to bf16 as in a torch bf16 model).
    /// </summary>
    KvCache CreateCache(int batch, int maxLength, DType dtype = DType.F32);
}
