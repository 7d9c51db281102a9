// The outcome of generating one sequence: text, ids, why it stopped, and timings.
namespace ExpertMix.Models.Generation;

/// <summary>One generated sequence.</summary>
/// <param name="Text">The streamed text (stop strings and EOS text excluded).</param>
/// <param name="TokenIds">Generated ids (an EOS id that ended the sequence included).</param>
/// <param name="PromptTokens">Prompt length in tokens (without padding).</param>
/// <param name="Finish">Why generation ended.</param>
/// <param name="Timings">Prefill and decode timings of the batch this sequence was part of.</param>
public sealed record GenerationResult(string Text, IReadOnlyList<int> TokenIds, int PromptTokens, FinishReason Finish, GenerationTimings Timings);
