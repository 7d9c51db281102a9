// Docs do not rot silently: relative links (and their #anchors) resolve, and every source file formats.md cites exists.
using System.Text.RegularExpressions;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests.Docs;

public partial class DocReferenceTests
{
    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"`([A-Za-z0-9_./]+\.cs)`")]
    private static partial Regex CodePath();

    [GeneratedRegex(@"^#{1,6}\s+(.+?)\s*$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    private static string Docs => Path.Combine(RepoPaths.Root, "docs");

    [Fact]
    public void Relative_links_in_docs_resolve()
    {
        var broken = new List<string>();
        foreach (var file in Directory.GetFiles(Docs, "*.md").Order(StringComparer.Ordinal))
        {
            foreach (Match m in Link().Matches(File.ReadAllText(file)))
            {
                string target = m.Groups[1].Value;
                if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal)) continue;
                string[] parts = target.Split('#', 2);
                string path = parts[0].Length == 0 ? file : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, parts[0]));
                if (!File.Exists(path) && !Directory.Exists(path))
                {
                    broken.Add($"{Path.GetFileName(file)}: {target} (no such file)");
                }
                else if (parts.Length == 2 && path.EndsWith(".md", StringComparison.Ordinal) && !Anchors(File.ReadAllText(path)).Contains(parts[1]))
                {
                    broken.Add($"{Path.GetFileName(file)}: {target} (no heading with that anchor)");
                }
            }
        }
        Assert.True(broken.Count == 0, "Broken links in docs/:\n" + string.Join("\n", broken));
    }

    [Fact]
    public void Source_files_cited_by_formats_md_exist()
    {
        var sources = Directory.GetFiles(Path.Combine(RepoPaths.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Select(p => p.Replace('\\', '/')).ToList();
        var cited = CodePath().Matches(File.ReadAllText(Path.Combine(Docs, "formats.md"))).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(cited.Count > 20, $"only {cited.Count} source files cited");
        var missing = cited.Where(c => !sources.Any(s => s.EndsWith("/" + c, StringComparison.Ordinal))).ToList();
        Assert.True(missing.Count == 0, "formats.md cites files that are not under src/: " + string.Join(", ", missing));
    }

    [Fact]
    public void Anchors_follow_github()
    {
        Assert.Equal(["run-with-a-peft-adapter-you-already-have", "svf-and-transformer-files", "c"],
            Anchors("## Run with a PEFT adapter you already have\n### SVF and Transformer² files\n## C#\n"));
    }

    /// <summary>GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.</summary>
    private static List<string> Anchors(string markdown) =>
        [.. Heading().Matches(markdown).Select(m => new string(m.Groups[1].Value.ToLowerInvariant()
            .Where(c => char.IsAsciiLetterOrDigit(c) || c is ' ' or '-' or '_').ToArray()).Replace(' ', '-'))];
}
