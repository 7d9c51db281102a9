// Typed options for text generation (length, sampling warpers, seed, stop conditions) with range validation.
using ExpertMix.Tensors;

namespace ExpertMix.Models.Generation;

/// <summary>
/// How to pick tokens and when to stop. The defaults decode greedily (like Hugging Face <c>generate</c> with
/// <c>do_sample=False</c>); set <see cref="Temperature"/> &gt; 0 to sample. The logits pipeline follows transformers'
/// <c>_get_logits_processor</c> order: repetition penalty → temperature → top-k → top-p → min-p → argmax or
/// multinomial sample (see <see cref="Sampler"/>).
/// </summary>
public sealed record GenerationOptions
{
    /// <summary>Default for <see cref="MaxNewTokens"/>.</summary>
    public const int DefaultMaxNewTokens = 256;

    /// <summary>Maximum number of generated tokens (≥ 1); the prompt does not count.</summary>
    public int MaxNewTokens { get; init; } = DefaultMaxNewTokens;

    /// <summary>Softmax temperature τ ≥ 0: logits are divided by τ before the warpers. 0 means greedy (argmax); 1 leaves logits unchanged.</summary>
    public float Temperature { get; init; }

    /// <summary>Keep only the k highest logits (ties with the k-th are kept, as in HF <c>TopKLogitsWarper</c>); 0 = off.</summary>
    public int TopK { get; init; }

    /// <summary>Nucleus sampling p ∈ [0, 1]: keep the most probable tokens whose cumulative probability reaches p (at least one); 1 = off.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Min-p ∈ [0, 1]: drop tokens whose probability (after temperature) is below minP · max probability; 0 = off.</summary>
    public float MinP { get; init; }

    /// <summary>
    /// Repetition penalty θ &gt; 0 over every id already in the history (prompt included), applied once per distinct id:
    /// a logit x becomes x / θ when x &gt; 0 and x · θ otherwise (HF <c>RepetitionPenaltyLogitsProcessor</c>); 1 = off.
    /// </summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>Seed of the sampling generator; the same seed, options and logits give the same tokens. Null = a fresh random seed.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Generation stops when the text contains one of these strings; the output ends before it. Empty = none.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>End-of-sequence ids that stop generation; null = use the model's configured EOS ids.</summary>
    public IReadOnlyList<int>? EosIds { get; init; }

    /// <summary>
    /// Storage of the KV cache: F32 (default, exact) or BF16 (half the cache memory and attention reads per token; keys
    /// and values rounded to bf16 as in a torch bf16 model).
    /// </summary>
    public DType KvCacheDType { get; init; } = DType.F32;

    /// <summary>True when <see cref="Temperature"/> is 0 (argmax decoding).</summary>
    public bool IsGreedy => Temperature == 0f;

    /// <summary>
    /// Checks every field's range and throws on the first violation.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A numeric field is out of range or not finite (the message names the option, its value and the allowed range).</exception>
    /// <exception cref="ArgumentException">A stop string is null or empty, an EOS id is negative, or a sampling warper (top-k, top-p, min-p) is set while decoding greedily.</exception>
    public void Validate()
    {
        if (MaxNewTokens < 1) throw Range(nameof(MaxNewTokens), MaxNewTokens, "≥ 1");
        if (!float.IsFinite(Temperature) || Temperature < 0f) throw Range(nameof(Temperature), Temperature, "finite and ≥ 0 (0 = greedy)");
        if (TopK < 0) throw Range(nameof(TopK), TopK, "≥ 0 (0 = off)");
        if (!(TopP >= 0f && TopP <= 1f)) throw Range(nameof(TopP), TopP, "in [0, 1] (1 = off)");
        if (!(MinP >= 0f && MinP <= 1f)) throw Range(nameof(MinP), MinP, "in [0, 1] (0 = off)");
        if (!float.IsFinite(RepetitionPenalty) || RepetitionPenalty <= 0f) throw Range(nameof(RepetitionPenalty), RepetitionPenalty, "finite and > 0 (1 = off)");
        if (KvCacheDType is not (DType.F32 or DType.BF16)) throw Range(nameof(KvCacheDType), KvCacheDType, "F32 or BF16");
        ArgumentNullException.ThrowIfNull(StopStrings, nameof(StopStrings));
        for (int i = 0; i < StopStrings.Count; i++)
        {
            if (string.IsNullOrEmpty(StopStrings[i])) throw new ArgumentException($"GenerationOptions.StopStrings[{i}] is null or empty; every stop string needs at least one character", nameof(StopStrings));
        }
        if (EosIds is not null)
        {
            for (int i = 0; i < EosIds.Count; i++)
            {
                if (EosIds[i] < 0) throw new ArgumentException($"GenerationOptions.EosIds[{i}] = {EosIds[i]} is negative; token ids are ≥ 0", nameof(EosIds));
            }
        }
        if (IsGreedy && (TopK != 0 || TopP != 1f || MinP != 0f))
        {
            throw new ArgumentException(
                $"GenerationOptions: TopK = {TopK}, TopP = {TopP}, MinP = {MinP} only apply when sampling, but Temperature = 0 decodes greedily; set Temperature > 0 (e.g. 1) or leave the warpers off",
                nameof(Temperature));
        }
    }

    private static ArgumentOutOfRangeException Range(string name, object value, string allowed) =>
        new(name, value, $"GenerationOptions.{name} = {value} is out of range; expected {allowed}");
}
