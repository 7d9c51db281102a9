// One row of a perplexity-scoring JSONL file: plain text, or a prompt (masked) plus a completion (scored).
namespace ExpertMix.Models.Generation;

/// <summary>
/// A perplexity row read from <c>{"text": …}</c> (<paramref name="Prompt"/> null, <paramref name="Completion"/> = the
/// text, every token scored) or <c>{"prompt": …, "completion": …}</c> (the prompt's tokens are conditioning only).
/// </summary>
/// <param name="Line">1-based line number in the source file.</param>
/// <param name="Prompt">Masked conditioning text, or null for a plain text row.</param>
/// <param name="Completion">The scored text.</param>
public sealed record ScoringRow(int Line, string? Prompt, string Completion);
