// Transformer² §9.1 generalised: the first pass's categories (labels + one-line descriptions + the base-weights fallback)
// and the classification system prompt generated from the reference template.
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ExpertMix.Adapters.Adaptation;

/// <summary>One first-pass category: the label the model writes inside <c>\boxed{…}</c> and its one-line description.</summary>
/// <param name="Label">The label, e.g. <c>math</c> or <c>chemistry</c>.</param>
/// <param name="Description">One line for the classification prompt, e.g. "Questions involving mathematical calculations, …".</param>
public sealed record ClassificationCategory(string Label, string Description);

/// <summary>
/// The categories a Transformer² first pass classifies into: the expert categories (each may map to an SVF expert) in
/// dispatch order, then the <see cref="Fallback"/> category, which always dispatches to the exact base weights.
/// <see cref="Paper"/> is the reference's code / math / reasoning / other, whose <see cref="SystemPrompt"/> equals
/// <see cref="ClassificationPrompt.SystemPrompt"/> byte for byte. Build others with <see cref="Create"/>.
/// </summary>
public sealed partial class ClassificationCategories
{
    /// <summary>The reference description of the fallback category (§9.1 item 4).</summary>
    public const string DefaultFallbackDescription = "Questions not clearly fit into above categories.";

    private static readonly string[] CountWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];

    private readonly Dictionary<string, string> _byLowerCase = new(StringComparer.Ordinal);

    private ClassificationCategories(IReadOnlyList<ClassificationCategory> categories, ClassificationCategory fallback, string example)
    {
        Categories = categories;
        FallbackCategory = fallback;
        Example = example;
        Labels = [.. categories.Select(c => c.Label), fallback.Label];
        ExpertLabels = [.. categories.Select(c => c.Label)];
        SystemPrompt = Generate(categories, fallback, example);
        foreach (string label in ExpertLabels) _byLowerCase.TryAdd(label.ToLowerInvariant(), label);
    }

    /// <summary>
    /// The paper's categories: code (programming), math (calculation), reasoning (logic and science), fallback other,
    /// example <c>reasoning</c>, with the reference descriptions (reasoning's ends with a space, as in the reference).
    /// </summary>
    public static ClassificationCategories Paper { get; } = new(
        [
            new(ClassificationPrompt.Code, "Questions asking for programming solutions, functions, algorithms. Often includes specific programming terms, language syntax, or data structures."),
            new(ClassificationPrompt.Math, "Questions involving mathematical calculations, formulas, statistics. Often includes numbers, equations, or mathematical operations."),
            new(ClassificationPrompt.Reasoning, "Questions requiring logical thinking, application of scientific knowledge, or critical analysis of information. Often presents statements that need evaluation based on general understanding. "),
        ],
        new(ClassificationPrompt.Other, DefaultFallbackDescription),
        ClassificationPrompt.Reasoning);

    /// <summary>The expert categories, in dispatch order (the fallback excluded).</summary>
    public IReadOnlyList<ClassificationCategory> Categories { get; }

    /// <summary>The fallback category: what unparseable or unknown answers become; it always runs the base weights.</summary>
    public ClassificationCategory FallbackCategory { get; }

    /// <summary>The fallback label (<c>other</c> for the paper).</summary>
    public string Fallback => FallbackCategory.Label;

    /// <summary>The label of the prompt's <c>Example: \boxed{…}</c> (the paper: <c>reasoning</c>; default: the last expert category).</summary>
    public string Example { get; }

    /// <summary>Every label in dispatch order: the expert categories, then the fallback (the paper: code, math, reasoning, other).</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The expert categories' labels (the paper: code, math, reasoning).</summary>
    public IReadOnlyList<string> ExpertLabels { get; }

    /// <summary>True for the paper's categories (<see cref="Paper"/>).</summary>
    public bool IsPaper => ReferenceEquals(this, Paper);

    /// <summary>
    /// The classification system prompt, generated from the reference template: a leading <c>\n</c>, every non-empty line
    /// indented by 4 spaces, "# Analyze the given question and classify it into one of N categories: 'l₁', …, 'lₙ₋₁' or
    /// 'lₙ'. Follow these guidelines:", a blank line, one item "i. Label: description" per category (the label's first
    /// letter upper-cased; the fallback last), a blank line, the three instructions with "Example: \boxed{example}", a
    /// blank line, the format lines, and a trailing <c>\n</c> + 4 spaces. N is a word up to twelve, digits above. For
    /// <see cref="Paper"/> it equals <see cref="ClassificationPrompt.SystemPrompt"/>.
    /// </summary>
    public string SystemPrompt { get; }

    /// <summary>
    /// Categories with user labels. Labels are trimmed-free, non-empty, without whitespace, braces or backslashes, and
    /// distinct (ignoring case, so lenient parsing is unambiguous), the fallback included; descriptions are one
    /// non-empty line.
    /// </summary>
    /// <param name="categories">The expert categories in dispatch order (at least one).</param>
    /// <param name="fallback">The fallback label (base weights). Default <c>other</c>.</param>
    /// <param name="fallbackDescription">Its description. Default <see cref="DefaultFallbackDescription"/>.</param>
    /// <param name="example">The example label of the prompt; one of the labels. Default the last expert category.</param>
    /// <exception cref="ArgumentException">No category, or an invalid / duplicate label, or an invalid description (the message names it).</exception>
    public static ClassificationCategories Create(IReadOnlyList<ClassificationCategory> categories, string fallback = ClassificationPrompt.Other,
        string? fallbackDescription = null, string? example = null)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(fallback);
        if (categories.Count == 0) throw new ArgumentException("classification categories: at least one category is needed besides the fallback", nameof(categories));
        var fallbackCategory = new ClassificationCategory(fallback, fallbackDescription ?? DefaultFallbackDescription);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var c in categories.Append(fallbackCategory))
        {
            ArgumentNullException.ThrowIfNull(c);
            CheckLabel(c.Label);
            if (!seen.Add(c.Label)) throw new ArgumentException($"classification categories: the label '{c.Label}' is given twice (labels must differ ignoring case; '{fallback}' is the fallback)", nameof(categories));
            if (string.IsNullOrWhiteSpace(c.Description) || c.Description.Contains('\n', StringComparison.Ordinal) || c.Description.Contains('\r', StringComparison.Ordinal))
            {
                throw new ArgumentException($"classification categories: the description of '{c.Label}' must be one non-empty line (got \"{c.Description}\")", nameof(categories));
            }
        }
        string ex = example ?? categories[^1].Label;
        if (!categories.Append(fallbackCategory).Any(c => c.Label == ex))
        {
            throw new ArgumentException($"classification categories: the example label '{ex}' is not one of {string.Join(", ", categories.Select(c => c.Label))}, {fallback}", nameof(example));
        }
        return new ClassificationCategories([.. categories], fallbackCategory, ex);
    }

    /// <summary>
    /// The label of a first-pass answer: the capture c of the first match of <c>\\boxed\{([^}]*)\}</c> (a backslash,
    /// <c>boxed{</c>, no closing brace inside, <c>}</c>). Faithful: the label is c when c is an expert label (exact,
    /// case-sensitive). Lenient: c' = lower(trim(c)) (invariant culture) and the label is the expert label l with
    /// lower(l) = c'. Otherwise (also when nothing matches) the <see cref="Fallback"/>.
    /// </summary>
    public string Parse(string output, LabelParsing parsing = LabelParsing.Faithful)
    {
        ArgumentNullException.ThrowIfNull(output);
        var m = BoxedPattern().Match(output);
        if (!m.Success) return Fallback;
        string c = m.Groups[1].Value;
        if (parsing == LabelParsing.Lenient)
        {
            return _byLowerCase.GetValueOrDefault(c.Trim().ToLowerInvariant()) ?? Fallback;
        }
        return ExpertLabels.Contains(c) ? c : Fallback;
    }

    /// <summary>The index of <paramref name="label"/> in <see cref="Labels"/>; the fallback's index for any other text.</summary>
    public int IndexOf(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        for (int i = 0; i < ExpertLabels.Count; i++)
        {
            if (ExpertLabels[i] == label) return i;
        }
        return Labels.Count - 1;
    }

    /// <summary>The labels joined by ", " (the fallback last), for messages.</summary>
    public override string ToString() => string.Join(", ", Labels);

    private static void CheckLabel(string? label)
    {
        if (string.IsNullOrEmpty(label) || label.Any(ch => char.IsWhiteSpace(ch) || ch is '{' or '}' or '\\' or '\'' or ',' or '='))
        {
            throw new ArgumentException($"classification categories: invalid label '{label}' (expected a non-empty word without whitespace, braces, backslashes, quotes, commas or '=')");
        }
    }

    private static string Generate(IReadOnlyList<ClassificationCategory> categories, ClassificationCategory fallback, string example)
    {
        var all = categories.Append(fallback).ToList();
        string count = all.Count < CountWords.Length ? CountWords[all.Count] : all.Count.ToString(CultureInfo.InvariantCulture);
        string quoted = string.Join(", ", all.SkipLast(1).Select(c => $"'{c.Label}'")) + $" or '{all[^1].Label}'";
        var sb = new StringBuilder("\n");
        sb.Append(CultureInfo.InvariantCulture, $"    # Analyze the given question and classify it into one of {count} categories: {quoted}. Follow these guidelines:\n");
        sb.Append('\n');
        for (int i = 0; i < all.Count; i++)
        {
            string label = all[i].Label;
            string title = char.ToUpperInvariant(label[0]) + label[1..];
            sb.Append(CultureInfo.InvariantCulture, $"    {i + 1}. {title}: {all[i].Description}\n");
        }
        sb.Append('\n');
        sb.Append("    Instructions:\n");
        sb.Append("    - Consider the primary focus, skills, and knowledge required to answer the question.\n");
        sb.Append("    - If a question spans multiple categories, choose the most dominant one.\n");
        sb.Append(CultureInfo.InvariantCulture, $"    - Provide your final classification within \\boxed{{}} notation. Example: \\boxed{{{example}}}\n");
        sb.Append('\n');
        sb.Append("    Format your response as follows:\n");
        sb.Append("    Classification: \\boxed{category}\n");
        sb.Append("    ");
        return sb.ToString();
    }

    [GeneratedRegex(@"\\boxed\{([^}]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex BoxedPattern();
}
