// Backward rules checked against central finite differences of a double-precision reference forward.
using ExpertMix.Tensors;
using Xunit.Sdk;

namespace ExpertMix.Testing;

/// <summary>
/// Gradient checking. For an op y = f(x₀…xₙ) on the f32 engine and a double-precision reference forward
/// r(x₀…xₙ), draws a fixed random cotangent w and checks
/// (1) forward: f(x) ≈ r(x) (max abs ≤ <c>forwardTol</c>·max(1, |r|)), and
/// (2) backward: ∂(w·f)/∂xᵢ from autograd ≈ [w·r(x+h·eⱼ) − w·r(x−h·eⱼ)] / 2h for every element j of every
/// differentiable input (max abs ≤ <c>gradTol</c>).
/// </summary>
public static class GradCheck
{
    /// <summary>Runs the check; the failure message names the op, input, element and both values.</summary>
    public static void Check(
        string name,
        Func<Tensor[], Tensor> op,
        Func<double[][], double[]> reference,
        Tensor[] inputs,
        bool[]? differentiable = null,
        double gradTol = Tolerances.GradAbs,
        double forwardTol = 1e-5,
        double h = 1e-5,
        ulong seed = 1234)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(inputs);
        differentiable ??= inputs.Select(t => t.DType == DType.F32).ToArray();
        var values = inputs.Select(t => t.ToDoubleArray()).ToArray();

        var leaves = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            leaves[i] = inputs[i].Clone();
            if (differentiable[i]) leaves[i].RequiresGrad = true;
        }
        var y = op(leaves);
        var refY = reference(values);
        var yv = y.ToDoubleArray();
        if (yv.Length != refY.Length) throw new XunitException($"{name}: op produced {yv.Length} values, reference {refY.Length}");
        double scale = Math.Max(1, refY.Select(Math.Abs).DefaultIfEmpty(0).Max());
        TensorAssert.Close(refY, yv, forwardTol * scale, 0, $"{name} forward vs double reference");

        var rng = new Rng(seed);
        var w = new double[yv.Length];
        for (int i = 0; i < w.Length; i++) w[i] = rng.NextDouble() * 2 - 1;
        if (!differentiable.Any(d => d)) return;
        using (var wt = Tensor.FromArray(w, y.Shape)) y.Backward(wt);

        for (int i = 0; i < inputs.Length; i++)
        {
            if (!differentiable[i]) continue;
            var analytic = leaves[i].Grad?.ToDoubleArray() ?? new double[values[i].Length];
            var numeric = new double[values[i].Length];
            for (int j = 0; j < values[i].Length; j++)
            {
                double saved = values[i][j];
                double step = h * Math.Max(1, Math.Abs(saved));
                values[i][j] = saved + step;
                double plus = Dot(w, reference(values));
                values[i][j] = saved - step;
                double minus = Dot(w, reference(values));
                values[i][j] = saved;
                numeric[j] = (plus - minus) / (2 * step);
            }
            TensorAssert.Close(numeric, analytic, gradTol, 0, $"{name} d/d(input {i} {inputs[i].Shape}) analytic vs finite difference");
        }
        foreach (var l in leaves) l.Dispose();
        y.Dispose();
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
