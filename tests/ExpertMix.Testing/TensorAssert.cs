// Assertions on tensors and float arrays that always explain a failure: max abs diff and index, NMSE, first pairs.
using System.Globalization;
using System.Text;
using ExpertMix.Tensors;
using Xunit.Sdk;

namespace ExpertMix.Testing;

/// <summary>Numeric comparisons in the style of llm.c's tensor check.</summary>
public static class TensorAssert
{
    /// <summary>max |e-a| ≤ atol + rtol·|e| for every element.</summary>
    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double atol, double rtol = 0, string? what = null)
    {
        if (expected.Length != actual.Length) throw new XunitException($"{what}: length {actual.Length}, expected {expected.Length}");
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            double diff = Math.Abs(e - a);
            double limit = atol + rtol * Math.Abs(e);
            if (!(diff <= limit) || double.IsNaN(diff) && !(double.IsInfinity(e) && e == a))
            {
                if (e == a) continue; // equal infinities
                double excess = double.IsNaN(diff) ? double.PositiveInfinity : diff - limit;
                if (worst < 0 || excess > worstExcess) { worst = i; worstExcess = excess; }
            }
        }
        if (worst >= 0) throw new XunitException(Report(expected, actual, $"{what}: not close (atol {atol:g3}, rtol {rtol:g3}); worst at index {worst}"));
    }

    /// <summary>Float overload of <see cref="Close(ReadOnlySpan{double}, ReadOnlySpan{double}, double, double, string?)"/>.</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol = 0, string? what = null)
        => Close(ToDouble(expected), ToDouble(actual), atol, rtol, what);

    /// <summary>Tensor overload (shapes must match).</summary>
    public static void Close(Tensor expected, Tensor actual, double atol, double rtol = 0, string? what = null)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        if (expected.Shape != actual.Shape) throw new XunitException($"{what}: shape {actual.Shape}, expected {expected.Shape}");
        Close(expected.ToDoubleArray(), actual.ToDoubleArray(), atol, rtol, what);
    }

    /// <summary>|e-a| ≤ tol·max(|e|,|a|) elementwise (the SIMD-vs-scalar metric); exact zeros must match exactly.</summary>
    public static void RelativeClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tol, string? what = null)
    {
        if (expected.Length != actual.Length) throw new XunitException($"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (e.Equals(a) || double.IsNaN(e) && double.IsNaN(a)) continue;
            double scale = Math.Max(Math.Abs(e), Math.Abs(a));
            if (!(Math.Abs(e - a) <= tol * scale))
            {
                throw new XunitException(Report(ToDouble(expected), ToDouble(actual), $"{what}: relative error above {tol:g3} at index {i}"));
            }
        }
    }

    /// <summary>Normalised mean squared error Σ(e-a)²/Σe² ≤ <paramref name="limit"/> and max |e-a| ≤ <paramref name="maxAbs"/>.</summary>
    public static void Nmse(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double limit, double maxAbs = double.PositiveInfinity, string? what = null)
    {
        if (expected.Length != actual.Length) throw new XunitException($"{what}: length {actual.Length}, expected {expected.Length}");
        double num = 0, den = 0, worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = expected[i] - actual[i];
            num += d * d;
            den += expected[i] * expected[i];
            worst = Math.Max(worst, Math.Abs(d));
        }
        double nmse = den == 0 ? num : num / den;
        if (!(nmse <= limit) || !(worst <= maxAbs))
        {
            throw new XunitException(Report(expected, actual, $"{what}: NMSE {nmse:g3} (limit {limit:g3}), max abs {worst:g3} (limit {maxAbs:g3})"));
        }
    }

    /// <summary>Bitwise equality of two float spans.</summary>
    public static void BitEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string? what = null)
    {
        if (expected.Length != actual.Length) throw new XunitException($"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                throw new XunitException(Report(ToDouble(expected), ToDouble(actual), $"{what}: not bit-identical at index {i}"));
            }
        }
    }

    /// <summary>A failure report: header, max abs diff and index, NMSE, first mismatching pairs.</summary>
    public static string Report(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, string header)
    {
        var sb = new StringBuilder(header).AppendLine();
        double maxAbs = 0, num = 0, den = 0;
        int at = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(expected[i] - actual[i]);
            if (d > maxAbs || double.IsNaN(d)) { maxAbs = d; at = i; }
            if (!double.IsNaN(d)) { num += d * d; den += expected[i] * expected[i]; }
        }
        sb.Append(CultureInfo.InvariantCulture, $"  n={expected.Length} max|diff|={maxAbs:g6} at [{at}] NMSE={(den == 0 ? num : num / den):g6}").AppendLine();
        int shown = 0;
        for (int i = 0; i < expected.Length && shown < 8; i++)
        {
            if (expected[i].Equals(actual[i])) continue;
            sb.Append(CultureInfo.InvariantCulture, $"  [{i}] expected {expected[i]:r} actual {actual[i]:r} diff {actual[i] - expected[i]:g4}").AppendLine();
            shown++;
        }
        return sb.ToString();
    }

    private static double[] ToDouble(ReadOnlySpan<float> x)
    {
        var r = new double[x.Length];
        for (int i = 0; i < x.Length; i++) r[i] = x[i];
        return r;
    }
}
