// Differentiable element-wise arithmetic with NumPy/PyTorch broadcasting (add, sub, mul, div, max/min, unary maths).

namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>a + b with broadcasting (shape = <see cref="Shape.Broadcast"/>). IEEE semantics; NaN propagates.</summary>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast, or an input is not a float tensor.</exception>
    public static Tensor Add(Tensor a, Tensor b)
    {
        var y = MapBinary(BinaryOp.Add, a, b);
        if (Autograd.ShouldRecord(a, b))
        {
            Shape sa = a.Shape, sb = b.Shape;
            y.WithGradFn(new GradNode("Add", [a, b], g => [a.RequiresGrad ? SumTo(g, sa) : null, b.RequiresGrad ? SumTo(g, sb) : null]));
        }
        return y;
    }

    /// <summary>a − b with broadcasting.</summary>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast.</exception>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        var y = MapBinary(BinaryOp.Sub, a, b);
        if (Autograd.ShouldRecord(a, b))
        {
            Shape sa = a.Shape, sb = b.Shape;
            y.WithGradFn(new GradNode("Sub", [a, b], g => [a.RequiresGrad ? SumTo(g, sa) : null, b.RequiresGrad ? ReduceGrad(Neg(g), sb) : null]));
        }
        return y;
    }

    /// <summary>a · b with broadcasting. Backward: ∂a = Σ g·b, ∂b = Σ g·a (summed over broadcast dimensions).</summary>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast.</exception>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        var y = MapBinary(BinaryOp.Mul, a, b);
        if (Autograd.ShouldRecord(a, b))
        {
            Shape sa = a.Shape, sb = b.Shape;
            y.WithGradFn(new GradNode("Mul", [a, b], g => [a.RequiresGrad ? ReduceGrad(Mul(g, b), sa) : null, b.RequiresGrad ? ReduceGrad(Mul(g, a), sb) : null]));
        }
        return y;
    }

    /// <summary>a / b with broadcasting (IEEE: x/0 = ±∞, 0/0 = NaN). Backward: ∂a = g/b, ∂b = −g·a/b².</summary>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast.</exception>
    public static Tensor Div(Tensor a, Tensor b)
    {
        var y = MapBinary(BinaryOp.Div, a, b);
        if (Autograd.ShouldRecord(a, b))
        {
            Shape sa = a.Shape, sb = b.Shape;
            y.WithGradFn(new GradNode("Div", [a, b], g =>
            {
                Tensor? ga = a.RequiresGrad ? ReduceGrad(Div(g, b), sa) : null;
                Tensor? gb = null;
                if (b.RequiresGrad)
                {
                    using var ga2 = Div(g, b);
                    using var q = Div(ga2, b);
                    using var t = Mul(q, a);
                    gb = ReduceGrad(Neg(t), sb);
                }
                return [ga, gb];
            }));
        }
        return y;
    }

    /// <summary>a + s.</summary>
    public static Tensor Add(Tensor a, float s) => RecordScalar(MapWithScalar(BinaryOp.Add, a, s), "AddScalar", a, g => g.Detach());

    /// <summary>a − s.</summary>
    public static Tensor Sub(Tensor a, float s) => RecordScalar(MapWithScalar(BinaryOp.Sub, a, s), "SubScalar", a, g => g.Detach());

    /// <summary>s − a.</summary>
    public static Tensor Sub(float s, Tensor a) => RecordScalar(MapScalarFirst(BinaryOp.Sub, s, a), "RSubScalar", a, Neg);

    /// <summary>a · s.</summary>
    public static Tensor Mul(Tensor a, float s) => RecordScalar(MapWithScalar(BinaryOp.Mul, a, s), "MulScalar", a, g => Mul(g, s));

    /// <summary>a / s (IEEE division by s, not multiplication by 1/s, as torch).</summary>
    public static Tensor Div(Tensor a, float s) => RecordScalar(MapWithScalar(BinaryOp.Div, a, s), "DivScalar", a, g => Div(g, s));

    /// <summary>s · x (alias of <see cref="Mul(Tensor, float)"/>).</summary>
    public static Tensor Scale(Tensor x, float s) => Mul(x, s);

    /// <summary>−x.</summary>
    public static Tensor Neg(Tensor x) => RecordScalar(MapUnary(UnaryOp.Neg, x), "Neg", x, Neg);

    /// <summary>
    /// a + s·b (torch.add(a, b, alpha=s)), rounded once (fused multiply-add) when the shapes match; broadcasts
    /// otherwise (then computed as a + (s·b)).
    /// </summary>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast.</exception>
    public static unsafe Tensor AddScaled(Tensor a, Tensor b, float s)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        Tensor y;
        if (a.Shape == b.Shape)
        {
            using var ac = F32Contiguous(a);
            using var bc = F32Contiguous(b);
            var backend = BackendOf("AddScaled", a, b);
            y = EmptyOn(backend, a.Shape);
            backend.AddScaled(ac, s, bc, y);
        }
        else
        {
            using var sb = MapWithScalar(BinaryOp.Mul, b, s);
            y = MapBinary(BinaryOp.Add, a, sb);
        }
        if (Autograd.ShouldRecord(a, b))
        {
            Shape sa = a.Shape, sbShape = b.Shape;
            y.WithGradFn(new GradNode("AddScaled", [a, b], g => [a.RequiresGrad ? SumTo(g, sa) : null, b.RequiresGrad ? ReduceGrad(Mul(g, s), sbShape) : null]));
        }
        return y;
    }

    /// <summary>x². Backward 2x·g.</summary>
    public static Tensor Square(Tensor x) => RecordScalar(MapUnary(UnaryOp.Square, x), "Square", x, g =>
    {
        using var t = Mul(g, x);
        return Mul(t, 2f);
    });

    /// <summary>√x (NaN for x &lt; 0). Backward g/(2√x).</summary>
    public static Tensor Sqrt(Tensor x)
    {
        var y = MapUnary(UnaryOp.Sqrt, x);
        return RecordScalar(y, "Sqrt", x, g =>
        {
            using var t = Div(g, y);
            return Mul(t, 0.5f);
        });
    }

    /// <summary>1/√x (correctly rounded sqrt, then division). Backward −½·g·y³.</summary>
    public static Tensor Rsqrt(Tensor x)
    {
        var y = MapUnary(UnaryOp.Rsqrt, x);
        return RecordScalar(y, "Rsqrt", x, g => Zip(g, y, static (gv, yv) => -0.5f * gv * yv * yv * yv));
    }

    /// <summary>eˣ (about 1 ulp). Backward g·y.</summary>
    public static Tensor Exp(Tensor x)
    {
        var y = MapUnary(UnaryOp.Exp, x);
        return RecordScalar(y, "Exp", x, g => Mul(g, y));
    }

    /// <summary>ln x (NaN for x &lt; 0, −∞ at 0). Backward g/x.</summary>
    public static Tensor Log(Tensor x) => RecordScalar(MapUnary(UnaryOp.Log, x), "Log", x, g => Div(g, x));

    /// <summary>|x|. Backward g·sign(x) with sign(0) = 0 (torch).</summary>
    public static Tensor Abs(Tensor x) => RecordScalar(MapUnary(UnaryOp.Abs, x), "Abs", x, g => Zip(g, x, static (gv, xv) => xv > 0 ? gv : xv < 0 ? -gv : 0f));

    /// <summary>
    /// x^p for a scalar exponent, with torch's special cases: p = 0 → 1, 1 → x, 2 → x·x, 3 → x·x·x, 0.5 → √x,
    /// −0.5 → 1/√x, −1 → 1/x, −2 → 1/(x·x); otherwise <see cref="MathF.Pow"/> (NaN for negative x and non-integer p).
    /// Backward p·x^(p−1)·g (0 when p = 0).
    /// </summary>
    public static Tensor Pow(Tensor x, float p)
    {
        ArgumentNullException.ThrowIfNull(x);
        Func<float, float> f = p switch
        {
            0f => static _ => 1f,
            1f => static v => v,
            2f => static v => v * v,
            3f => static v => v * v * v,
            0.5f => MathF.Sqrt,
            -0.5f => static v => 1f / MathF.Sqrt(v),
            -1f => static v => 1f / v,
            -2f => static v => 1f / (v * v),
            _ => v => MathF.Pow(v, p),
        };
        var y = p == 2f ? MapUnary(UnaryOp.Square, x) : p == 0.5f ? MapUnary(UnaryOp.Sqrt, x) : p == -0.5f ? MapUnary(UnaryOp.Rsqrt, x) : Map(x, f);
        return RecordScalar(y, "Pow", x, g => p == 0f ? ZerosOn(g.Backend, g.Shape) : Zip(g, x, (gv, xv) => gv * p * MathF.Pow(xv, p - 1f)));
    }

    /// <summary>
    /// clamp(x, min, max) = min(max(x, min), max) (torch.clamp; null bounds are open; NaN propagates).
    /// Backward g where min ≤ x ≤ max, else 0.
    /// </summary>
    /// <exception cref="ArgumentException">Both bounds are null.</exception>
    public static Tensor Clamp(Tensor x, float? min, float? max)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (min is null && max is null) throw new ArgumentException("Clamp needs at least one bound");
        Tensor y;
        if (min is float lo)
        {
            y = MapWithScalar(BinaryOp.Max, x, lo);
            if (max is float hi1)
            {
                var z = MapWithScalar(BinaryOp.Min, y, hi1);
                y.Dispose();
                y = z;
            }
        }
        else y = MapWithScalar(BinaryOp.Min, x, max!.Value);
        float l = min ?? float.NegativeInfinity, h = max ?? float.PositiveInfinity;
        return RecordScalar(y, "Clamp", x, g => Zip(g, x, (gv, xv) => xv >= l && xv <= h ? gv : 0f));
    }

    /// <summary>torch.maximum(a, b) with broadcasting: NaN propagates. Backward: g to the larger input, split ½/½ on ties.</summary>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast.</exception>
    public static Tensor Maximum(Tensor a, Tensor b) => MinMax(BinaryOp.Max, a, b, "Maximum", 1);

    /// <summary>torch.minimum(a, b) with broadcasting: NaN propagates. Backward: g to the smaller input, split ½/½ on ties.</summary>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast.</exception>
    public static Tensor Minimum(Tensor a, Tensor b) => MinMax(BinaryOp.Min, a, b, "Minimum", -1);

    private static Tensor MinMax(BinaryOp op, Tensor a, Tensor b, string name, int sign)
    {
        var y = MapBinary(op, a, b);
        if (Autograd.ShouldRecord(a, b))
        {
            Shape sa = a.Shape, sb = b.Shape, so = y.Shape;
            y.WithGradFn(new GradNode(name, [a, b], g =>
            {
                using var ae = a.Expand(so);
                using var be = b.Expand(so);
                using var d = Sub(ae, be);
                Tensor? ga = a.RequiresGrad ? ReduceGrad(Zip(g, d, (gv, dv) => sign * dv > 0 ? gv : dv == 0 ? 0.5f * gv : 0f), sa) : null;
                Tensor? gb = b.RequiresGrad ? ReduceGrad(Zip(g, d, (gv, dv) => sign * dv < 0 ? gv : dv == 0 ? 0.5f * gv : 0f), sb) : null;
                return [ga, gb];
            }));
        }
        return y;
    }

    private static Tensor RecordScalar(Tensor y, string name, Tensor x, Func<Tensor, Tensor> rule)
    {
        if (Autograd.ShouldRecord(x)) y.WithGradFn(new GradNode(name, [x], g => [rule(g)]));
        return y;
    }
}
