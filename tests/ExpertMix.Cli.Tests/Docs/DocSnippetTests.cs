// Every marked code block in docs/*.md equals a #region in tests/ExpertMix.Cli.Tests/Docs/, and every such region is shown in a doc.
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests.Docs;

public class DocSnippetTests
{
    private static IReadOnlyList<Snippet> DocBlocks() =>
        [.. Directory.GetFiles(Path.Combine(RepoPaths.Root, "docs"), "*.md").Order(StringComparer.Ordinal)
            .SelectMany(f => DocSnippets.FromMarkdown(File.ReadAllText(f), Path.GetRelativePath(RepoPaths.Root, f)))];

    private static IReadOnlyList<Snippet> Regions() =>
        [.. Directory.GetFiles(Path.Combine(RepoPaths.Root, "tests", "ExpertMix.Cli.Tests", "Docs"), "*.cs").Order(StringComparer.Ordinal)
            .SelectMany(f => DocSnippets.FromSource(File.ReadAllText(f), Path.GetRelativePath(RepoPaths.Root, f)))];

    [Fact]
    public void Every_doc_snippet_equals_its_region()
    {
        var docs = DocBlocks();
        Assert.NotEmpty(docs);
        var errors = DocSnippets.Compare(docs, Regions());
        Assert.True(errors.Count == 0, "Doc snippets out of date (edit the region in the test, then paste it into the doc):\n" + string.Join("\n", errors));
    }

    [Fact]
    public void Every_region_is_shown_in_a_doc()
    {
        var shown = DocBlocks().Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        var unused = Regions().Where(r => !shown.Contains(r.Name)).Select(r => $"{r.Location}: snippet:{r.Name}").ToList();
        Assert.True(unused.Count == 0, "Regions no doc shows (add `<!-- snippet: NAME -->` before a code block, or remove the region):\n" + string.Join("\n", unused));
    }

    [Fact]
    public void A_changed_or_missing_snippet_is_reported_and_indentation_is_ignored()
    {
        const string md = "Text\n<!-- snippet: a -->\n```csharp\nvar x = 1;\n  var y = 2;\n```\n<!-- snippet: b -->\n\n```bash\nexpertmix inspect\n```\n";
        const string cs = "    void T()\n    {\n        #region snippet:a\n        var x = 1;\n          var y = 2;\n        #endregion\n    }\n";
        var docs = DocSnippets.FromMarkdown(md, "x.md");
        Assert.Equal(["a", "b"], docs.Select(d => d.Name));
        var errors = DocSnippets.Compare(docs, DocSnippets.FromSource(cs, "x.cs"));
        Assert.Equal(["x.md:7: snippet 'b' has no `#region snippet:b` in tests/ExpertMix.Cli.Tests/Docs/"], errors);
        var changed = DocSnippets.FromSource(cs.Replace("var y = 2;", "var y = 3;", StringComparison.Ordinal), "x.cs");
        var diff = Assert.Single(DocSnippets.Compare(docs.Take(1).ToList(), changed));
        Assert.Contains("line 2 of the block: doc '  var y = 2;', region '  var y = 3;'", diff, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => DocSnippets.FromMarkdown("<!-- snippet: c -->\nno block\n", "y.md"));
    }

    [Fact]
    public void Shell_words_follow_quotes_variables_and_comments()
    {
        var vars = new Dictionary<string, string> { ["M"] = "/models/tiny", ["A"] = "/a b" };
        Assert.Equal(["expertmix", "generate", "--model", "/models/tiny", "--adapter", "/a b:0.5", "--prompt", "Once upon a time", "x$y"],
            CliScript.Split("expertmix generate --model $M --adapter \"${A}:0.5\" --prompt 'Once upon a time' x'$y'   # comment", vars));
        Assert.Throws<InvalidDataException>(() => CliScript.Split("expertmix --model $NOPE", vars));
    }
}
