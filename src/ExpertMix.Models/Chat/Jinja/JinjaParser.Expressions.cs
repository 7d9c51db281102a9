// Jinja2 expression parser: precedence climbing exactly as jinja2 (condexpr, or, and, not, compare, +-, ~, */ // %, **, unary, postfix, filters, tests).
namespace ExpertMix.Models.Chat.Jinja;

internal sealed partial class JinjaParser
{
    private static readonly HashSet<string> CompareOps = ["==", "!=", "<", "<=", ">", ">="];

    private Expr ParseExpression() => ParseCondExpr();

    private Expr ParseCondExpr()
    {
        var expr = ParseOr();
        while (IsName("if"))
        {
            int line = Next().Line;
            var test = ParseOr();
            Expr? otherwise = SkipName("else") ? ParseCondExpr() : null;
            expr = new CondExpr(line, test, expr, otherwise);
        }
        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (IsName("or"))
        {
            int line = Next().Line;
            left = new LogicalExpr(line, false, left, ParseAnd());
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (IsName("and"))
        {
            int line = Next().Line;
            left = new LogicalExpr(line, true, left, ParseNot());
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (IsName("not"))
        {
            int line = Next().Line;
            return new NotExpr(line, ParseNot());
        }
        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        int line = Current.Line;
        var first = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Current.Kind == TokenKind.Operator && CompareOps.Contains(Current.Text))
            {
                var op = Next().Text;
                rest.Add((op, ParseMath1()));
            }
            else if (SkipName("in"))
            {
                rest.Add(("in", ParseMath1()));
            }
            else if (IsName("not") && Look.Is(TokenKind.Name, "in"))
            {
                Next();
                Next();
                rest.Add(("notin", ParseMath1()));
            }
            else
            {
                break;
            }
        }
        return rest.Count == 0 ? first : new CompareExpr(line, first, rest);
    }

    private Expr ParseMath1()
    {
        var left = ParseConcat();
        while (IsOp("+") || IsOp("-"))
        {
            var op = Next();
            left = new BinaryExpr(op.Line, op.Text, left, ParseConcat());
        }
        return left;
    }

    private Expr ParseConcat()
    {
        int line = Current.Line;
        var parts = new List<Expr> { ParseMath2() };
        while (SkipOp("~")) parts.Add(ParseMath2());
        return parts.Count == 1 ? parts[0] : new ConcatExpr(line, parts);
    }

    private Expr ParseMath2()
    {
        var left = ParsePow();
        while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%"))
        {
            var op = Next();
            left = new BinaryExpr(op.Line, op.Text, left, ParsePow());
        }
        return left;
    }

    private Expr ParsePow()
    {
        var left = ParseUnary(withFilter: true);
        while (IsOp("**"))
        {
            var op = Next();
            left = new BinaryExpr(op.Line, "**", left, ParseUnary(withFilter: true));
        }
        return left;
    }

    private Expr ParseUnary(bool withFilter)
    {
        var t = Current;
        if (++_depth > MaxNesting) throw Fail($"expression nested deeper than {MaxNesting} levels", t);
        try
        {
            return ParseUnaryCore(withFilter);
        }
        finally
        {
            _depth--;
        }
    }

    private Expr ParseUnaryCore(bool withFilter)
    {
        var t = Current;
        Expr node;
        if (IsOp("-") || IsOp("+"))
        {
            Next();
            node = new UnaryExpr(t.Line, t.Text, ParseUnary(withFilter: false));
        }
        else
        {
            node = ParsePrimary();
        }
        node = ParsePostfix(node);
        if (withFilter) node = ParseFilterExpr(node);
        return node;
    }

    private Expr ParsePrimary()
    {
        var t = Current;
        switch (t.Kind)
        {
            case TokenKind.Name:
                Next();
                return t.Text switch
                {
                    "true" or "True" => new ConstExpr(t.Line, true),
                    "false" or "False" => new ConstExpr(t.Line, false),
                    "none" or "None" => new ConstExpr(t.Line, null),
                    _ => new NameExpr(t.Line, t.Text),
                };
            case TokenKind.String:
                {
                    Next();
                    var s = (string)t.Value!;
                    while (Current.Kind == TokenKind.String) s += (string)Next().Value!;
                    return new ConstExpr(t.Line, s);
                }
            case TokenKind.Integer or TokenKind.Float:
                Next();
                return new ConstExpr(t.Line, t.Value);
            case TokenKind.Operator when t.Text == "(":
                {
                    Next();
                    var e = ParseTuple(withCondExpr: true, explicitParentheses: true);
                    Expect(TokenKind.Operator, ")");
                    return e;
                }
            case TokenKind.Operator when t.Text == "[":
                {
                    Next();
                    var items = new List<Expr>();
                    while (!IsOp("]"))
                    {
                        if (items.Count > 0) Expect(TokenKind.Operator, ",");
                        if (IsOp("]")) break;
                        items.Add(ParseExpression());
                    }
                    Expect(TokenKind.Operator, "]");
                    return new ListExpr(t.Line, items, false);
                }
            case TokenKind.Operator when t.Text == "{":
                {
                    Next();
                    var items = new List<(Expr, Expr)>();
                    while (!IsOp("}"))
                    {
                        if (items.Count > 0) Expect(TokenKind.Operator, ",");
                        if (IsOp("}")) break;
                        var key = ParseExpression();
                        Expect(TokenKind.Operator, ":");
                        items.Add((key, ParseExpression()));
                    }
                    Expect(TokenKind.Operator, "}");
                    return new DictExpr(t.Line, items);
                }
            default:
                throw Fail($"unexpected '{t}'", t);
        }
    }

    private Expr ParseTuple(bool withCondExpr, bool explicitParentheses, string? extraEnd = null, bool simplified = false)
    {
        int line = Current.Line;
        var items = new List<Expr>();
        bool isTuple = false;
        while (true)
        {
            if (items.Count > 0) Expect(TokenKind.Operator, ",");
            if (IsTupleEnd(extraEnd)) break;
            items.Add(simplified ? ParsePrimary() : withCondExpr ? ParseExpression() : ParseOr());
            if (IsOp(",")) isTuple = true;
            else break;
        }
        if (!isTuple)
        {
            if (items.Count > 0) return items[0];
            if (!explicitParentheses) throw Fail($"Expected an expression, got '{Current}'", Current);
        }
        return new ListExpr(line, items, true);
    }

    private bool IsTupleEnd(string? extraEnd) =>
        Current.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd or TokenKind.Eof || IsOp(")")
        || (extraEnd is not null && IsName(extraEnd));

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            if (IsOp(".") || IsOp("[")) node = ParseSubscript(node);
            else if (IsOp("(")) node = ParseCall(node);
            else return node;
        }
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            if (IsOp("|")) node = ParseFilterChain(node, startInline: false);
            else if (IsName("is")) node = ParseTest(node);
            else if (IsOp("(")) node = ParseCall(node);
            else return node;
        }
    }

    private Expr ParseSubscript(Expr node)
    {
        var t = Next();
        if (t.Text == ".")
        {
            var attr = Current;
            if (attr.Kind == TokenKind.Name)
            {
                Next();
                return new GetAttrExpr(t.Line, node, attr.Text);
            }
            if (attr.Kind == TokenKind.Integer)
            {
                Next();
                return new GetItemExpr(t.Line, node, new ConstExpr(t.Line, attr.Value));
            }
            throw Fail("expected name or number", attr);
        }
        var args = new List<Expr>();
        while (!IsOp("]"))
        {
            if (args.Count > 0) Expect(TokenKind.Operator, ",");
            args.Add(ParseSubscribed(node, t.Line));
        }
        Expect(TokenKind.Operator, "]");
        if (args.Count == 1 && args[0] is SliceExpr slice) return slice;
        if (args.Any(a => a is SliceExpr)) throw Fail("multi-dimensional slices are not supported", t);
        var key = args.Count == 1 ? args[0] : new ListExpr(t.Line, args, true);
        return new GetItemExpr(t.Line, node, key);
    }

    private Expr ParseSubscribed(Expr obj, int line)
    {
        Expr? start = null;
        if (!IsOp(":"))
        {
            start = ParseExpression();
            if (!IsOp(":")) return start;
        }
        Next();
        Expr? stop = IsOp("]") || IsOp(",") || IsOp(":") ? null : ParseExpression();
        Expr? step = null;
        if (SkipOp(":")) step = IsOp("]") || IsOp(",") ? null : ParseExpression();
        return new SliceExpr(line, obj, start, stop, step);
    }

    private (List<Expr> Args, List<(string, Expr)> Kwargs) ParseCallArgs()
    {
        Expect(TokenKind.Operator, "(");
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!IsOp(")"))
        {
            if (args.Count > 0 || kwargs.Count > 0) Expect(TokenKind.Operator, ",");
            if (IsOp(")")) break;
            if (IsOp("*") || IsOp("**")) throw Fail("*args and **kwargs calls are not supported", Current);
            if (Current.Kind == TokenKind.Name && Look.Is(TokenKind.Operator, "="))
            {
                var key = Next().Text;
                Next();
                kwargs.Add((key, ParseExpression()));
            }
            else
            {
                if (kwargs.Count > 0) throw Fail("Invalid argument syntax", Current);
                args.Add(ParseExpression());
            }
        }
        Expect(TokenKind.Operator, ")");
        return (args, kwargs);
    }

    private CallExpr ParseCall(Expr callee)
    {
        int line = Current.Line;
        var (args, kwargs) = ParseCallArgs();
        return new CallExpr(line, callee, args, kwargs);
    }

    private Expr ParseFilterChain(Expr node, bool startInline)
    {
        while (IsOp("|") || startInline)
        {
            if (!startInline) Next();
            var nameToken = Expect(TokenKind.Name);
            var name = nameToken.Text;
            while (IsOp("."))
            {
                Next();
                name += "." + Expect(TokenKind.Name).Text;
            }
            if (!JinjaFilters.Exists(name)) throw Fail($"No filter named '{name}'.", nameToken);
            var (args, kwargs) = IsOp("(") ? ParseCallArgs() : ([], []);
            node = new FilterExpr(nameToken.Line, node, name, args, kwargs);
            startInline = false;
        }
        return node;
    }

    private TestExpr ParseTest(Expr node)
    {
        int line = Next().Line;
        bool negated = SkipName("not");
        var nameToken = Expect(TokenKind.Name);
        var name = nameToken.Text;
        while (IsOp("."))
        {
            Next();
            name += "." + Expect(TokenKind.Name).Text;
        }
        if (!JinjaTests.Exists(name)) throw Fail($"No test named '{name}'.", nameToken);
        var args = new List<Expr>();
        if (IsOp("("))
        {
            var (a, kw) = ParseCallArgs();
            if (kw.Count > 0) throw Fail("keyword arguments to tests are not supported", nameToken);
            args = a;
        }
        else if ((Current.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float
                  || IsOp("(") || IsOp("[") || IsOp("{"))
                 && !IsName("else") && !IsName("or") && !IsName("and"))
        {
            if (IsName("is")) throw Fail("You cannot chain multiple tests with is", Current);
            args.Add(ParsePostfix(ParsePrimary()));
        }
        return new TestExpr(line, node, name, args, negated);
    }
}
