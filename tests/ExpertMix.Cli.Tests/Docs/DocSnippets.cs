// The doc-snippet convention: a fenced block in docs/*.md right after `<!-- snippet: NAME -->` must equal (modulo
// indentation) the lines between `#region snippet:NAME` and `#endregion` in a source file under tests/ExpertMix.Cli.Tests/Docs/.
using System.Text.RegularExpressions;

namespace ExpertMix.Cli.Tests.Docs;

/// <summary>A named snippet and where it was found (file:line of its marker or region).</summary>
internal sealed record Snippet(string Name, string Body, string Location);

/// <summary>Finds snippets in markdown and regions in sources, normalises and compares them.</summary>
internal static partial class DocSnippets
{
    [GeneratedRegex(@"^\s*<!--\s*snippet:\s*([A-Za-z0-9_.-]+)\s*-->\s*$")]
    private static partial Regex Marker();

    [GeneratedRegex(@"^\s*#region\s+snippet:([A-Za-z0-9_.-]+)\s*$")]
    private static partial Regex RegionStart();

    [GeneratedRegex(@"^\s*#endregion\b")]
    private static partial Regex RegionEnd();

    /// <summary>Marked code blocks of one markdown file; a marker not followed by a fenced block is an error.</summary>
    /// <exception cref="InvalidDataException">A marker without a fenced block, or an unclosed fence (names file:line).</exception>
    public static IReadOnlyList<Snippet> FromMarkdown(string text, string file)
    {
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        var found = new List<Snippet>();
        for (int i = 0; i < lines.Length; i++)
        {
            var m = Marker().Match(lines[i]);
            if (!m.Success) continue;
            int j = i + 1;
            while (j < lines.Length && lines[j].Trim().Length == 0) j++;
            string fence = j < lines.Length ? FenceOf(lines[j]) : "";
            if (fence.Length == 0) throw new InvalidDataException($"{file}:{i + 1}: snippet '{m.Groups[1].Value}' must be followed by a fenced code block (```)");
            int end = j + 1;
            while (end < lines.Length && !lines[end].TrimStart().StartsWith(fence, StringComparison.Ordinal)) end++;
            if (end == lines.Length) throw new InvalidDataException($"{file}:{j + 1}: the code block of snippet '{m.Groups[1].Value}' is not closed");
            found.Add(new Snippet(m.Groups[1].Value, string.Join('\n', lines[(j + 1)..end]), $"{file}:{i + 1}"));
            i = end;
        }
        return found;
    }

    /// <summary>The <c>#region snippet:NAME</c> … <c>#endregion</c> bodies of one source file (regions do not nest).</summary>
    /// <exception cref="InvalidDataException">A region without #endregion (names file:line).</exception>
    public static IReadOnlyList<Snippet> FromSource(string text, string file)
    {
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        var found = new List<Snippet>();
        for (int i = 0; i < lines.Length; i++)
        {
            var m = RegionStart().Match(lines[i]);
            if (!m.Success) continue;
            int end = i + 1;
            while (end < lines.Length && !RegionEnd().IsMatch(lines[end])) end++;
            if (end == lines.Length) throw new InvalidDataException($"{file}:{i + 1}: #region snippet:{m.Groups[1].Value} has no #endregion");
            found.Add(new Snippet(m.Groups[1].Value, string.Join('\n', lines[(i + 1)..end]), $"{file}:{i + 1}"));
            i = end;
        }
        return found;
    }

    /// <summary>
    /// The comparable form of a body: trailing whitespace cut, leading and trailing blank lines dropped, and the
    /// indentation common to the non-blank lines removed.
    /// </summary>
    public static string Normalize(string body)
    {
        var lines = body.ReplaceLineEndings("\n").Split('\n').Select(l => l.TrimEnd()).ToList();
        while (lines.Count > 0 && lines[0].Length == 0) lines.RemoveAt(0);
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        int indent = lines.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', lines.Select(l => l.Length == 0 ? l : l[indent..]));
    }

    /// <summary>Problems: doc snippets without a region, snippets that differ from theirs, duplicate region names.</summary>
    public static IReadOnlyList<string> Compare(IReadOnlyList<Snippet> docs, IReadOnlyList<Snippet> regions)
    {
        var errors = new List<string>();
        foreach (var dup in regions.GroupBy(r => r.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add($"region snippet:{dup.Key} is defined more than once: {string.Join(", ", dup.Select(d => d.Location))}");
        }
        var byName = regions.GroupBy(r => r.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var doc in docs)
        {
            if (!byName.TryGetValue(doc.Name, out var region))
            {
                errors.Add($"{doc.Location}: snippet '{doc.Name}' has no `#region snippet:{doc.Name}` in tests/ExpertMix.Cli.Tests/Docs/");
                continue;
            }
            string a = Normalize(doc.Body), b = Normalize(region.Body);
            if (a != b) errors.Add($"{doc.Location}: snippet '{doc.Name}' differs from {region.Location}: {FirstDifference(a, b)}");
        }
        return errors;
    }

    private static string FenceOf(string line)
    {
        string t = line.TrimStart();
        int n = 0;
        while (n < t.Length && t[n] == '`') n++;
        return n >= 3 ? new string('`', n) : "";
    }

    private static string FirstDifference(string doc, string region)
    {
        var d = doc.Split('\n');
        var r = region.Split('\n');
        for (int i = 0; i < Math.Max(d.Length, r.Length); i++)
        {
            string a = i < d.Length ? d[i] : "(end)", b = i < r.Length ? r[i] : "(end)";
            if (a != b) return $"line {i + 1} of the block: doc '{a}', region '{b}'";
        }
        return "(none)";
    }
}
