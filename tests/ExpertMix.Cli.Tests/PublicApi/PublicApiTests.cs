// The public C# surface of the five src assemblies is approved as text, and every public type and member carries an XML doc comment.
using System.Reflection;
using System.Xml.Linq;
using ExpertMix.Testing;

namespace ExpertMix.Cli.Tests.PublicApi;

public class PublicApiTests
{
    private static string Folder => Path.Combine(RepoPaths.Root, "tests", "ExpertMix.Cli.Tests", "PublicApi");

    public static TheoryData<string> Assemblies => new(PublicSurface.Assemblies);

    /// <summary>The approved file's name: the project name (the CLI assembly is called expertmix).</summary>
    private static string ProjectName(string assembly) => assembly == "expertmix" ? "ExpertMix.Cli" : assembly;

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void Public_surface_matches_the_approved_file(string assembly)
    {
        string listing = PublicApiListing.Render(PublicSurface.Load(assembly));
        ApprovalFile.Verify(Folder, ProjectName(assembly), listing);
    }

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void Every_public_type_and_member_has_an_xml_doc_comment(string assembly)
    {
        var asm = PublicSurface.Load(assembly);
        var documented = DocumentedIds(asm);
        var missing = new List<string>();
        foreach (var type in PublicSurface.Types(asm))
        {
            if (!documented.Contains(DocumentationIds.Of(type))) missing.Add(DocumentationIds.Of(type));
            // A parameterless constructor with no entry is the compiler's implicit one (nothing in source to document; the type's summary covers it).
            missing.AddRange(PublicSurface.Members(type)
                .Where(m => m is not ConstructorInfo { } c || c.GetParameters().Length > 0)
                .Select(DocumentationIds.Of).Where(id => !documented.Contains(id)));
        }
        Assert.True(missing.Count == 0, $"{missing.Count} public type(s)/member(s) of {assembly} have no XML doc comment (<summary> or <inheritdoc/>):\n  " + string.Join("\n  ", missing.Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void Documentation_ids_follow_the_compiler()
    {
        var load = typeof(Models.CausalLm).GetMethod(nameof(Models.CausalLm.Load))!;
        Assert.Equal("M:ExpertMix.Models.CausalLm.Load(System.String,ExpertMix.Models.LoadOptions)", DocumentationIds.Of(load));
        var require = typeof(Models.HfConfigJson).GetMethod(nameof(Models.HfConfigJson.Require))!;
        Assert.Equal("M:ExpertMix.Models.HfConfigJson.Require``1(System.Nullable{``0},System.String,System.String)", DocumentationIds.Of(require));
        var gradNode = typeof(Tensors.GradNode).GetConstructors().Single();
        Assert.Equal("M:ExpertMix.Tensors.GradNode.#ctor(System.String,ExpertMix.Tensors.Tensor[],ExpertMix.Tensors.BackwardRule)", DocumentationIds.Of(gradNode));
        // The coverage test above is the wider check: with every public member found in the compiler's XML under the ID
        // computed here, a wrong encoding (generics, arrays, refs, nested types) would show up as "undocumented".
    }

    [Fact]
    public void Listing_shows_kinds_signatures_and_defaults()
    {
        string listing = PublicApiListing.Render(typeof(Models.CausalLm).Assembly);
        Assert.Contains("\nstatic class ExpertMix.Models.CausalLm\n", listing, StringComparison.Ordinal);
        Assert.Contains("    static ICausalLm Load(string directory, LoadOptions? options = null)\n", listing, StringComparison.Ordinal);
        Assert.Contains("\nsealed record ExpertMix.Models.LoadOptions : IEquatable<LoadOptions>\n", listing, StringComparison.Ordinal);
        Assert.Contains("    DTypePolicy DType { get; init; }\n", listing, StringComparison.Ordinal);
    }

    /// <summary>IDs of the XML file's &lt;member&gt;s that say something (non-empty text or an inheritdoc).</summary>
    private static HashSet<string> DocumentedIds(Assembly asm)
    {
        string path = Path.Combine(AppContext.BaseDirectory, asm.GetName().Name + ".xml");
        Assert.True(File.Exists(path), $"{path} not found: GenerateDocumentationFile must be on for {asm.GetName().Name}");
        return XDocument.Load(path).Descendants("member")
            .Where(m => m.Descendants("inheritdoc").Any() || !string.IsNullOrWhiteSpace(m.Value))
            .Select(m => (string)m.Attribute("name")!)
            .ToHashSet(StringComparer.Ordinal);
    }
}
