// The question templates of the demo domains and the cross-domain compositions, each answer a function of the tables.
using System.Globalization;

namespace ExpertMix.Cli.Demo;

/// <summary>An arithmetic operation of the demo.</summary>
public enum ArithmeticOp
{
    /// <summary>a plus b.</summary>
    Plus,

    /// <summary>a minus b (b ≤ a, so the result is ≥ 0).</summary>
    Minus,

    /// <summary>a times b.</summary>
    Times,
}

/// <summary>One arithmetic problem; <see cref="Result"/> is the exact integer answer.</summary>
public sealed record ArithmeticProblem(ArithmeticOp Op, int A, int B)
{
    /// <summary>The operator word: plus, minus or times.</summary>
    public string Word => Op.ToString().ToLowerInvariant();

    /// <summary>a + b, a − b or a · b.</summary>
    public int Result => Op switch { ArithmeticOp.Plus => A + B, ArithmeticOp.Minus => A - B, _ => A * B };

    /// <summary>Unique key, e.g. <c>plus/3/4</c>.</summary>
    public string Key => $"{Word}/{A}/{B}";
}

/// <summary>
/// Question templates. Chemistry (per element): symbol, atomic number, name from symbol, name from atomic number,
/// group (elements with a group only). Biology (per amino acid): one-letter code, three-letter code, name from either
/// code, side-chain class. Arithmetic: "What is a plus|minus|times b?". Cross-domain kinds: atomic number plus k
/// (k = 1..9), atomic number times k (k = 2, 3), the element whose symbol is an amino acid's one-letter code, and
/// that element's atomic number.
/// </summary>
public static class DemoQuestions
{
    /// <summary>Domain names.</summary>
    public const string Chemistry = "chemistry", Biology = "biology", Arithmetic = "arithmetic", Cross = "cross";

    /// <summary>The fact and skill domains (each gets its own expert), in order.</summary>
    public static IReadOnlyList<string> ExpertDomains { get; } = [Chemistry, Biology, Arithmetic];

    /// <summary>The chemistry questions about <paramref name="e"/> (one per template).</summary>
    public static IReadOnlyList<DemoExample> ForElement(Element e)
    {
        ArgumentNullException.ThrowIfNull(e);
        string z = Num(e.Number);
        var list = new List<DemoExample>
        {
            new($"{Chemistry}/symbol/{z}", Chemistry, $"What is the symbol of {e.Name}?", e.Symbol),
            new($"{Chemistry}/number/{z}", Chemistry, $"What is the atomic number of {e.Name}?", z),
            new($"{Chemistry}/name-from-symbol/{z}", Chemistry, $"Which element has the symbol {e.Symbol}?", e.Name),
            new($"{Chemistry}/name-from-number/{z}", Chemistry, $"Which element has atomic number {z}?", e.Name),
        };
        if (e.Group is int g) list.Add(new($"{Chemistry}/group/{z}", Chemistry, $"What group is {e.Name} in?", Num(g)));
        return list;
    }

    /// <summary>The biology questions about <paramref name="a"/> (one per template).</summary>
    public static IReadOnlyList<DemoExample> ForAminoAcid(AminoAcid a)
    {
        ArgumentNullException.ThrowIfNull(a);
        string id = a.Code1;
        return
        [
            new($"{Biology}/code1/{id}", Biology, $"What is the one-letter code of {a.Name}?", a.Code1),
            new($"{Biology}/code3/{id}", Biology, $"What is the three-letter code of {a.Name}?", a.Code3),
            new($"{Biology}/name-from-code1/{id}", Biology, $"Which amino acid has the one-letter code {a.Code1}?", a.Name),
            new($"{Biology}/name-from-code3/{id}", Biology, $"Which amino acid has the three-letter code {a.Code3}?", a.Name),
            new($"{Biology}/class/{id}", Biology, $"What is the side-chain class of {a.Name}?", a.ClassName),
        ];
    }

    /// <summary>Every arithmetic problem of the options: a ± b with 0 ≤ b ≤ a ≤ max for minus, 0..max for plus; 0..max× for times.</summary>
    public static IReadOnlyList<ArithmeticProblem> ArithmeticProblems(DemoWorldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var list = new List<ArithmeticProblem>();
        int m = options.AdditionMaxOperand, t = options.MultiplicationMaxOperand;
        for (int a = 0; a <= m; a++)
        {
            for (int b = 0; b <= m; b++) list.Add(new(ArithmeticOp.Plus, a, b));
        }
        for (int a = 0; a <= m; a++)
        {
            for (int b = 0; b <= a; b++) list.Add(new(ArithmeticOp.Minus, a, b));
        }
        for (int a = 0; a <= t; a++)
        {
            for (int b = 0; b <= t; b++) list.Add(new(ArithmeticOp.Times, a, b));
        }
        return list;
    }

    /// <summary>How many problems <see cref="ArithmeticProblems"/> yields: (m+1)² + (m+1)(m+2)/2 + (t+1)².</summary>
    public static int ArithmeticProblemCount(DemoWorldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int m = options.AdditionMaxOperand + 1, t = options.MultiplicationMaxOperand + 1;
        return m * m + m * (m + 1) / 2 + t * t;
    }

    /// <summary>The question about <paramref name="p"/>: "What is a plus b?" → the integer result.</summary>
    public static DemoExample ForProblem(ArithmeticProblem p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new($"{Arithmetic}/{p.Key}", Arithmetic, $"What is {Num(p.A)} {p.Word} {Num(p.B)}?", Num(p.Result));
    }

    /// <summary>
    /// The cross-domain questions over <paramref name="elements"/>, grouped by kind: plus (Z + k, k = 1..9), times
    /// (Z · k, k = 2..3), element-of-code (the element whose symbol equals an amino acid's one-letter code → its name)
    /// and number-of-code (→ its atomic number). Codes that are no symbol among <paramref name="elements"/> are skipped.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<DemoExample>> CrossByKind(IReadOnlyList<Element> elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        var plus = new List<DemoExample>();
        var times = new List<DemoExample>();
        foreach (var e in elements)
        {
            for (int k = 1; k <= 9; k++)
            {
                plus.Add(new($"{Cross}/number-plus/{e.Number}/{k}", Cross, $"What is the atomic number of {e.Name} plus {k}?", Num(e.Number + k)));
            }
            for (int k = 2; k <= 3; k++)
            {
                times.Add(new($"{Cross}/number-times/{e.Number}/{k}", Cross, $"What is the atomic number of {e.Name} times {k}?", Num(e.Number * k)));
            }
        }
        var bySymbol = elements.ToDictionary(e => e.Symbol, StringComparer.Ordinal);
        var element = new List<DemoExample>();
        var number = new List<DemoExample>();
        foreach (var a in AminoAcids.All)
        {
            if (!bySymbol.TryGetValue(a.Code1, out var e)) continue;
            element.Add(new($"{Cross}/element-of-code/{a.Code1}", Cross, $"Which element's symbol is the one-letter code of {a.Name}?", e.Name));
            number.Add(new($"{Cross}/number-of-code/{a.Code1}", Cross, $"What is the atomic number of the element whose symbol is the one-letter code of {a.Name}?", Num(e.Number)));
        }
        return [plus, times, element, number];
    }

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);
}
