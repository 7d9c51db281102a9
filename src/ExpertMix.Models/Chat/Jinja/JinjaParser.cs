// Jinja2 statement parser: turns the token stream into a node tree, with jinja2's messages for unknown and unclosed tags.
namespace ExpertMix.Models.Chat.Jinja;

/// <summary>
/// Recursive-descent parser following jinja2's <c>Parser</c> (statements here; expressions in
/// <c>JinjaParser.Expressions.cs</c>). Supported tags: if/elif/else, for/else (with an <c>if</c> filter),
/// set (plain, tuple, namespace attribute, block), macro, call, filter, generation, break, continue, raw.
/// </summary>
internal sealed partial class JinjaParser
{
    private readonly List<Token> _tokens;
    private readonly List<string[]> _endTokenStack = [];
    private readonly List<string> _tagStack = [];
    private int _index;
    private int _depth;

    /// <summary>Deepest expression or block nesting accepted (guards the recursive descent against stack overflow).</summary>
    private const int MaxNesting = 200;

    private JinjaParser(List<Token> tokens) => _tokens = tokens;

    private Token Current => _tokens[_index];

    private Token Look => _tokens[Math.Min(_index + 1, _tokens.Count - 1)];

    /// <summary>Parses a whole template.</summary>
    /// <exception cref="ChatTemplateSyntaxException">Any syntax error, with its line and column.</exception>
    public static List<Node> Parse(string source)
    {
        var parser = new JinjaParser(JinjaLexer.Tokenize(source));
        var body = parser.Subparse(null);
        if (parser.Current.Kind != TokenKind.Eof) throw parser.Fail($"unexpected '{parser.Current}'", parser.Current);
        return body;
    }

    private ChatTemplateSyntaxException Fail(string message, Token at) => new(message, at.Line, at.Column);

    private Token Next() => _tokens[_index < _tokens.Count - 1 ? _index++ : _index];

    private bool IsName(string name) => Current.Is(TokenKind.Name, name);

    private bool IsOp(string op) => Current.Is(TokenKind.Operator, op);

    private bool SkipName(string name)
    {
        if (!IsName(name)) return false;
        Next();
        return true;
    }

    private bool SkipOp(string op)
    {
        if (!IsOp(op)) return false;
        Next();
        return true;
    }

    private Token Expect(TokenKind kind, string? text = null)
    {
        var t = Current;
        if (t.Kind != kind || (text is not null && t.Text != text))
        {
            if (t.Kind == TokenKind.Eof) throw Fail($"unexpected end of template, expected '{text ?? Describe(kind)}'.", t);
            throw Fail($"expected token '{text ?? Describe(kind)}', got '{t}'", t);
        }
        return Next();
    }

    private static string Describe(TokenKind kind) => kind switch
    {
        TokenKind.BlockEnd => "end of statement block",
        TokenKind.VariableEnd => "end of print statement",
        TokenKind.Name => "name",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private List<Node> Subparse(string[]? endTokens)
    {
        var body = new List<Node>();
        if (endTokens is not null) _endTokenStack.Add(endTokens);
        try
        {
            while (Current.Kind != TokenKind.Eof)
            {
                var t = Current;
                if (t.Kind == TokenKind.Data)
                {
                    Next();
                    body.Add(new TextNode(t.Line, t.Text));
                }
                else if (t.Kind == TokenKind.VariableBegin)
                {
                    Next();
                    body.Add(new OutputNode(t.Line, ParseTuple(withCondExpr: true, explicitParentheses: false)));
                    Expect(TokenKind.VariableEnd);
                }
                else if (t.Kind == TokenKind.BlockBegin)
                {
                    Next();
                    if (endTokens is not null && Current.Kind == TokenKind.Name && endTokens.Contains(Current.Text)) return body;
                    body.Add(ParseStatement());
                    Expect(TokenKind.BlockEnd);
                }
                else
                {
                    throw Fail($"unexpected '{t}'", t);
                }
            }
            return body;
        }
        finally
        {
            if (endTokens is not null) _endTokenStack.RemoveAt(_endTokenStack.Count - 1);
        }
    }

    private List<Node> ParseStatements(string[] endTokens, bool dropNeedle)
    {
        Expect(TokenKind.BlockEnd);
        var body = Subparse(endTokens);
        if (Current.Kind == TokenKind.Eof) throw FailUnknownTag(null, Current, endTokens);
        if (dropNeedle) Next();
        return body;
    }

    private ChatTemplateSyntaxException FailUnknownTag(string? name, Token at, string[]? extra = null)
    {
        var stack = new List<string[]>(_endTokenStack);
        if (extra is not null && (stack.Count == 0 || stack[^1] != extra)) stack.Add(extra);
        var parts = new List<string> { name is null ? "Unexpected end of template." : $"Encountered unknown tag '{name}'." };
        if (stack.Count > 0)
        {
            string looking = string.Join(" or ", stack[^1].Select(s => $"'{s}'"));
            bool expected = name is not null && stack.Any(s => s.Contains(name));
            parts.Add(expected
                ? $"You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for {looking}."
                : $"Jinja was looking for the following tags: {looking}.");
        }
        if (_tagStack.Count > 0) parts.Add($"The innermost block that needs to be closed is '{_tagStack[^1]}'.");
        return Fail(string.Join(" ", parts), at);
    }

    private Node ParseStatement()
    {
        var t = Current;
        if (t.Kind != TokenKind.Name) throw Fail("tag name expected", t);
        if (_tagStack.Count >= MaxNesting) throw Fail($"blocks nested deeper than {MaxNesting} levels", t);
        _tagStack.Add(t.Text);
        bool pop = true;
        try
        {
            switch (t.Text)
            {
                case "if": return ParseIf();
                case "for": return ParseFor();
                case "set": return ParseSet();
                case "macro": return ParseMacro();
                case "call": return ParseCallBlock();
                case "filter": return ParseFilterBlock();
                case "generation":
                    Next();
                    return new BlockNode(t.Line, ParseStatements(["endgeneration"], dropNeedle: true));
                case "break" or "continue":
                    Next();
                    return new LoopControlNode(t.Line, t.Text == "break");
                default:
                    _tagStack.RemoveAt(_tagStack.Count - 1);
                    pop = false;
                    throw FailUnknownTag(t.Text, t);
            }
        }
        finally
        {
            if (pop) _tagStack.RemoveAt(_tagStack.Count - 1);
        }
    }

    private IfNode ParseIf()
    {
        int line = Next().Line;
        var branches = new List<(Expr, List<Node>)>();
        List<Node>? otherwise = null;
        while (true)
        {
            var test = ParseTuple(withCondExpr: false, explicitParentheses: false);
            var body = ParseStatements(["elif", "else", "endif"], dropNeedle: false);
            branches.Add((test, body));
            var token = Next();
            if (token.Text == "elif") continue;
            if (token.Text == "else") otherwise = ParseStatements(["endif"], dropNeedle: true);
            break;
        }
        return new IfNode(line, branches, otherwise);
    }

    private ForNode ParseFor()
    {
        int line = Next().Line;
        var target = ParseAssignTarget(withNamespace: false, extraEnd: "in");
        Expect(TokenKind.Name, "in");
        var iter = ParseTuple(withCondExpr: false, explicitParentheses: false, extraEnd: "recursive");
        Expr? filter = null;
        if (SkipName("if")) filter = ParseExpression();
        if (IsName("recursive")) throw Fail("recursive for loops are not supported", Current);
        var body = ParseStatements(["endfor", "else"], dropNeedle: false);
        List<Node>? otherwise = null;
        if (Next().Text == "else") otherwise = ParseStatements(["endfor"], dropNeedle: true);
        return new ForNode(line, target, iter, filter, body, otherwise);
    }

    private Node ParseSet()
    {
        int line = Next().Line;
        var target = ParseAssignTarget(withNamespace: true, extraEnd: null);
        if (SkipOp("=")) return new SetNode(line, target, ParseTuple(withCondExpr: true, explicitParentheses: false));
        if (target is not NameExpr name) throw Fail("block set needs a plain name", Current);
        Expr? filter = IsOp("|") ? ParseFilterChain(new BodyValue(line), startInline: false) : null;
        var body = ParseStatements(["endset"], dropNeedle: true);
        return new SetBlockNode(line, name.Name, body, filter);
    }

    private Expr ParseAssignTarget(bool withNamespace, string? extraEnd)
    {
        var t = Current;
        if (withNamespace && t.Kind == TokenKind.Name && Look.Is(TokenKind.Operator, "."))
        {
            Next();
            Next();
            var attr = Expect(TokenKind.Name);
            return new GetAttrExpr(t.Line, new NameExpr(t.Line, t.Text), attr.Text);
        }
        var target = ParseTuple(withCondExpr: true, explicitParentheses: false, extraEnd: extraEnd, simplified: true);
        bool ok = target is NameExpr || (target is ListExpr { IsTuple: true } tuple && tuple.Items.All(i => i is NameExpr));
        if (!ok) throw Fail($"can't assign to '{target.GetType().Name}'", t);
        if (target is NameExpr n && n.Name is "true" or "false" or "none" or "True" or "False" or "None") throw Fail("can't assign to a constant", t);
        return target;
    }

    private MacroNode ParseMacro()
    {
        int line = Next().Line;
        var name = Expect(TokenKind.Name).Text;
        var parameters = ParseSignature();
        var body = ParseStatements(["endmacro"], dropNeedle: true);
        return new MacroNode(line, name, parameters, body);
    }

    private List<(string, Expr?)> ParseSignature()
    {
        var parameters = new List<(string, Expr?)>();
        Expect(TokenKind.Operator, "(");
        while (!IsOp(")"))
        {
            if (parameters.Count > 0) Expect(TokenKind.Operator, ",");
            if (IsOp(")")) break;
            var p = Expect(TokenKind.Name).Text;
            Expr? def = SkipOp("=") ? ParseExpression() : null;
            if (def is null && parameters.Count > 0 && parameters[^1].Item2 is not null) throw Fail("non-default argument follows default argument", Current);
            parameters.Add((p, def));
        }
        Expect(TokenKind.Operator, ")");
        return parameters;
    }

    private CallBlockNode ParseCallBlock()
    {
        int line = Next().Line;
        if (IsOp("(")) throw Fail("call blocks with caller arguments are not supported", Current);
        var call = ParseExpression();
        if (call is not CallExpr callExpr) throw Fail("expected call", Current);
        var body = ParseStatements(["endcall"], dropNeedle: true);
        return new CallBlockNode(line, callExpr, body);
    }

    private FilterBlockNode ParseFilterBlock()
    {
        int line = Next().Line;
        var filter = ParseFilterChain(new BodyValue(line), startInline: true);
        var body = ParseStatements(["endfilter"], dropNeedle: true);
        return new FilterBlockNode(line, filter, body);
    }
}
