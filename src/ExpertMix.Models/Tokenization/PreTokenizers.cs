// tokenizer.json "pre_tokenizer" section: ByteLevel, Split (regex or string, all behaviours), Metaspace, Digits, Sequence.
namespace ExpertMix.Models.Tokenization;

/// <summary>A piece of text on its way to the model; <c>AtStart</c> when it begins at offset 0 of the original input.</summary>
internal readonly record struct Segment(string Text, bool AtStart);

/// <summary>Splits (and may rewrite) segments; empty results are dropped.</summary>
internal interface IPreTokenizer
{
    void PreTokenize(List<Segment> input, List<Segment> output);
}

/// <summary>How a Split pre-tokenizer treats the matched delimiters (HF SplitDelimiterBehavior).</summary>
internal enum SplitBehavior
{
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
}

/// <summary>Split: cuts each segment at the pattern's matches according to the behaviour.</summary>
internal sealed class SplitPreTokenizer(ISplitMatcher pattern, SplitBehavior behavior, bool invert) : IPreTokenizer
{
    public void PreTokenize(List<Segment> input, List<Segment> output)
    {
        var matches = new List<(int Start, int End)>();
        var parts = new List<(int Start, int End, bool IsMatch)>();
        foreach (var seg in input)
        {
            matches.Clear();
            parts.Clear();
            pattern.FindMatches(seg.Text, matches);
            Tile(seg.Text.Length, matches, invert, parts);
            Emit(seg, parts, behavior, output);
        }
    }

    /// <summary>Turns matches into a tiling of [0, length) with a match flag per part (HF Pattern::find_matches).</summary>
    internal static void Tile(int length, List<(int Start, int End)> matches, bool invert, List<(int Start, int End, bool IsMatch)> parts)
    {
        if (length == 0)
        {
            parts.Add((0, 0, invert));
            return;
        }
        int prev = 0;
        foreach (var (start, end) in matches)
        {
            if (prev != start) parts.Add((prev, start, invert));
            parts.Add((start, end, !invert));
            prev = end;
        }
        if (prev != length) parts.Add((prev, length, invert));
    }

    internal static void Emit(Segment seg, List<(int Start, int End, bool IsMatch)> parts, SplitBehavior behavior, List<Segment> output)
    {
        var kept = new List<(int Start, int End)>();
        switch (behavior)
        {
            case SplitBehavior.Isolated:
                foreach (var p in parts) kept.Add((p.Start, p.End));
                break;
            case SplitBehavior.Removed:
                foreach (var p in parts)
                {
                    if (!p.IsMatch) kept.Add((p.Start, p.End));
                }
                break;
            case SplitBehavior.Contiguous:
                for (int i = 0; i < parts.Count; i++)
                {
                    if (i > 0 && parts[i].IsMatch && parts[i - 1].IsMatch) kept[^1] = (kept[^1].Start, parts[i].End);
                    else kept.Add((parts[i].Start, parts[i].End));
                }
                break;
            case SplitBehavior.MergedWithPrevious:
            {
                bool previousMatch = false;
                foreach (var p in parts)
                {
                    if (p.IsMatch && !previousMatch && kept.Count > 0) kept[^1] = (kept[^1].Start, p.End);
                    else kept.Add((p.Start, p.End));
                    previousMatch = p.IsMatch;
                }
                break;
            }
            case SplitBehavior.MergedWithNext:
            {
                bool previousMatch = false;
                for (int i = parts.Count - 1; i >= 0; i--)
                {
                    var p = parts[i];
                    if (p.IsMatch && !previousMatch && kept.Count > 0) kept[^1] = (p.Start, kept[^1].End);
                    else kept.Add((p.Start, p.End));
                    previousMatch = p.IsMatch;
                }
                kept.Reverse();
                break;
            }
        }
        foreach (var (start, end) in kept)
        {
            if (end > start) output.Add(new Segment(start == 0 && end == seg.Text.Length ? seg.Text : seg.Text[start..end], seg.AtStart && start == 0));
        }
    }
}

/// <summary>ByteLevel: optional prefix space, optional GPT-2 regex split, then bytes → table chars.</summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : IPreTokenizer
{
    private static readonly KnownPatternMatcher Gpt2 = new(KnownSplitPattern.Gpt2);

    public void PreTokenize(List<Segment> input, List<Segment> output)
    {
        var matches = new List<(int Start, int End)>();
        foreach (var seg in input)
        {
            string text = addPrefixSpace && !seg.Text.StartsWith(' ') ? " " + seg.Text : seg.Text;
            if (text.Length == 0) continue;
            if (!useRegex)
            {
                output.Add(new Segment(ByteLevelAlphabet.Encode(text), seg.AtStart));
                continue;
            }
            matches.Clear();
            Gpt2.FindMatches(text, matches);
            foreach (var (start, end) in matches) output.Add(new Segment(ByteLevelAlphabet.Encode(text.AsSpan(start, end - start)), seg.AtStart && start == 0));
        }
    }
}

/// <summary>Metaspace prepend scheme.</summary>
internal enum PrependScheme
{
    Always,
    First,
    Never,
}

/// <summary>Metaspace: spaces → replacement char, optional prefix, split before each replacement char.</summary>
internal sealed class MetaspacePreTokenizer(char replacement, PrependScheme scheme, bool split) : IPreTokenizer
{
    private readonly LiteralMatcher _matcher = new(replacement.ToString());

    public void PreTokenize(List<Segment> input, List<Segment> output)
    {
        var matches = new List<(int Start, int End)>();
        var parts = new List<(int Start, int End, bool IsMatch)>();
        foreach (var seg in input)
        {
            string text = seg.Text.Replace(' ', replacement);
            bool prepend = scheme == PrependScheme.Always || (scheme == PrependScheme.First && seg.AtStart);
            if (prepend && !text.StartsWith(replacement)) text = replacement + text;
            var rewritten = new Segment(text, seg.AtStart);
            if (!split)
            {
                if (text.Length > 0) output.Add(rewritten);
                continue;
            }
            matches.Clear();
            parts.Clear();
            _matcher.FindMatches(text, matches);
            SplitPreTokenizer.Tile(text.Length, matches, invert: false, parts);
            SplitPreTokenizer.Emit(rewritten, parts, SplitBehavior.MergedWithNext, output);
        }
    }
}

/// <summary>Digits: isolates each digit (individual) or each run of digits.</summary>
internal sealed class DigitsPreTokenizer(bool individualDigits) : IPreTokenizer
{
    private readonly SplitPreTokenizer _inner = new(new DigitMatcher(), individualDigits ? SplitBehavior.Isolated : SplitBehavior.Contiguous, false);

    public void PreTokenize(List<Segment> input, List<Segment> output) => _inner.PreTokenize(input, output);

    private sealed class DigitMatcher : ISplitMatcher
    {
        public void FindMatches(string s, List<(int Start, int End)> matches)
        {
            for (int i = 0; i < s.Length; i++)
            {
                if (char.IsNumber(s[i])) matches.Add((i, i + 1));
            }
        }
    }
}

/// <summary>Sequence: the pre-tokenizers in order.</summary>
internal sealed class SequencePreTokenizer(IReadOnlyList<IPreTokenizer> steps) : IPreTokenizer
{
    public void PreTokenize(List<Segment> input, List<Segment> output)
    {
        var current = input;
        for (int i = 0; i < steps.Count; i++)
        {
            var next = i == steps.Count - 1 ? output : [];
            steps[i].PreTokenize(current, next);
            current = next;
        }
        if (steps.Count == 0) output.AddRange(input);
    }
}
