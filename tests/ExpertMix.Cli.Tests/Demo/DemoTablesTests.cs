// The embedded fact tables: complete, unique, consistent with independently derived facts and spot-checked values.
using ExpertMix.Cli.Demo;

namespace ExpertMix.Cli.Tests.Demo;

public class DemoTablesTests
{
    /// <summary>The group of Z in the 18-column long-form table, derived from the period lengths 2, 8, 8, 18, 18, 32, 32 (null in the f-block).</summary>
    private static int? GroupFromLayout(int z)
    {
        int[] periodLengths = [2, 8, 8, 18, 18, 32, 32];
        int start = 1;
        foreach (int length in periodLengths)
        {
            if (z < start + length)
            {
                int p = z - start;
                return length switch
                {
                    2 => p == 0 ? 1 : 18,
                    8 => p < 2 ? p + 1 : p + 11,
                    18 => p + 1,
                    _ => p < 2 ? p + 1 : p <= 16 ? null : p - 13,
                };
            }
            start += length;
        }
        throw new ArgumentOutOfRangeException(nameof(z));
    }

    [Fact]
    public void The_periodic_table_has_all_118_elements_in_order_with_unique_symbols_and_names()
    {
        var table = PeriodicTable.Elements;
        Assert.Equal(118, table.Count);
        for (int i = 0; i < table.Count; i++) Assert.Equal(i + 1, table[i].Number);
        Assert.Equal(118, table.Select(e => e.Symbol).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(118, table.Select(e => e.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(table, e =>
        {
            Assert.Matches("^[A-Z][a-z]?$", e.Symbol);
            Assert.Matches("^[A-Z][a-z]+$", e.Name);
        });
    }

    [Fact]
    public void Every_group_agrees_with_the_group_derived_from_the_period_layout()
    {
        Assert.All(PeriodicTable.Elements, e => Assert.True(GroupFromLayout(e.Number) == e.Group, $"{e.Name} (Z = {e.Number}) has group {e.Group?.ToString() ?? "none"}, layout says {GroupFromLayout(e.Number)?.ToString() ?? "none"}"));
        Assert.Equal(2 * 15, PeriodicTable.Elements.Count(e => e.Group is null));
    }

    [Theory]
    [InlineData(1, "H", "Hydrogen", 1)]
    [InlineData(6, "C", "Carbon", 14)]
    [InlineData(11, "Na", "Sodium", 1)]
    [InlineData(19, "K", "Potassium", 1)]
    [InlineData(26, "Fe", "Iron", 8)]
    [InlineData(29, "Cu", "Copper", 11)]
    [InlineData(47, "Ag", "Silver", 11)]
    [InlineData(50, "Sn", "Tin", 14)]
    [InlineData(53, "I", "Iodine", 17)]
    [InlineData(54, "Xe", "Xenon", 18)]
    [InlineData(74, "W", "Tungsten", 6)]
    [InlineData(79, "Au", "Gold", 11)]
    [InlineData(80, "Hg", "Mercury", 12)]
    [InlineData(82, "Pb", "Lead", 14)]
    [InlineData(118, "Og", "Oganesson", 18)]
    public void Known_elements_have_their_textbook_symbol_name_and_group(int z, string symbol, string name, int group)
    {
        var e = PeriodicTable.Elements[z - 1];
        Assert.Equal((z, symbol, name, (int?)group), (e.Number, e.Symbol, e.Name, e.Group));
        Assert.Same(e, PeriodicTable.BySymbol(symbol));
    }

    [Fact]
    public void The_20_amino_acids_have_unique_names_and_codes_and_the_textbook_one_letter_alphabet()
    {
        var all = AminoAcids.All;
        Assert.Equal(20, all.Count);
        Assert.Equal(20, all.Select(a => a.Name).Distinct().Count());
        Assert.Equal(20, all.Select(a => a.Code3).Distinct().Count());
        Assert.Equal("ACDEFGHIKLMNPQRSTVWY", string.Concat(all.Select(a => a.Code1).Order(StringComparer.Ordinal)));
        Assert.All(all, a => Assert.Matches("^[A-Z][a-z]{2}$", a.Code3));
        Assert.Equal([9, 6, 2, 3], Enum.GetValues<SideChainClass>().Select(c => all.Count(a => a.Class == c)));
    }

    [Theory]
    [InlineData("Glycine", "Gly", "G", "Nonpolar")]
    [InlineData("Tryptophan", "Trp", "W", "Nonpolar")]
    [InlineData("Tyrosine", "Tyr", "Y", "Polar")]
    [InlineData("Asparagine", "Asn", "N", "Polar")]
    [InlineData("Glutamine", "Gln", "Q", "Polar")]
    [InlineData("Aspartic acid", "Asp", "D", "Acidic")]
    [InlineData("Glutamic acid", "Glu", "E", "Acidic")]
    [InlineData("Lysine", "Lys", "K", "Basic")]
    [InlineData("Arginine", "Arg", "R", "Basic")]
    [InlineData("Histidine", "His", "H", "Basic")]
    [InlineData("Phenylalanine", "Phe", "F", "Nonpolar")]
    [InlineData("Cysteine", "Cys", "C", "Polar")]
    public void Known_amino_acids_have_their_textbook_codes_and_class(string name, string code3, string code1, string className)
    {
        var cls = Enum.Parse<SideChainClass>(className);
        var a = AminoAcids.All.Single(x => x.Name == name);
        Assert.Equal((code3, code1, cls), (a.Code3, a.Code1, a.Class));
    }
}
