// The general-text pretraining corpus of the demo: plain sentences stating every table fact, no Q/A format.
using System.Globalization;

namespace ExpertMix.Cli.Demo;

/// <summary>
/// Sentences for base pretraining, each a standalone text row. Per element: "Sodium has the symbol Na and atomic
/// number 11.", "The symbol Na stands for Sodium.", "Element 11 is Sodium.", "Sodium is in group 1." (when it has a
/// group). Per amino acid: "Glycine, Gly, G, is nonpolar.", "The one-letter code G stands for Glycine.", "The
/// three-letter code Gly stands for Glycine.". Per arithmetic problem given: "3 plus 4 is 7.". Every fact of the
/// fact domains is stated in both directions, so a question in either direction asks about something the base read;
/// nothing is phrased as "Q: … A: …", so the question format is left for the experts to learn.
/// </summary>
internal static class DemoCorpus
{
    /// <summary>The sentences about <paramref name="e"/>.</summary>
    public static IEnumerable<string> ForElement(Element e)
    {
        ArgumentNullException.ThrowIfNull(e);
        yield return $"{e.Name} has the symbol {e.Symbol} and atomic number {Num(e.Number)}.";
        yield return $"The symbol {e.Symbol} stands for {e.Name}.";
        yield return $"Element {Num(e.Number)} is {e.Name}.";
        if (e.Group is int g) yield return $"{e.Name} is in group {Num(g)}.";
    }

    /// <summary>The sentences about <paramref name="a"/>.</summary>
    public static IEnumerable<string> ForAminoAcid(AminoAcid a)
    {
        ArgumentNullException.ThrowIfNull(a);
        yield return $"{a.Name}, {a.Code3}, {a.Code1}, is {a.ClassName}.";
        yield return $"The one-letter code {a.Code1} stands for {a.Name}.";
        yield return $"The three-letter code {a.Code3} stands for {a.Name}.";
    }

    /// <summary>"a plus b is c." for <paramref name="p"/>.</summary>
    public static string ForProblem(ArithmeticProblem p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return $"{Num(p.A)} {p.Word} {Num(p.B)} is {Num(p.Result)}.";
    }

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);
}
