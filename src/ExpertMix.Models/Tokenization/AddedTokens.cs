// Added tokens (tokenizer.json "added_tokens"): leftmost-longest matching in the input with lstrip / rstrip / single_word.
using System.Globalization;

namespace ExpertMix.Models.Tokenization;

/// <summary>One entry of tokenizer.json's added_tokens.</summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool Normalized, bool LStrip, bool RStrip, bool SingleWord);

/// <summary>A piece of the input after splitting on added tokens: a token id, or text (Id = -1) in [Start, End).</summary>
internal readonly record struct AddedSplit(int Id, int Start, int End);

/// <summary>
/// Finds added tokens as HF's AddedVocabulary does with an Aho-Corasick automaton in LeftmostLongest mode: scanning
/// left to right, the longest token starting at the leftmost possible position wins; matches never overlap.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private sealed class Node
    {
        public Dictionary<char, Node>? Children;
        public AddedToken? Token;
    }

    private readonly Node _root = new();
    private readonly bool _empty = true;

    /// <summary>Builds the trie over <paramref name="patterns"/> (pattern text, token); the first of equal patterns wins.</summary>
    public AddedTokenMatcher(IEnumerable<(string Pattern, AddedToken Token)> patterns)
    {
        foreach (var (pattern, token) in patterns)
        {
            if (pattern.Length == 0) continue;
            var node = _root;
            foreach (char c in pattern)
            {
                node.Children ??= [];
                if (!node.Children.TryGetValue(c, out var child)) node.Children[c] = child = new Node();
                node = child;
            }
            node.Token ??= token;
            _empty = false;
        }
    }

    /// <summary>Splits <paramref name="s"/> into added-token matches and the text between them (HF find_matches).</summary>
    public void Split(string s, List<AddedSplit> output)
    {
        if (_empty || s.Length == 0)
        {
            output.Add(new AddedSplit(-1, 0, s.Length));
            return;
        }
        int startOffset = 0;
        int i = 0;
        var firstLevel = _root.Children!;
        while (i < s.Length)
        {
            if (!firstLevel.ContainsKey(s[i]))
            {
                i++;
                continue;
            }
            var (token, end) = Longest(s, i);
            if (token is null)
            {
                i++;
                continue;
            }
            int start = i, stop = end;
            i = end;
            if (token.SingleWord)
            {
                bool startSpace = start == 0 || !IsWordChar(s, start - 1, before: true);
                bool stopSpace = stop == s.Length || !IsWordChar(s, stop, before: false);
                if (!startSpace || !stopSpace) continue;
            }
            if (token.LStrip)
            {
                int newStart = start;
                while (newStart > 0 && KnownPatternMatcher.IsWhiteSpace(s[newStart - 1])) newStart--;
                start = Math.Max(newStart, startOffset);
            }
            if (token.RStrip)
            {
                while (stop < s.Length && KnownPatternMatcher.IsWhiteSpace(s[stop])) stop++;
            }
            if (startOffset < start) output.Add(new AddedSplit(-1, startOffset, start));
            output.Add(new AddedSplit(token.Id, start, stop));
            startOffset = stop;
            i = Math.Max(i, stop);
        }
        if (startOffset != s.Length) output.Add(new AddedSplit(-1, startOffset, s.Length));
    }

    private (AddedToken? Token, int End) Longest(string s, int i)
    {
        AddedToken? best = null;
        int bestEnd = i;
        var node = _root;
        for (int j = i; j < s.Length; j++)
        {
            if (node.Children is null || !node.Children.TryGetValue(s[j], out var child)) break;
            node = child;
            if (node.Token is not null)
            {
                best = node.Token;
                bestEnd = j + 1;
            }
        }
        return (best, bestEnd);
    }

    /// <summary>Regex <c>\w</c> on the code point before (or at) <paramref name="index"/>.</summary>
    private static bool IsWordChar(string s, int index, bool before)
    {
        int cp = s[index];
        if (before && char.IsLowSurrogate(s[index]) && index > 0 && char.IsHighSurrogate(s[index - 1])) cp = char.ConvertToUtf32(s[index - 1], s[index]);
        else if (!before && char.IsHighSurrogate(s[index]) && index + 1 < s.Length && char.IsLowSurrogate(s[index + 1])) cp = char.ConvertToUtf32(s[index], s[index + 1]);
        var cat = CharUnicodeInfo.GetUnicodeCategory(cp);
        return cat is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.NonSpacingMark
            or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark or UnicodeCategory.DecimalDigitNumber
            or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber or UnicodeCategory.ConnectorPunctuation;
    }
}
