// T = B_cat·A_cat in f64 by a register-blocked SIMD kernel, fused with rounding to f32 or comparison to a dense delta.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ExpertMix.Adapters.Merging;

/// <summary>What <see cref="TargetKernel.Run"/> does with each f64 entry of T.</summary>
internal enum TargetPass
{
    /// <summary>Round T to f32 into the output; the error is that rounding.</summary>
    Write,

    /// <summary>Compare T with the given dense delta.</summary>
    Compare,
}

/// <summary>
/// The target T = Σ_t c_t P_t Q_t [out, in] of a module, accumulated in f64 with FMA over 4×8 register blocks
/// (O(out·in·R), no T stored), fused with either rounding to f32 or comparing to a dense delta.
/// </summary>
internal static class TargetKernel
{
    /// <summary>
    /// Runs the pass and returns (‖y − T‖², ‖T‖²) where y is the f32 output (<see cref="TargetPass.Write"/>, written
    /// to <paramref name="y"/>) or the given delta (<see cref="TargetPass.Compare"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double ErrSq, double TargetSq) Run(IReadOnlyList<FactorTerm> terms, int outF, int inF, float[] y, TargetPass pass)
    {
        int r = terms.Sum(t => t.Rank);
        var p = new double[outF * r]; // P_cat [out, R] with the coefficients folded in
        var q = new double[r * inF];  // Q_cat [R, in]
        int off = 0;
        foreach (var t in terms)
        {
            for (int j = 0; j < t.Rank; j++)
            {
                for (int o = 0; o < outF; o++) p[(o * r) + off + j] = t.Coef * t.Pt[(j * outF) + o];
            }
            t.Q.AsSpan(0, t.Rank * inF).CopyTo(q.AsSpan(off * inF));
            off += t.Rank;
        }
        double err = 0, tgt = 0;
        int o0 = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; o0 + 4 <= outF; o0 += 4)
            {
                int i0 = 0;
                if (Vector512.IsHardwareAccelerated)
                {
                    for (; i0 + 16 <= inF; i0 += 16) Block512(p, q, r, inF, o0, i0, y, pass, ref err, ref tgt);
                }
                for (; i0 + 8 <= inF; i0 += 8) Block(p, q, r, inF, o0, i0, y, pass, ref err, ref tgt);
                for (; i0 < inF; i0++)
                {
                    for (int o = o0; o < o0 + 4; o++) Scalar(p, q, r, inF, o, i0, y, pass, ref err, ref tgt);
                }
            }
        }
        for (; o0 < outF; o0++)
        {
            for (int i = 0; i < inF; i++) Scalar(p, q, r, inF, o0, i, y, pass, ref err, ref tgt);
        }
        return (err, tgt);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scalar(double[] p, double[] q, int r, int inF, int o, int i, float[] y, TargetPass pass, ref double err, ref double tgt)
    {
        double s = 0;
        for (int j = 0; j < r; j++) s = Math.FusedMultiplyAdd(p[(o * r) + j], q[(j * inF) + i], s);
        Finish(s, ref y[(o * inF) + i], pass, ref err, ref tgt);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(double s, ref float dst, TargetPass pass, ref double err, ref double tgt)
    {
        if (pass == TargetPass.Write) dst = (float)s;
        double d = dst - s;
        err += d * d;
        tgt += s * s;
    }

    // rows o0..o0+3, columns i0..i0+7: 8 accumulators of 4 doubles.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block(double[] p, double[] q, int r, int inF, int o0, int i0, float[] y, TargetPass pass, ref double err, ref double tgt)
    {
        var a00 = Vector256<double>.Zero; var a01 = Vector256<double>.Zero;
        var a10 = Vector256<double>.Zero; var a11 = Vector256<double>.Zero;
        var a20 = Vector256<double>.Zero; var a21 = Vector256<double>.Zero;
        var a30 = Vector256<double>.Zero; var a31 = Vector256<double>.Zero;
        ref double qb = ref q[0];
        ref double pb = ref p[0];
        for (int j = 0; j < r; j++)
        {
            ref double qr = ref Unsafe.Add(ref qb, (j * inF) + i0);
            var q0 = Vector256.LoadUnsafe(ref qr);
            var q1 = Vector256.LoadUnsafe(ref qr, 4);
            var p0 = Vector256.Create(Unsafe.Add(ref pb, (o0 * r) + j));
            var p1 = Vector256.Create(Unsafe.Add(ref pb, ((o0 + 1) * r) + j));
            var p2 = Vector256.Create(Unsafe.Add(ref pb, ((o0 + 2) * r) + j));
            var p3 = Vector256.Create(Unsafe.Add(ref pb, ((o0 + 3) * r) + j));
            a00 = Vector256.FusedMultiplyAdd(p0, q0, a00); a01 = Vector256.FusedMultiplyAdd(p0, q1, a01);
            a10 = Vector256.FusedMultiplyAdd(p1, q0, a10); a11 = Vector256.FusedMultiplyAdd(p1, q1, a11);
            a20 = Vector256.FusedMultiplyAdd(p2, q0, a20); a21 = Vector256.FusedMultiplyAdd(p2, q1, a21);
            a30 = Vector256.FusedMultiplyAdd(p3, q0, a30); a31 = Vector256.FusedMultiplyAdd(p3, q1, a31);
        }
        Store(a00, a01, y, (o0 * inF) + i0, pass, ref err, ref tgt);
        Store(a10, a11, y, ((o0 + 1) * inF) + i0, pass, ref err, ref tgt);
        Store(a20, a21, y, ((o0 + 2) * inF) + i0, pass, ref err, ref tgt);
        Store(a30, a31, y, ((o0 + 3) * inF) + i0, pass, ref err, ref tgt);
    }

    // rows o0..o0+3, columns i0..i0+15 with 512-bit vectors.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block512(double[] p, double[] q, int r, int inF, int o0, int i0, float[] y, TargetPass pass, ref double err, ref double tgt)
    {
        var a00 = Vector512<double>.Zero; var a01 = Vector512<double>.Zero;
        var a10 = Vector512<double>.Zero; var a11 = Vector512<double>.Zero;
        var a20 = Vector512<double>.Zero; var a21 = Vector512<double>.Zero;
        var a30 = Vector512<double>.Zero; var a31 = Vector512<double>.Zero;
        ref double qb = ref q[0];
        ref double pb = ref p[0];
        for (int j = 0; j < r; j++)
        {
            ref double qr = ref Unsafe.Add(ref qb, (j * inF) + i0);
            var q0 = Vector512.LoadUnsafe(ref qr);
            var q1 = Vector512.LoadUnsafe(ref qr, 8);
            var p0 = Vector512.Create(Unsafe.Add(ref pb, (o0 * r) + j));
            var p1 = Vector512.Create(Unsafe.Add(ref pb, ((o0 + 1) * r) + j));
            var p2 = Vector512.Create(Unsafe.Add(ref pb, ((o0 + 2) * r) + j));
            var p3 = Vector512.Create(Unsafe.Add(ref pb, ((o0 + 3) * r) + j));
            a00 = Vector512.FusedMultiplyAdd(p0, q0, a00); a01 = Vector512.FusedMultiplyAdd(p0, q1, a01);
            a10 = Vector512.FusedMultiplyAdd(p1, q0, a10); a11 = Vector512.FusedMultiplyAdd(p1, q1, a11);
            a20 = Vector512.FusedMultiplyAdd(p2, q0, a20); a21 = Vector512.FusedMultiplyAdd(p2, q1, a21);
            a30 = Vector512.FusedMultiplyAdd(p3, q0, a30); a31 = Vector512.FusedMultiplyAdd(p3, q1, a31);
        }
        Store512(a00, a01, y, (o0 * inF) + i0, pass, ref err, ref tgt);
        Store512(a10, a11, y, ((o0 + 1) * inF) + i0, pass, ref err, ref tgt);
        Store512(a20, a21, y, ((o0 + 2) * inF) + i0, pass, ref err, ref tgt);
        Store512(a30, a31, y, ((o0 + 3) * inF) + i0, pass, ref err, ref tgt);
    }

    // Rounds (Write) or reads (Compare) 16 entries and accumulates the squared difference and target in lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(Vector512<double> lo, Vector512<double> hi, float[] y, int at, TargetPass pass, ref double err, ref double tgt)
    {
        ref float dst = ref y[at];
        Vector512<double> ylo, yhi;
        if (pass == TargetPass.Write)
        {
            var f = Vector512.Narrow(lo, hi); // f32 rounding of both halves
            f.StoreUnsafe(ref dst);
            (ylo, yhi) = Vector512.Widen(f);
        }
        else
        {
            (ylo, yhi) = Vector512.Widen(Vector512.LoadUnsafe(ref dst));
        }
        var dlo = ylo - lo;
        var dhi = yhi - hi;
        err += Vector512.Sum((dlo * dlo) + (dhi * dhi));
        tgt += Vector512.Sum((lo * lo) + (hi * hi));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<double> lo, Vector256<double> hi, float[] y, int at, TargetPass pass, ref double err, ref double tgt)
    {
        for (int k = 0; k < 4; k++)
        {
            Finish(lo.GetElement(k), ref y[at + k], pass, ref err, ref tgt);
            Finish(hi.GetElement(k), ref y[at + 4 + k], pass, ref err, ref tgt);
        }
    }
}
