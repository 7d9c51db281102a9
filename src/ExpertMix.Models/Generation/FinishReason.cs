// Why a generated sequence ended.
namespace ExpertMix.Models.Generation;

/// <summary>Why generation of a sequence ended (OpenAI's <c>finish_reason</c> vocabulary: stop / length).</summary>
public enum FinishReason
{
    /// <summary>An end-of-sequence token was generated.</summary>
    Eos,

    /// <summary>The text contained a stop string; the output ends before it.</summary>
    StopString,

    /// <summary><see cref="GenerationOptions.MaxNewTokens"/> tokens were generated.</summary>
    MaxTokens,
}
