// The question templates of the demo domains and the cross-domain compositions, each answer a function of the tables.
using System.Globalization;

namespace ExpertMix.Cli.Demo;

/// <summary>An arithmetic operation of the demo.</summary>
internal enum ArithmeticOp
{
    /// <summary>a plus b.</summary>
    Plus,

    /// <summary>a minus b (b ≤ a, so the result is ≥ 0).</summary>
    Minus,

    /// <summary>a times b.</summary>
    Times,
}

/// <summary>One fact of a fact domain (an entity's value for a relation) and the questions that ask for it.</summary>
/// <param name="Relation">e.g. <c>symbol</c>, <c>name-from-number</c>, <c>class</c>.</param>
/// <param name="Entity">The entity key: an element's atomic number or an amino acid's one-letter code.</param>
/// <param name="Phrasings">The same question in different words (same answer).</param>
internal sealed record DemoFact(string Relation, string Entity, IReadOnlyList<DemoExample> Phrasings);

/// <summary>One arithmetic problem; <see cref="Result"/> is the exact integer answer.</summary>
internal sealed record ArithmeticProblem(ArithmeticOp Op, int A, int B)
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
/// code, side-chain class. Every fact has two phrasings (see <see cref="DemoFact"/>). Arithmetic: "What is a
/// plus|minus|times b?". Cross-domain kinds: atomic number plus k
/// (k = 1..9), atomic number times k (k = 2, 3), the element whose symbol is an amino acid's one-letter code, and
/// that element's atomic number.
/// </summary>
internal static class DemoQuestions
{
    /// <summary>Domain names.</summary>
    public const string Chemistry = "chemistry", Biology = "biology", Arithmetic = "arithmetic", Cross = "cross";

    /// <summary>The fact and skill domains (each gets its own expert), in order.</summary>
    public static IReadOnlyList<string> ExpertDomains { get; } = [Chemistry, Biology, Arithmetic];

    /// <summary>
    /// The chemistry facts about <paramref name="e"/>, each asked in two phrasings: symbol, atomic number, name from
    /// symbol, name from atomic number, and group (elements with a group only).
    /// </summary>
    public static IReadOnlyList<DemoFact> ForElement(Element e)
    {
        ArgumentNullException.ThrowIfNull(e);
        string z = Num(e.Number);
        var list = new List<DemoFact>
        {
            Fact(Chemistry, "symbol", z, e.Symbol, $"What is the symbol of {e.Name}?", $"Which symbol does {e.Name} have?"),
            Fact(Chemistry, "number", z, z, $"What is the atomic number of {e.Name}?", $"Which atomic number does {e.Name} have?"),
            Fact(Chemistry, "name-from-symbol", z, e.Name, $"Which element has the symbol {e.Symbol}?", $"Which element does the symbol {e.Symbol} stand for?"),
            Fact(Chemistry, "name-from-number", z, e.Name, $"Which element has atomic number {z}?", $"Which element is element number {z}?"),
        };
        if (e.Group is int g) list.Add(Fact(Chemistry, "group", z, Num(g), $"What group is {e.Name} in?", $"Which group does {e.Name} belong to?"));
        return list;
    }

    /// <summary>
    /// The biology facts about <paramref name="a"/>, each asked in two phrasings: one-letter code, three-letter code,
    /// name from either code, side-chain class.
    /// </summary>
    public static IReadOnlyList<DemoFact> ForAminoAcid(AminoAcid a)
    {
        ArgumentNullException.ThrowIfNull(a);
        string id = a.Code1;
        return
        [
            Fact(Biology, "code1", id, a.Code1, $"What is the one-letter code of {a.Name}?", $"Which one-letter code does {a.Name} have?"),
            Fact(Biology, "code3", id, a.Code3, $"What is the three-letter code of {a.Name}?", $"Which three-letter code does {a.Name} have?"),
            Fact(Biology, "name-from-code1", id, a.Name, $"Which amino acid has the one-letter code {a.Code1}?", $"Which amino acid does the one-letter code {a.Code1} stand for?"),
            Fact(Biology, "name-from-code3", id, a.Name, $"Which amino acid has the three-letter code {a.Code3}?", $"Which amino acid does the three-letter code {a.Code3} stand for?"),
            Fact(Biology, "class", id, a.ClassName, $"What is the side-chain class of {a.Name}?", $"Which side-chain class does {a.Name} have?"),
        ];
    }

    /// <summary>A fact whose phrasing i (1-based) has id <c>{domain}/{relation}/p{i}/{entity}</c>.</summary>
    private static DemoFact Fact(string domain, string relation, string entity, string answer, params string[] phrasings) =>
        new(relation, entity, [.. phrasings.Select((q, i) => new DemoExample($"{domain}/{relation}/p{i + 1}/{entity}", domain, q, answer))]);

    /// <summary>Every arithmetic problem: a plus b for a, b in 0..AdditionMaxOperand; a minus b for 0 ≤ b ≤ a ≤ AdditionMaxOperand; a times b for a, b in 0..MultiplicationMaxOperand.</summary>
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
    /// and number-of-code (→ its atomic number), where codes that are no symbol among <paramref name="elements"/> are
    /// skipped; and symbol-and-code ("What are the symbol of Sodium and the one-letter code of Glycine?" → "Na G"), whose
    /// answer needs the chemistry expert for its first token and the biology expert for its second.
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
        var pair = elements.SelectMany(e => AminoAcids.All.Select(a => new DemoExample($"{Cross}/symbol-and-code/{e.Symbol}/{a.Code1}", Cross,
            $"What are the symbol of {e.Name} and the one-letter code of {a.Name}?", $"{e.Symbol} {a.Code1}"))).ToList();
        return [plus, times, element, number, pair];
    }

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);
}
