// One multiple-choice item read from a scoring JSONL file.
namespace ExpertMix.Models.Generation;

/// <summary>
/// A multiple-choice item from <c>{"context" | "question": …, "choices": […], "answer" | "label": index}</c>: each
/// choice is scored as the continuation of <paramref name="Context"/>; <paramref name="Answer"/> indexes the correct one.
/// </summary>
/// <param name="Line">1-based line number in the source file.</param>
/// <param name="Context">The conditioning text.</param>
/// <param name="Choices">The candidate continuations (at least two).</param>
/// <param name="Answer">Index of the correct choice.</param>
public sealed record ChoiceRow(int Line, string Context, IReadOnlyList<string> Choices, int Answer);
