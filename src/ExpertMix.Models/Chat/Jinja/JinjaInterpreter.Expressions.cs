// Expression evaluation and the globals transformers provides (raise_exception, strftime_now, namespace, range, dict).
using System.Globalization;
using System.Text;

namespace ExpertMix.Models.Chat.Jinja;

internal sealed partial class JinjaInterpreter
{
    private const int MaxRange = 100000;

    private object? Eval(Expr expr, Scope scope)
    {
        switch (expr)
        {
            case ConstExpr c: return c.Value;
            case NameExpr n: return scope.TryGet(n.Name, out var v) ? v : Undefined.Variable(n.Name);
            case BodyValue: return _bodyValue;
            case ListExpr l: return new JinjaList(l.Items.Select(i => Eval(i, scope))) { IsTuple = l.IsTuple };
            case DictExpr d:
                {
                    var r = new JinjaDict();
                    foreach (var (k, val) in d.Items)
                    {
                        var key = Eval(k, scope);
                        if (key is null or JinjaList { IsTuple: false } or JinjaDict or Undefined) throw JinjaOps.TypeError($"unhashable dict key of type '{JinjaOps.TypeName(key)}'");
                        r[key] = Eval(val, scope);
                    }
                    return r;
                }
            case GetAttrExpr g: return JinjaOps.GetAttr(Eval(g.Obj, scope), g.Name);
            case GetItemExpr gi:
                {
                    var obj = Eval(gi.Obj, scope);
                    return JinjaOps.GetItem(obj, Eval(gi.Key, scope));
                }
            case SliceExpr s:
                {
                    var obj = Eval(s.Obj, scope);
                    return JinjaOps.Slice(obj, s.Start is null ? null : Eval(s.Start, scope), s.Stop is null ? null : Eval(s.Stop, scope),
                        s.Step is null ? null : Eval(s.Step, scope));
                }
            case CallExpr call:
                {
                    var callee = Eval(call.Callee, scope);
                    var (args, kwargs) = EvalArgs(call.Args, call.Kwargs, scope);
                    return Call(callee, args, kwargs);
                }
            case FilterExpr f:
                {
                    var value = Eval(f.Value, scope);
                    var (args, kwargs) = EvalArgs(f.Args, f.Kwargs, scope);
                    return JinjaFilters.Apply(f.Name, value, args, kwargs);
                }
            case TestExpr t:
                {
                    var value = Eval(t.Value, scope);
                    var args = t.Args.Select(a => Eval(a, scope)).ToList();
                    return JinjaTests.Apply(t.Name, value, args) != t.Negated;
                }
            case BinaryExpr b: return JinjaOps.Arithmetic(b.Op, Eval(b.Left, scope), Eval(b.Right, scope));
            case UnaryExpr u: return JinjaOps.Unary(u.Op, Eval(u.Operand, scope));
            case NotExpr n: return !JinjaOps.IsTrue(Eval(n.Operand, scope));
            case LogicalExpr l:
                {
                    var left = Eval(l.Left, scope);
                    return JinjaOps.IsTrue(left) == l.IsAnd ? Eval(l.Right, scope) : left;
                }
            case CompareExpr c:
                {
                    var left = Eval(c.First, scope);
                    foreach (var (op, operand) in c.Rest)
                    {
                        var right = Eval(operand, scope);
                        bool ok = op switch
                        {
                            "==" => JinjaOps.PyEquals(left, right),
                            "!=" => !JinjaOps.PyEquals(left, right),
                            "<" => JinjaOps.PyCompare(left, right, op) < 0,
                            "<=" => JinjaOps.PyCompare(left, right, op) <= 0,
                            ">" => JinjaOps.PyCompare(left, right, op) > 0,
                            ">=" => JinjaOps.PyCompare(left, right, op) >= 0,
                            "in" => JinjaOps.Contains(right, left),
                            _ => !JinjaOps.Contains(right, left),
                        };
                        if (!ok) return false;
                        left = right;
                    }
                    return true;
                }
            case ConcatExpr cc: return string.Concat(cc.Parts.Select(p => JinjaOps.ToStr(Eval(p, scope))));
            case CondExpr ce:
                return JinjaOps.IsTrue(Eval(ce.Test, scope)) ? Eval(ce.Then, scope) : ce.Otherwise is null ? Undefined.Plain : Eval(ce.Otherwise, scope);
            default:
                throw new InvalidOperationException($"unknown expression {expr.GetType().Name}");
        }
    }

    private (List<object?> Args, List<(string Name, object? Value)> Kwargs) EvalArgs(List<Expr> args, List<(string Name, Expr Value)> kwargs, Scope scope)
    {
        var a = args.Select(x => Eval(x, scope)).ToList();
        var k = kwargs.Select(kv => (kv.Name, Eval(kv.Value, scope))).ToList();
        return (a, k);
    }

    private void AddGlobals(Scope globals)
    {
        globals.Set("raise_exception", new JinjaCallable("raise_exception", (args, _) =>
            throw new ChatTemplateException(args.Count > 0 ? JinjaOps.ToStr(args[0]) : "", ChatTemplateErrorKind.Raised)));
        globals.Set("strftime_now", new JinjaCallable("strftime_now", (args, _) =>
            StrFTime(_now, args.Count > 0 ? JinjaOps.ToStr(args[0]) : throw JinjaOps.TypeError("strftime_now() missing 1 required positional argument: 'format'"))));
        globals.Set("namespace", new JinjaCallable("namespace", (args, kwargs) =>
        {
            var ns = new JinjaNamespace();
            foreach (var a in args)
            {
                if (a is not JinjaDict d) throw JinjaOps.TypeError("namespace() positional arguments must be mappings");
                foreach (var kv in d) ns.Attributes[JinjaOps.ToStr(kv.Key)] = kv.Value;
            }
            foreach (var (name, value) in kwargs) ns.Attributes[name] = value;
            return ns;
        }));
        globals.Set("dict", new JinjaCallable("dict", (args, kwargs) =>
        {
            var d = new JinjaDict();
            foreach (var a in args)
            {
                if (a is not JinjaDict src) throw JinjaOps.TypeError("dict() positional argument must be a mapping");
                foreach (var kv in src) d[kv.Key] = kv.Value;
            }
            foreach (var (name, value) in kwargs) d[name] = value;
            return d;
        }));
        globals.Set("range", new JinjaCallable("range", (args, _) =>
        {
            if (args.Count is 0 or > 3 || args.Any(a => a is not (long or bool))) throw JinjaOps.TypeError("range() expects 1 to 3 integer arguments");
            var n = args.Select(a => a is bool b ? (b ? 1L : 0L) : (long)a!).ToList();
            long start = n.Count == 1 ? 0 : n[0], stop = n.Count == 1 ? n[0] : n[1], step = n.Count == 3 ? n[2] : 1;
            if (step == 0) throw JinjaOps.TypeError("range() arg 3 must not be zero");
            var r = new JinjaList();
            for (long i = start; step > 0 ? i < stop : i > stop; i += step)
            {
                if (r.Count >= MaxRange) throw new ChatTemplateException($"Range too big. The sandbox blocks ranges larger than MAX_RANGE ({MaxRange}).", ChatTemplateErrorKind.Security);
                r.Add(i);
            }
            return r;
        }));
    }

    private static readonly string[] DayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    private static readonly string[] MonthNames = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    /// <summary>Python <c>datetime.strftime</c> (C locale) for the common directives.</summary>
    private static string StrFTime(DateTimeOffset t, string format)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                sb.Append(format[i]);
                continue;
            }
            char d = format[++i];
            string day = DayNames[(int)t.DayOfWeek], month = MonthNames[t.Month - 1];
            sb.Append(d switch
            {
                'Y' => t.Year.ToString("0000", ci),
                'y' => (t.Year % 100).ToString("00", ci),
                'm' => t.Month.ToString("00", ci),
                'd' => t.Day.ToString("00", ci),
                'e' => t.Day.ToString(ci).PadLeft(2),
                'H' => t.Hour.ToString("00", ci),
                'I' => (t.Hour % 12 == 0 ? 12 : t.Hour % 12).ToString("00", ci),
                'M' => t.Minute.ToString("00", ci),
                'S' => t.Second.ToString("00", ci),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'B' => month,
                'b' or 'h' => month[..3],
                'A' => day,
                'a' => day[..3],
                'j' => t.DayOfYear.ToString("000", ci),
                'w' => ((int)t.DayOfWeek).ToString(ci),
                'f' => (t.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", ci),
                '%' => "%",
                _ => "%" + d,
            });
        }
        return sb.ToString();
    }
}
