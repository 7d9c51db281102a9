// Element-wise ops: broadcasting (row, scalar, stride-0, transposed), fast paths vs the strided reference, gradients.
using ExpertMix.Testing;
using ExpertMix.Tensors.Kernels.Simd;

namespace ExpertMix.Tensors.Tests;

[Collection("EngineThreads")] // tests here change the global Engine.Threads; run them one at a time
public class ElementwiseTests
{
    /// <summary>out[i…] = f(a[i…], b[i…]) in double with NumPy broadcasting, from row-major values.</summary>
    internal static double[] BroadcastRef(double[] a, Shape sa, double[] b, Shape sb, Func<double, double, double> f)
    {
        var so = Shape.Broadcast(sa, sb);
        var res = new double[so.Numel];
        var idx = new int[so.Rank];
        for (long i = 0; i < res.Length; i++)
        {
            long rem = i;
            for (int k = so.Rank - 1; k >= 0; k--) { idx[k] = (int)(rem % so[k]); rem /= so[k]; }
            res[i] = f(a[Flat(idx, sa)], b[Flat(idx, sb)]);
        }
        return res;
    }

    private static long Flat(int[] idx, Shape s)
    {
        long off = 0;
        int shift = idx.Length - s.Rank;
        for (int k = 0; k < s.Rank; k++) off = off * s[k] + (s[k] == 1 ? 0 : idx[k + shift]);
        return off;
    }

    public static TheoryData<int[], int[]> BroadcastShapes() => new()
    {
        { new[] { 3, 37 }, new[] { 3, 37 } },
        { new[] { 5, 33 }, new[] { 33 } },
        { new[] { 33 }, new[] { 5, 33 } },
        { new[] { 2, 3, 17 }, new[] { 1 } },
        { new[] { 1 }, new[] { 2, 3, 17 } },
        { new[] { 2, 1, 19 }, new[] { 3, 1 } },
        { new[] { 4, 1 }, new[] { 1, 21 } },
        { new[] { 2, 3, 4 }, new[] { 2, 1, 4 } },
        { Array.Empty<int>(), new[] { 3, 5 } },
        { new[] { 0, 3 }, new[] { 3 } },
    };

    [Theory]
    [MemberData(nameof(BroadcastShapes))]
    public void Broadcast_arithmetic_matches_a_double_reference(int[] sa, int[] sb)
    {
        using var a = DoubleMath.Rand(sa, 1);
        using var b = DoubleMath.Rand(sb, 2, 0.5f, 2f);
        var av = a.ToDoubleArray();
        var bv = b.ToDoubleArray();
        (Func<Tensor, Tensor, Tensor> Op, Func<double, double, double> Ref, string Name)[] ops =
        [
            (Ops.Add, (x, y) => x + y, "Add"), (Ops.Sub, (x, y) => x - y, "Sub"), (Ops.Mul, (x, y) => x * y, "Mul"),
            (Ops.Div, (x, y) => x / y, "Div"), (Ops.Maximum, Math.Max, "Maximum"), (Ops.Minimum, Math.Min, "Minimum"),
        ];
        foreach (var (op, r, name) in ops)
        {
            using var y = op(a, b);
            Assert.Equal(Shape.Broadcast(a.Shape, b.Shape), y.Shape);
            TensorAssert.Close(BroadcastRef(av, a.Shape, bv, b.Shape, r), y.ToDoubleArray(), 0, 1e-6, $"{name} {a.Shape} ⊗ {b.Shape}");
        }
    }

    [Theory]
    [MemberData(nameof(BroadcastShapes))]
    public void Fast_paths_are_bit_identical_to_the_strided_reference(int[] sa, int[] sb)
    {
        using var a = DoubleMath.Rand(sa, 3);
        using var b = DoubleMath.Rand(sb, 4, 0.5f, 2f);
        using var fast = Ops.Div(a, b);
        using var reference = Tensor.Empty(fast.Shape);
        Ops.BroadcastReference<DivOp>(a, b, reference);
        TensorAssert.BitEqual(reference.ToArray(), fast.ToArray(), $"{a.Shape} / {b.Shape}");
    }

    [Fact]
    public void Transposed_expanded_and_bf16_inputs_broadcast_correctly()
    {
        using var m = DoubleMath.Rand(new[] { 7, 5 }, 5);
        using var mt = m.Transpose(0, 1);                 // [5, 7], strides (1, 5)
        using var row = DoubleMath.Rand(new[] { 7 }, 6);
        using var rowExpanded = row.Expand(new[] { 5, 7 });       // stride 0 on dim 0
        using var col = DoubleMath.Rand(new[] { 5, 1 }, 7);
        using var y1 = Ops.Mul(mt, rowExpanded);
        using var y2 = Ops.Add(mt, col);
        using var mtc = mt.Contiguous();
        var mv = mtc.ToDoubleArray();
        TensorAssert.Close(BroadcastRef(mv, mt.Shape, row.ToDoubleArray(), row.Shape, (x, y) => x * y), y1.ToDoubleArray(), 0, 1e-7, "transposed × expanded");
        TensorAssert.Close(BroadcastRef(mv, mt.Shape, col.ToDoubleArray(), col.Shape, (x, y) => x + y), y2.ToDoubleArray(), 0, 1e-7, "transposed + column");
        using var mb = mt.To(DType.BF16);
        using var y3 = Ops.Sub(mb, col);
        TensorAssert.Close(BroadcastRef(mb.ToDoubleArray(), mt.Shape, col.ToDoubleArray(), col.Shape, (x, y) => x - y), y3.ToDoubleArray(), 0, 1e-7, "bf16 − column");
    }

    [Fact]
    public void Incompatible_shapes_throw_naming_both_shapes()
    {
        using var a = Tensor.Zeros(new[] { 2, 3 });
        using var b = Tensor.Zeros(new[] { 4 });
        var e = Assert.Throws<ArgumentException>(() => Ops.Add(a, b));
        Assert.Contains("[2, 3]", e.Message, StringComparison.Ordinal);
        Assert.Contains("[4]", e.Message, StringComparison.Ordinal);
        using var ints = Tensor.FromInts([1, 2], new[] { 2 });
        Assert.Throws<ArgumentException>(() => Ops.Neg(ints));
    }

    [Fact]
    public void Unary_and_scalar_ops_match_double_references()
    {
        using var x = DoubleMath.Rand(new[] { 3, 41 }, 8, 0.1f, 3f);
        var xv = x.ToDoubleArray();
        (Func<Tensor, Tensor> Op, Func<double, double> Ref, double Tol, string Name)[] ops =
        [
            (Ops.Neg, v => -v, 0, "Neg"), (Ops.Square, v => v * v, 1e-7, "Square"), (Ops.Sqrt, Math.Sqrt, 1e-7, "Sqrt"),
            (Ops.Rsqrt, v => 1 / Math.Sqrt(v), 2e-7, "Rsqrt"), (Ops.Exp, Math.Exp, 3e-7, "Exp"), (Ops.Log, Math.Log, 3e-7, "Log"),
            (Ops.Abs, Math.Abs, 0, "Abs"), (t => Ops.Pow(t, 1.7f), v => Math.Pow(v, 1.7), 3e-7, "Pow 1.7"),
            (t => Ops.Pow(t, -0.5f), v => Math.Pow(v, -0.5), 2e-7, "Pow -0.5"), (t => Ops.Pow(t, 3f), v => v * v * v, 3e-7, "Pow 3"),
            (t => Ops.Clamp(t, 0.5f, 2f), v => Math.Clamp(v, 0.5, 2), 0, "Clamp"), (t => Ops.Clamp(t, null, 1f), v => Math.Min(v, 1), 0, "Clamp max"),
            (t => Ops.Add(t, 1.5f), v => v + 1.5f, 1e-7, "AddScalar"), (t => Ops.Sub(2f, t), v => 2f - v, 1e-7, "RSubScalar"),
            (t => Ops.Mul(t, 0.3f), v => v * 0.3f, 1e-7, "MulScalar"), (t => Ops.Div(t, 0.3f), v => v / 0.3f, 1e-7, "DivScalar"),
        ];
        foreach (var (op, r, tol, name) in ops)
        {
            using var y = op(x);
            TensorAssert.Close(DoubleMath.Map(xv, r), y.ToDoubleArray(), 0, tol, name);
        }
    }

    [Fact]
    public void Nan_propagates_through_maximum_minimum_and_clamp()
    {
        using var a = Tensor.FromArray([float.NaN, 1f, -0f]);
        using var b = Tensor.FromArray([0f, float.NaN, 0f]);
        using var mx = Ops.Maximum(a, b);
        using var mn = Ops.Minimum(a, b);
        using var c = Ops.Clamp(a, 0f, 1f);
        Assert.True(float.IsNaN(mx[0]) && float.IsNaN(mx[1]));
        Assert.True(float.IsNaN(mn[0]) && float.IsNaN(mn[1]));
        Assert.True(float.IsNaN(c[0]));
        Assert.Equal(0, BitConverter.SingleToInt32Bits(mx[2]));            // max(−0, +0) = +0
        Assert.Equal(int.MinValue, BitConverter.SingleToInt32Bits(mn[2])); // min(−0, +0) = −0
    }

    [Fact]
    public void Add_scaled_rounds_once_and_broadcasts()
    {
        using var a = DoubleMath.Rand(new[] { 4, 50 }, 9);
        using var b = DoubleMath.Rand(new[] { 4, 50 }, 10);
        using var y = Ops.AddScaled(a, b, -0.7f);
        var av = a.ToArray();
        var bv = b.ToArray();
        var e = new float[av.Length];
        for (int i = 0; i < e.Length; i++) e[i] = (float)(av[i] + (double)-0.7f * bv[i]);
        TensorAssert.BitEqual(e, y.ToArray(), "AddScaled vs correctly rounded a + s·b");
        using var bias = DoubleMath.Rand(new[] { 50 }, 11);
        using var y2 = Ops.AddScaled(a, bias, 2f);
        TensorAssert.Close(BroadcastRef(a.ToDoubleArray(), a.Shape, bias.ToDoubleArray(), bias.Shape, (p, q) => p + 2 * q), y2.ToDoubleArray(), 0, 1e-6, "broadcast AddScaled");
    }

    [Fact]
    public void Tensor_operators_call_the_ops()
    {
        using var a = Tensor.FromArray([1f, 2f, 3f]);
        using var b = Tensor.FromArray([4f, 5f, 6f]);
        using var s = a + b;
        using var d = a - b;
        using var m = a * b;
        using var q = b / a;
        using var n = -a;
        using var k = a * 2f;
        using var k2 = 2f * a;
        using var r = 1f - a;
        Assert.Equal(new[] { 5f, 7f, 9f }, s.ToArray());
        Assert.Equal(new[] { -3f, -3f, -3f }, d.ToArray());
        Assert.Equal(new[] { 4f, 10f, 18f }, m.ToArray());
        Assert.Equal(new[] { 4f, 2.5f, 2f }, q.ToArray());
        Assert.Equal(new[] { -1f, -2f, -3f }, n.ToArray());
        Assert.Equal(new[] { 2f, 4f, 6f }, k.ToArray());
        Assert.Equal(k.ToArray(), k2.ToArray());
        Assert.Equal(new[] { 0f, -1f, -2f }, r.ToArray());
    }

    [Fact]
    public void Results_are_bit_identical_for_one_and_two_threads()
    {
        using var a = DoubleMath.Rand(new[] { 301, 1031 }, 12);
        using var bias = DoubleMath.Rand(new[] { 1031 }, 13);
        using var col = DoubleMath.Rand(new[] { 301, 1 }, 14);
        int saved = Engine.Threads;
        try
        {
            float[][] Run()
            {
                using var y1 = Ops.Add(a, bias);
                using var y2 = Ops.Mul(a, col);
                using var y3 = Ops.Gelu(a);
                using var y4 = Ops.Exp(a);
                return [y1.ToArray(), y2.ToArray(), y3.ToArray(), y4.ToArray()];
            }
            Engine.Threads = 1;
            var one = Run();
            Engine.Threads = 2;
            var two = Run();
            for (int i = 0; i < one.Length; i++) TensorAssert.BitEqual(one[i], two[i], $"output {i}");
        }
        finally
        {
            Engine.Threads = saved;
        }
    }

    [Fact]
    public void Binary_gradients_match_finite_differences_with_broadcasting()
    {
        using var a = DoubleMath.Rand(new[] { 2, 3, 4 }, 20);
        using var b = DoubleMath.Rand(new[] { 3, 1 }, 21, 0.5f, 2f);
        using var row = DoubleMath.Rand(new[] { 4 }, 22, 0.5f, 2f);
        GradCheck.Check("Add", t => Ops.Add(t[0], t[1]), v => BroadcastRef(v[0], a.Shape, v[1], b.Shape, (x, y) => x + y), [a, b]);
        GradCheck.Check("Sub", t => Ops.Sub(t[0], t[1]), v => BroadcastRef(v[0], a.Shape, v[1], b.Shape, (x, y) => x - y), [a, b]);
        GradCheck.Check("Mul", t => Ops.Mul(t[0], t[1]), v => BroadcastRef(v[0], a.Shape, v[1], row.Shape, (x, y) => x * y), [a, row]);
        GradCheck.Check("Div", t => Ops.Div(t[0], t[1]), v => BroadcastRef(v[0], a.Shape, v[1], b.Shape, (x, y) => x / y), [a, b]);
        using var pos = DoubleMath.Rand(new[] { 2, 3, 4 }, 24, 0.5f, 2f);
        GradCheck.Check("Div row-first", t => Ops.Div(t[0], t[1]), v => BroadcastRef(v[0], row.Shape, v[1], pos.Shape, (x, y) => x / y), [row, pos]);
        GradCheck.Check("AddScaled", t => Ops.AddScaled(t[0], t[1], -1.5f), v => BroadcastRef(v[0], a.Shape, v[1], row.Shape, (x, y) => x - 1.5 * y), [a, row]);
        using var a2 = DoubleMath.Rand(new[] { 2, 3, 4 }, 23);
        GradCheck.Check("AddScaled same shape", t => Ops.AddScaled(t[0], t[1], 0.25f), v => BroadcastRef(v[0], a.Shape, v[1], a.Shape, (x, y) => x + 0.25 * y), [a, a2]);
        GradCheck.Check("Maximum", t => Ops.Maximum(t[0], t[1]), v => BroadcastRef(v[0], a.Shape, v[1], b.Shape, Math.Max), [a, b]);
        GradCheck.Check("Minimum", t => Ops.Minimum(t[0], t[1]), v => BroadcastRef(v[0], a.Shape, v[1], row.Shape, Math.Min), [a, row]);
    }

    [Fact]
    public void Maximum_splits_the_gradient_on_ties_like_torch()
    {
        using var a = Tensor.FromArray([1f, 2f, 3f]);
        using var b = Tensor.FromArray([1f, 5f, 0f]);
        a.RequiresGrad = true;
        b.RequiresGrad = true;
        using var y = Ops.Maximum(a, b);
        using var g = Tensor.Ones(new[] { 3 });
        y.Backward(g);
        Assert.Equal(new[] { 0.5f, 0f, 1f }, a.Grad!.ToArray());
        Assert.Equal(new[] { 0.5f, 1f, 0f }, b.Grad!.ToArray());
    }

    [Fact]
    public void Unary_gradients_match_finite_differences()
    {
        using var x = DoubleMath.Rand(new[] { 3, 7 }, 30, 0.2f, 2.5f);
        using var xs = DoubleMath.Rand(new[] { 3, 7 }, 31, -2f, 2f);
        (Func<Tensor, Tensor> Op, Func<double, double> Ref, Tensor Input, string Name)[] ops =
        [
            (Ops.Neg, v => -v, xs, "Neg"), (Ops.Square, v => v * v, xs, "Square"), (Ops.Sqrt, Math.Sqrt, x, "Sqrt"),
            (Ops.Rsqrt, v => 1 / Math.Sqrt(v), x, "Rsqrt"), (Ops.Exp, Math.Exp, xs, "Exp"), (Ops.Log, Math.Log, x, "Log"),
            (Ops.Abs, Math.Abs, xs, "Abs"), (t => Ops.Pow(t, 1.7f), v => Math.Pow(v, 1.7), x, "Pow"),
            (t => Ops.Pow(t, 2f), v => v * v, xs, "Pow 2"), (t => Ops.Pow(t, 0f), _ => 1, xs, "Pow 0"),
            (t => Ops.Clamp(t, -1f, 1.2f), v => Math.Clamp(v, -1, 1.2), xs, "Clamp"),
            (t => Ops.Add(t, 3f), v => v + 3, xs, "AddScalar"), (t => Ops.Sub(t, 3f), v => v - 3, xs, "SubScalar"),
            (t => Ops.Sub(3f, t), v => 3 - v, xs, "RSubScalar"), (t => Ops.Mul(t, -2f), v => -2 * v, xs, "MulScalar"),
            (t => Ops.Div(t, 4f), v => v / 4, xs, "DivScalar"), (t => -t, v => -v, xs, "operator -"),
        ];
        foreach (var (op, r, input, name) in ops)
        {
            GradCheck.Check(name, t => op(t[0]), v => DoubleMath.Map(v[0], r), [input]);
        }
    }
}
