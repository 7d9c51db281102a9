// The 20 standard proteinogenic amino acids (name, three- and one-letter codes, side-chain class) for the demo world.
namespace ExpertMix.Cli.Demo;

/// <summary>The usual four textbook side-chain classes (at pH 7).</summary>
internal enum SideChainClass
{
    /// <summary>Nonpolar (hydrophobic): G, A, V, L, I, M, P, F, W.</summary>
    Nonpolar,

    /// <summary>Polar, uncharged: S, T, C, N, Q, Y.</summary>
    Polar,

    /// <summary>Acidic (negatively charged): D, E.</summary>
    Acidic,

    /// <summary>Basic (positively charged): K, R, H.</summary>
    Basic,
}

/// <summary>One amino acid, e.g. Glycine, Gly, G, nonpolar.</summary>
/// <param name="Name">English name, capitalised (e.g. <c>Aspartic acid</c>).</param>
/// <param name="Code3">Three-letter code, e.g. <c>Gly</c>.</param>
/// <param name="Code1">One-letter code, e.g. <c>G</c>.</param>
/// <param name="Class">Side-chain class.</param>
internal sealed record AminoAcid(string Name, string Code3, string Code1, SideChainClass Class)
{
    /// <summary>The class as written in questions and answers: nonpolar, polar, acidic or basic.</summary>
    public string ClassName => Class.ToString().ToLowerInvariant();
}

/// <summary>The 20 standard amino acids, alphabetical by name.</summary>
internal static class AminoAcids
{
    /// <summary>All 20.</summary>
    public static IReadOnlyList<AminoAcid> All { get; } =
    [
        new("Alanine", "Ala", "A", SideChainClass.Nonpolar),
        new("Arginine", "Arg", "R", SideChainClass.Basic),
        new("Asparagine", "Asn", "N", SideChainClass.Polar),
        new("Aspartic acid", "Asp", "D", SideChainClass.Acidic),
        new("Cysteine", "Cys", "C", SideChainClass.Polar),
        new("Glutamine", "Gln", "Q", SideChainClass.Polar),
        new("Glutamic acid", "Glu", "E", SideChainClass.Acidic),
        new("Glycine", "Gly", "G", SideChainClass.Nonpolar),
        new("Histidine", "His", "H", SideChainClass.Basic),
        new("Isoleucine", "Ile", "I", SideChainClass.Nonpolar),
        new("Leucine", "Leu", "L", SideChainClass.Nonpolar),
        new("Lysine", "Lys", "K", SideChainClass.Basic),
        new("Methionine", "Met", "M", SideChainClass.Nonpolar),
        new("Phenylalanine", "Phe", "F", SideChainClass.Nonpolar),
        new("Proline", "Pro", "P", SideChainClass.Nonpolar),
        new("Serine", "Ser", "S", SideChainClass.Polar),
        new("Threonine", "Thr", "T", SideChainClass.Polar),
        new("Tryptophan", "Trp", "W", SideChainClass.Nonpolar),
        new("Tyrosine", "Tyr", "Y", SideChainClass.Polar),
        new("Valine", "Val", "V", SideChainClass.Nonpolar),
    ];
}
