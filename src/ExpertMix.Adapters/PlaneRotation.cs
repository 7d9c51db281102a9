// A Givens/Jacobi plane rotation of two f64 rows, shared by the one-sided Jacobi SVD and the symmetric eigensolver.
using System.Numerics;

namespace ExpertMix.Adapters;

/// <summary>Applies a plane rotation to two equally long rows.</summary>
internal static class PlaneRotation
{
    /// <summary>(x, y) ← (c·x − s·y, s·x + c·y) elementwise.</summary>
    public static void Apply(Span<double> x, Span<double> y, double c, double s)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vc = new Vector<double>(c);
            var vs = new Vector<double>(s);
            int w = Vector<double>.Count;
            for (; i <= x.Length - w; i += w)
            {
                var xv = new Vector<double>(x.Slice(i, w));
                var yv = new Vector<double>(y.Slice(i, w));
                ((vc * xv) - (vs * yv)).CopyTo(x.Slice(i, w));
                ((vs * xv) + (vc * yv)).CopyTo(y.Slice(i, w));
            }
        }
        for (; i < x.Length; i++)
        {
            double h = y[i];
            y[i] = (s * x[i]) + (c * h);
            x[i] = (c * x[i]) - (s * h);
        }
    }
}
