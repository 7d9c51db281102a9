// Verifiable rewards: checkers that turn a completion and a gold answer into correct/incorrect plus the extracted answer.
using System.Globalization;
using System.Text.RegularExpressions;

namespace ExpertMix.Adapters.Evaluation;

/// <summary>The outcome of checking one completion: correctness, the answer extracted from it (null if none), and a note.</summary>
/// <param name="Correct">True when the extracted answer matches the gold.</param>
/// <param name="Extracted">The answer found in the completion, or null when none could be extracted.</param>
/// <param name="Detail">Extra information (e.g. the code runner's outcome), or null.</param>
internal sealed record Verdict(bool Correct, string? Extracted, string? Detail = null)
{
    /// <summary>The ±1 reward of the reference REINFORCE recipe: +1 when correct, else −1.</summary>
    public float Reward => Correct ? 1f : -1f;
}

/// <summary>Checks a completion against a gold answer.</summary>
internal interface IVerifier
{
    /// <summary>A short name (e.g. "gsm8k-number").</summary>
    string Name { get; }

    /// <summary>Extracts the answer from <paramref name="completion"/> and compares it with <paramref name="gold"/>.</summary>
    Verdict Verify(string completion, string gold);
}

/// <summary>
/// GSM8K: the last number in the completion equals the gold number (the text after <c>####</c> when the gold is a full
/// solution). Numbers may carry a sign (a hyphen right after a word character, as in "3-5", is not a sign), thousands commas, a leading <c>$</c> and a trailing <c>.</c>; they are compared
/// as decimals, so "18.00" equals "18".
/// </summary>
internal sealed partial class Gsm8kVerifier : IVerifier
{
    [GeneratedRegex(@"(?<![\w.])-?\$?\d[\d,]*(?:\.\d+)?")]
    private static partial Regex NumberPattern();

    /// <inheritdoc/>
    public string Name => "gsm8k-number";

    /// <summary>The gold number of a GSM8K answer: the text after the last <c>####</c> (or the whole string), normalised.</summary>
    /// <exception cref="FormatException">No number in the gold.</exception>
    public static string GoldNumber(string gold)
    {
        int hash = gold.LastIndexOf("####", StringComparison.Ordinal);
        string tail = hash >= 0 ? gold[(hash + 4)..] : gold;
        return LastNumber(tail) ?? throw new FormatException($"GSM8K gold answer has no number: '{tail.Trim()}'");
    }

    /// <summary>The last number in <paramref name="text"/>, normalised (no commas, no <c>$</c>, no trailing zeros), or null.</summary>
    public static string? LastNumber(string text)
    {
        string? last = null;
        foreach (Match m in NumberPattern().Matches(text))
        {
            string raw = m.Value.Replace(",", "", StringComparison.Ordinal).Replace("$", "", StringComparison.Ordinal);
            if (decimal.TryParse(raw, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d))
                last = Normalise(d);
        }
        return last;
    }

    private static string Normalise(decimal d) => d.ToString("0.############################", CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public Verdict Verify(string completion, string gold)
    {
        string want = GoldNumber(gold);
        string? got = LastNumber(completion);
        return new Verdict(got is not null && decimal.Parse(got, CultureInfo.InvariantCulture) == decimal.Parse(want, CultureInfo.InvariantCulture), got);
    }
}

/// <summary>
/// Multiple choice (ARC): the reference checker. The letter of the first match of <c>answer is \(?([A-E])\)?</c>
/// (case-insensitive), else of <c>Answer: X</c>, else — an ExpertMix addition for base models that answer "B. text"
/// — a completion that starts with a choice label; compared with the gold label (case-insensitive; numeric labels
/// 1–5 are accepted as well).
/// </summary>
internal sealed partial class ChoiceLetterVerifier : IVerifier
{
    [GeneratedRegex(@"answer is \(?([A-E1-5])\)?", RegexOptions.IgnoreCase)]
    private static partial Regex AnswerIs();

    [GeneratedRegex(@"Answer:\s*\(?([A-E1-5])\b", RegexOptions.IgnoreCase)]
    private static partial Regex AnswerColon();

    [GeneratedRegex(@"^\s*\(?([A-E1-5])[\.\):](?:\s|$)")]
    private static partial Regex Leading();

    /// <inheritdoc/>
    public string Name => "choice-letter";

    /// <summary>The chosen label, or null.</summary>
    public static string? Extract(string completion)
    {
        var m = AnswerIs().Match(completion);
        if (!m.Success) m = AnswerColon().Match(completion);
        if (!m.Success) m = Leading().Match(completion);
        return m.Success ? m.Groups[1].Value.ToUpperInvariant() : null;
    }

    /// <inheritdoc/>
    public Verdict Verify(string completion, string gold)
    {
        string? got = Extract(completion);
        return new Verdict(got is not null && string.Equals(got, gold.Trim(), StringComparison.OrdinalIgnoreCase), got);
    }
}

/// <summary>
/// PubMedQA: the decision yes/no/maybe. Taken from the last <c>Decision: X</c> (the layout of the training
/// converter), else <c>answer is X</c>, else the first of the three words in the completion; compared case-insensitively.
/// </summary>
internal sealed partial class YesNoMaybeVerifier : IVerifier
{
    [GeneratedRegex(@"(?:decision|answer is|answer)\s*:?\s*\(?(yes|no|maybe)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Labelled();

    [GeneratedRegex(@"\b(yes|no|maybe)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Word();

    /// <inheritdoc/>
    public string Name => "yes-no-maybe";

    /// <summary>The decision in lower case, or null.</summary>
    public static string? Extract(string completion)
    {
        var labelled = Labelled().Matches(completion);
        if (labelled.Count > 0) return labelled[^1].Groups[1].Value.ToLowerInvariant();
        var m = Word().Match(completion);
        return m.Success ? m.Groups[1].Value.ToLowerInvariant() : null;
    }

    /// <inheritdoc/>
    public Verdict Verify(string completion, string gold)
    {
        string? got = Extract(completion);
        return new Verdict(got is not null && string.Equals(got, gold.Trim(), StringComparison.OrdinalIgnoreCase), got);
    }
}

/// <summary>Exact string match after collapsing runs of white space to one space and trimming (case-sensitive unless asked).</summary>
/// <param name="comparison">How the normalised strings are compared.</param>
internal sealed partial class ExactMatchVerifier(StringComparison comparison = StringComparison.Ordinal) : IVerifier
{
    [GeneratedRegex(@"\s+")]
    private static partial Regex Space();

    /// <inheritdoc/>
    public string Name => "exact";

    /// <summary>White space collapsed to single spaces, trimmed.</summary>
    public static string Normalise(string s) => Space().Replace(s, " ").Trim();

    /// <inheritdoc/>
    public Verdict Verify(string completion, string gold)
    {
        string got = Normalise(completion);
        return new Verdict(string.Equals(got, Normalise(gold), comparison), got);
    }
}

/// <summary>
/// Regex: the first match of <paramref name="pattern"/> in the completion (its first group if it has one) equals the
/// normalised gold (white space collapsed).
/// </summary>
/// <param name="pattern">The extraction pattern.</param>
/// <param name="comparison">How extraction and gold are compared.</param>
internal sealed class RegexVerifier(string pattern, StringComparison comparison = StringComparison.Ordinal) : IVerifier
{
    private readonly Regex _regex = new(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <inheritdoc/>
    public string Name => "regex";

    /// <inheritdoc/>
    public Verdict Verify(string completion, string gold)
    {
        var m = _regex.Match(completion);
        if (!m.Success) return new Verdict(false, null);
        string got = ExactMatchVerifier.Normalise(m.Groups.Count > 1 ? m.Groups[1].Value : m.Value);
        return new Verdict(string.Equals(got, ExactMatchVerifier.Normalise(gold), comparison), got);
    }
}

/// <summary>
/// Short answers from free generation: after collapsing white space and trimming both, the completion starts with the
/// gold and the gold is followed by the end of the text or a character that is neither a letter nor a digit (so gold
/// "12" matches "12." and "12 apples" but not "123"). The extracted text is the completion's prefix of the gold's length.
/// </summary>
/// <param name="comparison">How the prefix and the gold are compared.</param>
internal sealed class AnswerPrefixVerifier(StringComparison comparison = StringComparison.Ordinal) : IVerifier
{
    /// <inheritdoc/>
    public string Name => "answer-prefix";

    /// <inheritdoc/>
    public Verdict Verify(string completion, string gold)
    {
        string got = ExactMatchVerifier.Normalise(completion);
        string want = ExactMatchVerifier.Normalise(gold);
        if (want.Length == 0) throw new ArgumentException("the gold answer is empty", nameof(gold));
        if (got.Length < want.Length) return new Verdict(false, got);
        string head = got[..want.Length];
        bool boundary = got.Length == want.Length || !char.IsLetterOrDigit(got[want.Length]) || !char.IsLetterOrDigit(want[^1]);
        return new Verdict(boundary && string.Equals(head, want, comparison), head);
    }
}
