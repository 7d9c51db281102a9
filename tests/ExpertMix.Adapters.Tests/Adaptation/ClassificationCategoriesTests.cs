// User-named Transformer² categories: the generated system prompt, parsing with custom labels, validation.
using System.Text;
using ExpertMix.Adapters.Adaptation;
using ExpertMix.Testing;

namespace ExpertMix.Adapters.Tests.Adaptation;

public class ClassificationCategoriesTests
{
    private static readonly ClassificationCategories Domains = ClassificationCategories.Create(
        [new("chemistry", "About elements."), new("biology", "About amino acids.")]);

    [Fact]
    public void The_paper_categories_generate_the_reference_prompt_byte_for_byte()
    {
        byte[] fixture = File.ReadAllBytes(Path.Combine(RepoPaths.Root, "tests", "ExpertMix.Adapters.Tests", "Adaptation", "fixtures", "classification-prompt.txt"));
        Assert.Equal(fixture, Encoding.UTF8.GetBytes(ClassificationCategories.Paper.SystemPrompt));
        Assert.Equal(["code", "math", "reasoning", "other"], ClassificationCategories.Paper.Labels);
        Assert.Equal(["code", "math", "reasoning"], ClassificationCategories.Paper.ExpertLabels);
        Assert.Equal("other", ClassificationCategories.Paper.Fallback);
        Assert.True(ClassificationCategories.Paper.IsPaper);
        Assert.False(Domains.IsPaper);
    }

    [Fact]
    public void User_categories_fill_the_reference_template()
    {
        const string expected =
            "\n" +
            "    # Analyze the given question and classify it into one of three categories: 'chemistry', 'biology' or 'other'. Follow these guidelines:\n" +
            "\n" +
            "    1. Chemistry: About elements.\n" +
            "    2. Biology: About amino acids.\n" +
            "    3. Other: Questions not clearly fit into above categories.\n" +
            "\n" +
            "    Instructions:\n" +
            "    - Consider the primary focus, skills, and knowledge required to answer the question.\n" +
            "    - If a question spans multiple categories, choose the most dominant one.\n" +
            "    - Provide your final classification within \\boxed{} notation. Example: \\boxed{biology}\n" +
            "\n" +
            "    Format your response as follows:\n" +
            "    Classification: \\boxed{category}\n" +
            "    ";
        Assert.Equal(expected, Domains.SystemPrompt);
        Assert.Equal(["chemistry", "biology", "other"], Domains.Labels);
        Assert.Equal("biology", Domains.Example);
    }

    [Fact]
    public void Count_word_fallback_and_example_follow_the_arguments()
    {
        var two = ClassificationCategories.Create([new("law", "Legal questions.")], fallback: "misc", fallbackDescription: "Anything else.", example: "misc");
        Assert.Contains("one of two categories: 'law' or 'misc'.", two.SystemPrompt, StringComparison.Ordinal);
        Assert.Contains("    2. Misc: Anything else.\n", two.SystemPrompt, StringComparison.Ordinal);
        Assert.Contains("Example: \\boxed{misc}\n", two.SystemPrompt, StringComparison.Ordinal);
        var many = ClassificationCategories.Create([.. Enumerable.Range(0, 12).Select(i => new ClassificationCategory($"c{i}", $"Topic {i}."))]);
        Assert.Contains("one of 13 categories: 'c0', 'c1',", many.SystemPrompt, StringComparison.Ordinal);
        Assert.Contains("'c11' or 'other'.", many.SystemPrompt, StringComparison.Ordinal);
        Assert.Contains("    13. Other:", many.SystemPrompt, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Classification: \\boxed{chemistry}", "chemistry", "chemistry")]
    [InlineData("\\boxed{biology} then \\boxed{chemistry}", "biology", "biology")]
    [InlineData("\\boxed{ Chemistry }", "other", "chemistry")]
    [InlineData("\\boxed{other}", "other", "other")]
    [InlineData("\\boxed{math}", "other", "other")]
    [InlineData("\\boxed{chem}", "other", "other")]
    [InlineData("no box", "other", "other")]
    public void Parse_maps_custom_labels_and_everything_else_to_the_fallback(string output, string faithful, string lenient)
    {
        Assert.Equal(faithful, Domains.Parse(output, LabelParsing.Faithful));
        Assert.Equal(lenient, Domains.Parse(output, LabelParsing.Lenient));
    }

    [Fact]
    public void Mixed_case_labels_are_returned_canonically_under_lenient_parsing()
    {
        var c = ClassificationCategories.Create([new("DNA", "Genetics."), new("Ions", "Charges.")], fallback: "Other");
        Assert.Equal("DNA", c.Parse("\\boxed{dna}", LabelParsing.Lenient));
        Assert.Equal("Other", c.Parse("\\boxed{dna}", LabelParsing.Faithful));
        Assert.Equal("Other", c.Parse("\\boxed{other}", LabelParsing.Lenient));
        Assert.Equal(1, c.IndexOf("Ions"));
        Assert.Equal(2, c.IndexOf("anything"));
    }

    [Theory]
    [InlineData("chemistry", "Again.", "other", "twice")]
    [InlineData("Chemistry", "Case differs.", "other", "twice")]
    [InlineData("physics", "Forces.", "chemistry", "twice")]
    [InlineData("two words", "Bad label.", "other", "invalid label")]
    [InlineData("a}b", "Brace.", "other", "invalid label")]
    [InlineData("", "Empty.", "other", "invalid label")]
    [InlineData("physics", "Two\nlines.", "other", "one non-empty line")]
    [InlineData("physics", " ", "other", "one non-empty line")]
    public void Invalid_categories_are_rejected_with_the_reason(string label, string description, string fallback, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => ClassificationCategories.Create([new("chemistry", "Elements."), new(label, description)], fallback));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_category_or_an_unknown_example_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => ClassificationCategories.Create([]));
        var e = Assert.Throws<ArgumentException>(() => ClassificationCategories.Create([new("law", "Legal.")], example: "math"));
        Assert.Contains("example label 'math'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispatch_confusion_uses_the_custom_labels_as_columns()
    {
        var c = new DispatchConfusion(Domains);
        Assert.Equal(["chemistry", "biology", "other"], c.Columns);
        c.Add("chemistry", "chemistry");
        c.Add("chemistry", "math");        // not a label: the fallback column
        c.Add("biology", "chemistry");
        c.Add("cross", "biology");         // a row that is no label is never a hit
        Assert.Equal([1, 0, 1], c["chemistry"]);
        Assert.Equal([1, 0, 0], c["biology"]);
        Assert.Equal([0, 1, 0], c["cross"]);
        Assert.Equal(1 / 4.0, c.Accuracy, 12);
        Assert.Equal(1, c.ToDictionary()["chemistry"]["other"]);
        Assert.Equal(["code", "math", "reasoning", "other"], new DispatchConfusion().Columns);
    }
}
