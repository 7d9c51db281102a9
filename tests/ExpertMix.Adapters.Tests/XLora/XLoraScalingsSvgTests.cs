// The X-LoRA scalings SVG: valid XML, every expert and token named, dominant colours = argmax λ, caps on size.
using System.Globalization;
using System.Xml.Linq;
using ExpertMix.Adapters.XLora;
using static ExpertMix.Adapters.Tests.XLora.XLoraScalingsFixture;

namespace ExpertMix.Adapters.Tests.XLora;

public class XLoraScalingsSvgTests
{
    private const int L = 4, N = 3;
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    // A generation of batch 2: prefill of 5 tokens then two cached decode steps (positions 5 and 6), layerwise.
    private static XLoraScalingsEntry[] Generation() => [Entry(0, 2, 5, L, N, 0), Entry(1, 2, 1, L, N, 5), Entry(2, 2, 1, L, N, 6)];

    // (entry, t) of row 0 at each position 0..6.
    private static readonly (int Entry, int T)[] Columns = [(0, 0), (0, 1), (0, 2), (0, 3), (0, 4), (1, 0), (2, 0)];

    [Fact]
    public void Svg_parses_as_xml_and_names_every_expert_module_and_visible_token_in_order()
    {
        var entries = Generation();
        var doc = XDocument.Parse(XLoraScalingsSvg.Render(entries, Labels(entries)));
        Assert.Equal(Svg + "svg", doc.Root!.Name);
        var texts = doc.Descendants(Svg + "text").Select(t => t.Value).ToList();
        foreach (var name in AdapterNames) Assert.Contains(name, texts);
        foreach (var m in new[] { "0.q_proj", "0.v_proj", "1.q_proj", "1.v_proj" }) Assert.Contains(m, texts);
        var expected = Columns.Select(c => Text(1000 * c.Entry + c.T).Replace(" ", "·", StringComparison.Ordinal).Replace("\n", "⏎", StringComparison.Ordinal)).ToList();
        Assert.Contains("·the", expected);
        Assert.Contains("⏎", expected);
        for (int i = 0; i < N; i++)
        {
            var panel = Group(doc, $"expert-{i}");
            Assert.Equal(expected, panel.Elements(Svg + "text").Where(t => (string?)t.Attribute("class") == "token").Select(t => t.Value));
            Assert.Contains(AdapterNames[i], panel.Elements(Svg + "text").First().Value, StringComparison.Ordinal);
        }
        Assert.Equal(expected, Group(doc, "dominant").Elements(Svg + "text").Where(t => (string?)t.Attribute("class") == "token").Select(t => t.Value));
        Assert.DoesNotContain("bins", doc.Root.Element(Svg + "title")!.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Dominant_cells_take_the_legend_colour_of_the_argmax_expert_and_heat_cells_carry_lambda()
    {
        var entries = Generation();
        var doc = XDocument.Parse(XLoraScalingsSvg.Render(entries, Labels(entries)));
        var legend = Group(doc, "dominant-legend").Elements(Svg + "rect").ToDictionary(r => (string)r.Attribute("data-expert")!, r => (string)r.Attribute("fill")!);
        Assert.Equal(N, legend.Count);
        Assert.Equal(N, legend.Values.Distinct().Count());
        var cells = Cells(Group(doc, "dominant"));
        Assert.Equal(Columns.Length * L, cells.Count);
        int changes = 0;
        foreach (var ((col, row), fill) in cells)
        {
            var (e, t) = Columns[col];
            int argmax = Enumerable.Range(0, N).MaxBy(i => Expected(e, true, 0, t, row, i, N));
            Assert.Equal(legend[AdapterNames[argmax]], fill);
            if (argmax != 0) changes++;
        }
        Assert.True(changes > 0, "the fixture should not have one expert dominate everywhere");
        for (int i = 0; i < N; i++)
        {
            foreach (var rect in Group(doc, $"expert-{i}").Elements(Svg + "rect"))
            {
                var (e, t) = Columns[(int)rect.Attribute("data-col")!];
                string tip = rect.Element(Svg + "title")!.Value;
                float shown = float.Parse(tip[(tip.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
                Assert.Equal(Expected(e, true, 0, t, (int)rect.Attribute("data-row")!, i, N), shown, 4);
            }
        }
        // The mean panel: (1/T)·Σ_t λ per module and expert.
        foreach (var rect in Group(doc, "mean").Elements(Svg + "rect"))
        {
            int i = (int)rect.Attribute("data-col")!, l = (int)rect.Attribute("data-row")!;
            string tip = rect.Element(Svg + "title")!.Value;
            double mean = Columns.Average(c => (double)Expected(c.Entry, true, 0, c.T, l, i, N));
            Assert.Equal(mean, double.Parse(tip[(tip.LastIndexOf('=') + 1)..], CultureInfo.InvariantCulture), 4);
        }
    }

    [Fact]
    public void Long_sequences_and_many_modules_are_binned_within_the_cell_cap_and_the_title_says_so()
    {
        var modules = Enumerable.Range(0, 200).Select(k => $"model.layers.{k / 4}.self_attn.p{k % 4}").ToArray();
        var entry = Entry(0, 1, 1000, 1, N, 0);
        var labels = new XLoraScalingsLabels(modules, AdapterNames);
        var options = new XLoraScalingsSvgOptions { MaxCells = 4000 };
        string svg = XLoraScalingsSvg.Render([entry], labels, options);
        var doc = XDocument.Parse(svg);
        string title = doc.Root!.Element(Svg + "title")!.Value;
        Assert.Contains("tokens averaged in bins of", title, StringComparison.Ordinal);
        Assert.Contains("modules averaged in bins of", title, StringComparison.Ordinal);
        int heat = Enumerable.Range(0, N).Sum(i => Group(doc, $"expert-{i}").Elements(Svg + "rect").Count()) + Group(doc, "dominant").Elements(Svg + "rect").Count();
        Assert.InRange(heat, 1, 4000);
        Assert.True(svg.Length < 2_000_000, $"{svg.Length} characters");
        // Not layerwise and bins of whole modules: a bin mean of expert i is the token-bin mean of λ[t, 0, i].
        var (tb, _) = XLoraScalingsSvg.Bins(1000, 200, N, options);
        var first = Group(doc, "expert-1").Elements(Svg + "rect").First(r => (int)r.Attribute("data-col")! == 0);
        string tip = first.Element(Svg + "title")!.Value;
        double want = Enumerable.Range(0, tb).Average(t => (double)Expected(0, false, 0, t, 0, 1, N));
        Assert.Equal(want, double.Parse(tip[(tip.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture), 4);
    }

    [Fact]
    public void Control_characters_markup_and_broken_surrogates_in_tokens_still_give_valid_xml_with_visible_labels()
    {
        var entry = Entry(0, 1, 5, 1, N, 0);
        string[] texts = ["\u0001", "<b>&amp;", "\t", "\uD800x", ""];
        var labels = new XLoraScalingsLabels(ModuleNames, AdapterNames, [texts]);
        var doc = XDocument.Parse(XLoraScalingsSvg.Render([entry], labels));
        var tokens = Group(doc, "expert-0").Elements(Svg + "text").Where(t => (string?)t.Attribute("class") == "token").Select(t => t.Value).ToList();
        Assert.Equal(5, tokens.Count);
        Assert.Equal("\u2401", tokens[0]);
        Assert.Equal("<b>&amp;", tokens[1]);
        Assert.Equal("⇥", tokens[2]);
        Assert.EndsWith("x", tokens[3], StringComparison.Ordinal);
        Assert.NotEmpty(tokens[4]);
    }

    [Fact]
    public void A_sequence_takes_the_latest_entry_per_position_and_the_last_generation_starts_at_the_last_prefill()
    {
        // A no-cache run re-logs the whole sequence: entry 1 (positions 0..3) supersedes entry 0 (positions 0..2).
        XLoraScalingsEntry[] entries = [Entry(0, 1, 3, L, N, 0), Entry(1, 1, 4, L, N, 0)];
        var seq = XLoraScalingsSequence.Build(entries, Labels(entries));
        Assert.Equal([0, 1, 2, 3], seq.Positions);
        Assert.Equal([1000, 1001, 1002, 1003], seq.TokenIds);
        Assert.Equal(Expected(1, true, 0, 2, 3, 1, N), seq.At(2, 3, 1));
        XLoraScalingsEntry[] log = [Entry(0, 1, 3, L, N, 0), Entry(1, 1, 1, L, N, 3), Entry(2, 1, 2, L, N, 0), Entry(3, 1, 1, L, N, 2)];
        Assert.Equal([log[2], log[3]], XLoraScalingsSequence.LastSequence(log));
        Assert.Throws<ArgumentException>(() => XLoraScalingsSequence.Build(entries, Labels(entries), batchRow: 1));
    }

    private static XElement Group(XDocument doc, string id) =>
        doc.Descendants(Svg + "g").Single(g => (string?)g.Attribute("id") == id);

    private static Dictionary<(int Col, int Row), string> Cells(XElement group) =>
        group.Elements(Svg + "rect").ToDictionary(r => ((int)r.Attribute("data-col")!, (int)r.Attribute("data-row")!), r => (string)r.Attribute("fill")!);
}
