// Tree-walking interpreter for the Jinja2 subset: statements, jinja2 scoping (per-iteration loop frames), globals.
using System.Text;

namespace ExpertMix.Models.Chat.Jinja;

/// <summary>
/// Renders a parsed template. Scoping follows jinja2: <c>set</c> writes the innermost frame; every for-loop
/// iteration, macro call and call-block body gets a fresh frame (so assignments inside a loop are not visible
/// after it, nor in the next iteration); <c>if</c> bodies share the enclosing frame; namespaces are objects and
/// are mutated in place.
/// </summary>
internal sealed partial class JinjaInterpreter
{
    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    private sealed class Scope(Scope? parent)
    {
        private readonly Dictionary<string, object?> _vars = new(StringComparer.Ordinal);

        public Scope? Parent => parent;

        public void Set(string name, object? value) => _vars[name] = value;

        public bool TryGet(string name, out object? value)
        {
            for (var s = this; s is not null; s = s.Parent)
            {
                if (s._vars.TryGetValue(name, out value)) return true;
            }
            value = null;
            return false;
        }
    }

    /// <summary>Deepest macro call chain (Python would raise RecursionError; we must not overflow the stack).</summary>
    private const int MaxCallDepth = 100;

    private readonly DateTimeOffset _now;
    private object? _bodyValue;
    private int _loopDepth;
    private int _callDepth;

    private JinjaInterpreter(DateTimeOffset now) => _now = now;

    /// <summary>Renders <paramref name="body"/> with <paramref name="variables"/> (already in the value model).</summary>
    /// <exception cref="ChatTemplateException">raise_exception, undefined errors, type errors.</exception>
    public static string Render(List<Node> body, IEnumerable<KeyValuePair<string, object?>> variables, DateTimeOffset now)
    {
        var interpreter = new JinjaInterpreter(now);
        var globals = new Scope(null);
        interpreter.AddGlobals(globals);
        var context = new Scope(globals);
        foreach (var kv in variables) context.Set(kv.Key, kv.Value);
        var sb = new StringBuilder();
        try
        {
            interpreter.Exec(body, context, sb);
        }
        catch (ChatTemplateException)
        {
            throw;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OverflowException or FormatException or InvalidCastException)
        {
            throw new ChatTemplateException(e.Message, e);
        }
        return sb.ToString();
    }

    private Flow Exec(List<Node> nodes, Scope scope, StringBuilder sb)
    {
        foreach (var node in nodes)
        {
            var flow = Exec(node, scope, sb);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private Flow Exec(Node node, Scope scope, StringBuilder sb)
    {
        switch (node)
        {
            case TextNode t:
                sb.Append(t.Text);
                return Flow.Normal;
            case OutputNode o:
                sb.Append(JinjaOps.ToStr(Eval(o.Value, scope)));
                return Flow.Normal;
            case IfNode i:
                foreach (var (test, body) in i.Branches)
                {
                    if (JinjaOps.IsTrue(Eval(test, scope))) return Exec(body, scope, sb);
                }
                return i.Else is null ? Flow.Normal : Exec(i.Else, scope, sb);
            case ForNode f:
                ExecFor(f, scope, sb);
                return Flow.Normal;
            case SetNode s:
                Assign(s.Target, Eval(s.Value, scope), scope);
                return Flow.Normal;
            case SetBlockNode sb2:
                {
                    var inner = new StringBuilder();
                    Exec(sb2.Body, scope, inner);
                    object? value = inner.ToString();
                    if (sb2.Filter is not null) value = WithBody(value, () => Eval(sb2.Filter, scope));
                    scope.Set(sb2.Name, value);
                    return Flow.Normal;
                }
            case MacroNode m:
                scope.Set(m.Name, MakeMacro(m.Name, m.Params, m.Body, scope));
                return Flow.Normal;
            case CallBlockNode c:
                {
                    var caller = MakeMacro("caller", [], c.Body, scope);
                    var callee = Eval(c.Call.Callee, scope);
                    var (args, kwargs) = EvalArgs(c.Call.Args, c.Call.Kwargs, scope);
                    kwargs.Add(("caller", caller));
                    sb.Append(JinjaOps.ToStr(Call(callee, args, kwargs)));
                    return Flow.Normal;
                }
            case FilterBlockNode fb:
                {
                    var inner = new StringBuilder();
                    Exec(fb.Body, scope, inner);
                    sb.Append(JinjaOps.ToStr(WithBody(inner.ToString(), () => Eval(fb.Filter, scope))));
                    return Flow.Normal;
                }
            case BlockNode b:
                return Exec(b.Body, scope, sb);
            case LoopControlNode lc:
                if (_loopDepth == 0) throw new ChatTemplateException($"'{(lc.IsBreak ? "break" : "continue")}' outside of a loop", ChatTemplateErrorKind.Type);
                return lc.IsBreak ? Flow.Break : Flow.Continue;
            default:
                throw new InvalidOperationException($"unknown node {node.GetType().Name}");
        }
    }

    private object? WithBody(object? body, Func<object?> eval)
    {
        var saved = _bodyValue;
        _bodyValue = body;
        try
        {
            return eval();
        }
        finally
        {
            _bodyValue = saved;
        }
    }

    private void ExecFor(ForNode f, Scope scope, StringBuilder sb)
    {
        var items = JinjaOps.Iterate(Eval(f.Iter, scope));
        if (f.Filter is not null)
        {
            var kept = new List<object?>();
            foreach (var item in items)
            {
                var frame = new Scope(scope);
                Assign(f.Target, item, frame);
                if (JinjaOps.IsTrue(Eval(f.Filter, frame))) kept.Add(item);
            }
            items = kept;
        }
        if (items.Count == 0)
        {
            if (f.Else is not null) Exec(f.Else, scope, sb);
            return;
        }
        var loop = new LoopContext(items, 0);
        _loopDepth++;
        try
        {
            for (int i = 0; i < items.Count; i++)
            {
                loop.Index0 = i;
                var frame = new Scope(scope);
                Assign(f.Target, items[i], frame);
                frame.Set("loop", loop);
                if (Exec(f.Body, frame, sb) == Flow.Break) break;
            }
        }
        finally
        {
            _loopDepth--;
        }
    }

    private void Assign(Expr target, object? value, Scope scope)
    {
        switch (target)
        {
            case NameExpr n:
                scope.Set(n.Name, value);
                return;
            case ListExpr { IsTuple: true } t:
                {
                    var items = JinjaOps.Iterate(value);
                    if (items.Count > t.Items.Count) throw JinjaOps.TypeError($"too many values to unpack (expected {t.Items.Count})");
                    if (items.Count < t.Items.Count) throw JinjaOps.TypeError($"not enough values to unpack (expected {t.Items.Count}, got {items.Count})");
                    for (int i = 0; i < items.Count; i++) Assign(t.Items[i], items[i], scope);
                    return;
                }
            case GetAttrExpr { Obj: NameExpr ns } g:
                {
                    if (!scope.TryGet(ns.Name, out var obj) || obj is not JinjaNamespace nsObj)
                    {
                        throw new ChatTemplateException("cannot assign attribute on non-namespace object", ChatTemplateErrorKind.Type);
                    }
                    nsObj.Attributes[g.Name] = value;
                    return;
                }
            default:
                throw new ChatTemplateException($"cannot assign to {target.GetType().Name}", ChatTemplateErrorKind.Type);
        }
    }

    private JinjaCallable MakeMacro(string name, List<(string Name, Expr? Default)> parameters, List<Node> body, Scope definition) =>
        new(name, (args, kwargs) =>
        {
            var frame = new Scope(definition);
            if (args.Count > parameters.Count)
            {
                throw JinjaOps.TypeError($"macro '{name}' takes not more than {parameters.Count} argument(s)");
            }
            for (int i = 0; i < parameters.Count; i++)
            {
                var (pname, def) = parameters[i];
                object? value;
                int kw = kwargs.FindIndex(k => k.Name == pname);
                if (kw >= 0) value = kwargs[kw].Value;
                else if (i < args.Count) value = args[i];
                else value = def is null ? Undefined.Variable(pname) : Eval(def, frame);
                frame.Set(pname, value);
            }
            foreach (var (kname, kvalue) in kwargs)
            {
                if (kname == "caller") frame.Set("caller", kvalue);
                else if (!parameters.Any(p => p.Name == kname)) throw JinjaOps.TypeError($"macro '{name}' takes no keyword argument '{kname}'");
            }
            var sb = new StringBuilder();
            int savedDepth = _loopDepth;
            _loopDepth = 0;
            if (++_callDepth > MaxCallDepth)
            {
                _callDepth--;
                throw new ChatTemplateException($"maximum recursion depth exceeded: macro '{name}' nested more than {MaxCallDepth} calls deep", ChatTemplateErrorKind.Type);
            }
            try
            {
                Exec(body, frame, sb);
            }
            finally
            {
                _loopDepth = savedDepth;
                _callDepth--;
            }
            return sb.ToString();
        });

    private static object? Call(object? callee, List<object?> args, List<(string Name, object? Value)> kwargs) => callee switch
    {
        JinjaCallable c => c.Invoke(args, kwargs),
        Undefined u => throw u.Fail(),
        _ => throw JinjaOps.TypeError($"'{JinjaOps.TypeName(callee)}' object is not callable"),
    };
}
