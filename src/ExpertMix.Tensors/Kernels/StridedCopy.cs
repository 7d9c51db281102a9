// Copy between arbitrary layouts and dtypes (the reference path behind Contiguous, To and CopyFrom).
namespace ExpertMix.Tensors.Kernels;

/// <summary>Strided, converting element copy: dst[i…] = convert(src[i…]) for same-shaped tensors.</summary>
public static unsafe class StridedCopy
{
    /// <summary>Copies every element of <paramref name="src"/> into <paramref name="dst"/> (same shape), converting dtypes.</summary>
    public static void Copy(Tensor src, Tensor dst)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(dst);
        if (src.Shape != dst.Shape) throw new ArgumentException($"StridedCopy shape mismatch {src.Shape} → {dst.Shape}");
        if (src.Numel == 0) return;
        int rank = src.Rank;
        int[] shape = src.ShapeArray;
        long[] ss = src.StrideArray, ds = dst.StrideArray;
        DType st = src.DType, dt = dst.DType;
        byte* sp = src.RawPointer, dp = dst.RawPointer;
        int ssz = st.SizeOf(), dsz = dt.SizeOf();

        if (rank == 0)
        {
            CopyRun(sp, 1, st, dp, 1, dt, 1);
            return;
        }
        // Iterate over all but the last dimension; the innermost run is handled by CopyRun.
        int inner = shape[rank - 1];
        long sInner = ss[rank - 1], dInner = ds[rank - 1];
        long outer = src.Numel / inner;
        var idx = new int[rank];
        long so = 0, dof = 0;
        for (long o = 0; o < outer; o++)
        {
            CopyRun(sp + so * ssz, sInner, st, dp + dof * dsz, dInner, dt, inner);
            for (int d = rank - 2; d >= 0; d--)
            {
                idx[d]++;
                so += ss[d];
                dof += ds[d];
                if (idx[d] < shape[d]) break;
                so -= ss[d] * shape[d];
                dof -= ds[d] * shape[d];
                idx[d] = 0;
            }
        }
    }

    private static void CopyRun(byte* s, long sStride, DType st, byte* d, long dStride, DType dt, int n)
    {
        if (st == dt && sStride == 1 && dStride == 1)
        {
            int sz = st.SizeOf();
            Buffer.MemoryCopy(s, d, (long)n * sz, (long)n * sz);
            return;
        }
        if (sStride == 1 && dStride == 1)
        {
            if (st == DType.BF16 && dt == DType.F32) { Convert.Bf16ToF32(new ReadOnlySpan<ushort>(s, n), new Span<float>(d, n)); return; }
            if (st == DType.F32 && dt == DType.BF16) { Convert.F32ToBf16(new ReadOnlySpan<float>(s, n), new Span<ushort>(d, n)); return; }
            if (st == DType.F16 && dt == DType.F32) { Convert.F16ToF32(new ReadOnlySpan<Half>(s, n), new Span<float>(d, n)); return; }
            if (st == DType.F32 && dt == DType.F16) { Convert.F32ToF16(new ReadOnlySpan<float>(s, n), new Span<Half>(d, n)); return; }
        }
        if (st == dt)
        {
            int sz = st.SizeOf();
            for (int i = 0; i < n; i++) Buffer.MemoryCopy(s + i * sStride * sz, d + i * dStride * sz, sz, sz);
            return;
        }
        for (int i = 0; i < n; i++) Write(d, i * dStride, dt, Read(s, i * sStride, st));
    }

    private static double Read(byte* p, long i, DType t) => t switch
    {
        DType.F32 => ((float*)p)[i],
        DType.F16 => (double)((Half*)p)[i],
        DType.BF16 => Bf16.ToSingle(((ushort*)p)[i]),
        DType.F64 => ((double*)p)[i],
        DType.I64 => ((long*)p)[i],
        DType.I32 => ((int*)p)[i],
        DType.U8 => p[i],
        DType.Bool => p[i] != 0 ? 1 : 0,
        _ => throw new NotSupportedException(t.ToString()),
    };

    private static void Write(byte* p, long i, DType t, double v)
    {
        switch (t)
        {
            case DType.F32: ((float*)p)[i] = (float)v; break;
            case DType.F16: ((Half*)p)[i] = (Half)(float)v; break;
            case DType.BF16: ((ushort*)p)[i] = Bf16.FromSingle((float)v); break;
            case DType.F64: ((double*)p)[i] = v; break;
            case DType.I64: ((long*)p)[i] = (long)v; break;
            case DType.I32: ((int*)p)[i] = (int)v; break;
            case DType.U8: p[i] = (byte)v; break;
            case DType.Bool: p[i] = v != 0 ? (byte)1 : (byte)0; break;
            default: throw new NotSupportedException(t.ToString());
        }
    }
}
