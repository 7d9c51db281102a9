// Element-wise and broadcast kernels on raw f32 buffers: parallel contiguous, row-broadcast and general strided paths.
using System.Runtime.Intrinsics;
using ExpertMix.Tensors.Kernels.Simd;

namespace ExpertMix.Tensors.Kernels;

/// <summary>
/// Multi-threaded element-wise kernels. Contiguous work is cut into fixed blocks of <see cref="Block"/> elements
/// (a multiple of every vector width) and spread with <see cref="Par.For"/>; since <see cref="SimdDriver"/> gives
/// position-independent results, outputs are bit-identical for any <see cref="Engine.Threads"/>.
/// </summary>
public static unsafe class Elementwise
{
    /// <summary>Elements per parallel block.</summary>
    public const int Block = 16384;

    /// <summary>d[i] = TOp(x[i]) for i &lt; n (d may equal x).</summary>
    public static void Unary<TOp>(float* x, float* d, long n) where TOp : IUnaryOperator
    {
        nint xp = (nint)x, dp = (nint)d;
        Blocks(n, (s, len) => SimdDriver.Unary<TOp>(new ReadOnlySpan<float>((float*)xp + s, len), new Span<float>((float*)dp + s, len)));
    }

    /// <summary>d[i] = TOp(a[i], b[i]) for i &lt; n (d may equal a or b).</summary>
    public static void Binary<TOp>(float* a, float* b, float* d, long n) where TOp : IBinaryOperator
    {
        nint ap = (nint)a, bp = (nint)b, dp = (nint)d;
        Blocks(n, (s, len) => SimdDriver.Binary<TOp>(new ReadOnlySpan<float>((float*)ap + s, len), new ReadOnlySpan<float>((float*)bp + s, len), new Span<float>((float*)dp + s, len)));
    }

    /// <summary>d[i] = TOp(a[i], s) for i &lt; n.</summary>
    public static void BinaryWithScalar<TOp>(float* a, float scalar, float* d, long n) where TOp : IBinaryOperator
    {
        nint ap = (nint)a, dp = (nint)d;
        Blocks(n, (s, len) => SimdDriver.BinaryWithScalar<TOp>(new ReadOnlySpan<float>((float*)ap + s, len), scalar, new Span<float>((float*)dp + s, len)));
    }

    /// <summary>d[r·C + c] = TOp(a[r·C + c], row[c]) for r &lt; rows, c &lt; cols (the bias case).</summary>
    public static void RowBroadcast<TOp>(float* a, float* row, float* d, long rows, int cols) where TOp : IBinaryOperator
    {
        if (rows == 0 || cols == 0) return;
        nint ap = (nint)a, rp = (nint)row, dp = (nint)d;
        int minRows = Math.Max(1, Block / cols);
        Par.For(checked((int)rows), minRows, (r0, r1) =>
        {
            var rs = new ReadOnlySpan<float>((float*)rp, cols);
            for (long r = r0; r < r1; r++)
            {
                long o = r * cols;
                SimdDriver.Binary<TOp>(new ReadOnlySpan<float>((float*)ap + o, cols), rs, new Span<float>((float*)dp + o, cols));
            }
        });
    }

    /// <summary>
    /// The general N-d broadcast path (the reference for every fast path): out[i…] = TOp(a[i…], b[i…]) where
    /// <paramref name="aStrides"/>/<paramref name="bStrides"/> are element strides already aligned to
    /// <paramref name="shape"/> (0 on broadcast dimensions) and <paramref name="d"/> is contiguous. Rows of the last
    /// dimension are split over threads; unit-stride rows use the SIMD driver, stride-0 rows the scalar-operand driver.
    /// </summary>
    public static void BroadcastStrided<TOp>(float* a, long[] aStrides, float* b, long[] bStrides, float* d, int[] shape) where TOp : IBinaryOperator
    {
        int rank = shape.Length;
        long numel = 1;
        foreach (var s in shape) numel *= s;
        if (numel == 0) return;
        if (rank == 0)
        {
            d[0] = TOp.Invoke(a[0], b[0]);
            return;
        }
        int cols = shape[rank - 1];
        long rows = numel / cols;
        long sa = aStrides[rank - 1], sb = bStrides[rank - 1];
        nint ap = (nint)a, bp = (nint)b, dp = (nint)d;
        Par.For(checked((int)rows), Math.Max(1, Block / cols), (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                long oa = 0, ob = 0, rem = r;
                for (int k = rank - 2; k >= 0; k--)
                {
                    long idx = rem % shape[k];
                    rem /= shape[k];
                    oa += idx * aStrides[k];
                    ob += idx * bStrides[k];
                }
                float* pa = (float*)ap + oa, pb = (float*)bp + ob;
                var dst = new Span<float>((float*)dp + r * cols, cols);
                if (sa == 1 && sb == 1) SimdDriver.Binary<TOp>(new ReadOnlySpan<float>(pa, cols), new ReadOnlySpan<float>(pb, cols), dst);
                else if (sa == 1 && sb == 0) SimdDriver.BinaryWithScalar<TOp>(new ReadOnlySpan<float>(pa, cols), *pb, dst);
                else if (sa == 0 && sb == 1) SimdDriver.BinaryWithScalar<Swapped<TOp>>(new ReadOnlySpan<float>(pb, cols), *pa, dst);
                else
                {
                    for (int c = 0; c < cols; c++) dst[c] = TOp.Invoke(pa[c * sa], pb[c * sb]);
                }
            }
        });
    }

    /// <summary>destination[i] = a[i] + s·b[i] as one fused multiply-add (torch.add(a, b, alpha=s) on CPU uses fmadd).</summary>
    public static void AddScaled(ReadOnlySpan<float> a, float s, ReadOnlySpan<float> b, Span<float> destination)
    {
        if (a.Length != b.Length || destination.Length < a.Length) throw new ArgumentException($"AddScaled lengths {a.Length}, {b.Length}, {destination.Length}");
        int n = a.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var sv = Vector512.Create(s);
            for (; i <= n - 16; i += 16) Vector512.FusedMultiplyAdd(Vector512.Create(b.Slice(i, 16)), sv, Vector512.Create(a.Slice(i, 16))).CopyTo(destination.Slice(i, 16));
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var sv = Vector256.Create(s);
            for (; i <= n - 8; i += 8) Vector256.FusedMultiplyAdd(Vector256.Create(b.Slice(i, 8)), sv, Vector256.Create(a.Slice(i, 8))).CopyTo(destination.Slice(i, 8));
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            var sv = Vector128.Create(s);
            for (; i <= n - 4; i += 4) Vector128.FusedMultiplyAdd(Vector128.Create(b.Slice(i, 4)), sv, Vector128.Create(a.Slice(i, 4))).CopyTo(destination.Slice(i, 4));
        }
        AddScaledScalar(a[i..], s, b[i..], destination[i..]);
    }

    /// <summary>Scalar twin of <see cref="AddScaled(ReadOnlySpan{float}, float, ReadOnlySpan{float}, Span{float})"/> (bit-identical: both round once).</summary>
    public static void AddScaledScalar(ReadOnlySpan<float> a, float s, ReadOnlySpan<float> b, Span<float> destination)
    {
        if (a.Length != b.Length || destination.Length < a.Length) throw new ArgumentException($"AddScaled lengths {a.Length}, {b.Length}, {destination.Length}");
        for (int i = 0; i < a.Length; i++) destination[i] = MathF.FusedMultiplyAdd(b[i], s, a[i]);
    }

    /// <summary>Parallel <see cref="AddScaled(ReadOnlySpan{float}, float, ReadOnlySpan{float}, Span{float})"/> over n elements.</summary>
    public static void AddScaled(float* a, float s, float* b, float* d, long n)
    {
        nint ap = (nint)a, bp = (nint)b, dp = (nint)d;
        Blocks(n, (o, len) => AddScaled(new ReadOnlySpan<float>((float*)ap + o, len), s, new ReadOnlySpan<float>((float*)bp + o, len), new Span<float>((float*)dp + o, len)));
    }

    /// <summary>Calls body(start, length) over [0, n) in blocks of <see cref="Block"/>, blocks spread over threads.</summary>
    public static void Blocks(long n, Action<long, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (n <= 0) return;
        if (n <= Block)
        {
            body(0, (int)n);
            return;
        }
        int blocks = checked((int)((n + Block - 1) / Block));
        Par.For(blocks, 2, (b0, b1) =>
        {
            for (int blk = b0; blk < b1; blk++)
            {
                long s = (long)blk * Block;
                body(s, (int)Math.Min(Block, n - s));
            }
        });
    }
}
