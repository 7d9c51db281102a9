// AST of the Jinja2 subset: statement nodes and expression nodes, each carrying its source line.
namespace ExpertMix.Models.Chat.Jinja;

/// <summary>Base of all AST nodes.</summary>
internal abstract record Node(int Line);

/// <summary>Literal template text.</summary>
internal sealed record TextNode(int Line, string Text) : Node(Line);

/// <summary><c>{{ expr }}</c>.</summary>
internal sealed record OutputNode(int Line, Expr Value) : Node(Line);

/// <summary><c>{% if %}…{% elif %}…{% else %}…{% endif %}</c>.</summary>
internal sealed record IfNode(int Line, List<(Expr Test, List<Node> Body)> Branches, List<Node>? Else) : Node(Line);

/// <summary><c>{% for target in iter [if cond] %}…{% else %}…{% endfor %}</c>.</summary>
internal sealed record ForNode(int Line, Expr Target, Expr Iter, Expr? Filter, List<Node> Body, List<Node>? Else) : Node(Line);

/// <summary><c>{% set target = value %}</c>; target is a name, a tuple of names or <c>ns.attr</c>.</summary>
internal sealed record SetNode(int Line, Expr Target, Expr Value) : Node(Line);

/// <summary><c>{% set name [| filters] %}…{% endset %}</c>.</summary>
internal sealed record SetBlockNode(int Line, string Name, List<Node> Body, Expr? Filter) : Node(Line);

/// <summary><c>{% macro name(params) %}…{% endmacro %}</c>.</summary>
internal sealed record MacroNode(int Line, string Name, List<(string Name, Expr? Default)> Params, List<Node> Body) : Node(Line);

/// <summary><c>{% call macro(args) %}…{% endcall %}</c>: the body becomes <c>caller()</c>.</summary>
internal sealed record CallBlockNode(int Line, CallExpr Call, List<Node> Body) : Node(Line);

/// <summary><c>{% filter name(args) %}…{% endfilter %}</c>; <see cref="Filter"/> is applied to <see cref="BodyValue"/>.</summary>
internal sealed record FilterBlockNode(int Line, Expr Filter, List<Node> Body) : Node(Line);

/// <summary>A sequence rendered in place (the <c>{% generation %}</c> block of transformers).</summary>
internal sealed record BlockNode(int Line, List<Node> Body) : Node(Line);

/// <summary><c>{% break %}</c> / <c>{% continue %}</c>.</summary>
internal sealed record LoopControlNode(int Line, bool IsBreak) : Node(Line);

/// <summary>Base of expression nodes.</summary>
internal abstract record Expr(int Line) : Node(Line);

/// <summary>A literal value (string, number, bool, none).</summary>
internal sealed record ConstExpr(int Line, object? Value) : Expr(Line);

/// <summary>A variable reference.</summary>
internal sealed record NameExpr(int Line, string Name) : Expr(Line);

/// <summary>The value the filter chain of a filter block is applied to.</summary>
internal sealed record BodyValue(int Line) : Expr(Line);

/// <summary><c>[a, b]</c> or <c>(a, b)</c>.</summary>
internal sealed record ListExpr(int Line, List<Expr> Items, bool IsTuple) : Expr(Line);

/// <summary><c>{k: v}</c>.</summary>
internal sealed record DictExpr(int Line, List<(Expr Key, Expr Value)> Items) : Expr(Line);

/// <summary><c>obj.name</c>.</summary>
internal sealed record GetAttrExpr(int Line, Expr Obj, string Name) : Expr(Line);

/// <summary><c>obj[key]</c>.</summary>
internal sealed record GetItemExpr(int Line, Expr Obj, Expr Key) : Expr(Line);

/// <summary><c>obj[start:stop:step]</c>.</summary>
internal sealed record SliceExpr(int Line, Expr Obj, Expr? Start, Expr? Stop, Expr? Step) : Expr(Line);

/// <summary><c>callee(args, name=value)</c>.</summary>
internal sealed record CallExpr(int Line, Expr Callee, List<Expr> Args, List<(string Name, Expr Value)> Kwargs) : Expr(Line);

/// <summary><c>value | name(args)</c>.</summary>
internal sealed record FilterExpr(int Line, Expr Value, string Name, List<Expr> Args, List<(string Name, Expr Value)> Kwargs) : Expr(Line);

/// <summary><c>value is [not] name(args)</c>.</summary>
internal sealed record TestExpr(int Line, Expr Value, string Name, List<Expr> Args, bool Negated) : Expr(Line);

/// <summary>Arithmetic binary operator: + - * / // % **.</summary>
internal sealed record BinaryExpr(int Line, string Op, Expr Left, Expr Right) : Expr(Line);

/// <summary>Unary + or -.</summary>
internal sealed record UnaryExpr(int Line, string Op, Expr Operand) : Expr(Line);

/// <summary><c>not x</c>.</summary>
internal sealed record NotExpr(int Line, Expr Operand) : Expr(Line);

/// <summary><c>a and b</c> / <c>a or b</c> (returns an operand, as Python does).</summary>
internal sealed record LogicalExpr(int Line, bool IsAnd, Expr Left, Expr Right) : Expr(Line);

/// <summary>Chained comparison <c>a op b op c</c>; ops: == != &lt; &lt;= &gt; &gt;= in notin.</summary>
internal sealed record CompareExpr(int Line, Expr First, List<(string Op, Expr Operand)> Rest) : Expr(Line);

/// <summary><c>a ~ b ~ c</c>.</summary>
internal sealed record ConcatExpr(int Line, List<Expr> Parts) : Expr(Line);

/// <summary><c>then if test else otherwise</c>; a missing else yields undefined.</summary>
internal sealed record CondExpr(int Line, Expr Test, Expr Then, Expr? Otherwise) : Expr(Line);
