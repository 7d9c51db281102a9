// CPU element-wise family: maps the UnaryOp/BinaryOp kinds onto the generic SIMD operator kernels.
using ExpertMix.Tensors.Kernels;
using ExpertMix.Tensors.Kernels.Simd;

namespace ExpertMix.Tensors;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Unary(UnaryOp op, Tensor x, Tensor y)
    {
        switch (op)
        {
            case UnaryOp.Neg: UnaryCore<NegOp>(x, y); break;
            case UnaryOp.Abs: UnaryCore<AbsOp>(x, y); break;
            case UnaryOp.Square: UnaryCore<SquareOp>(x, y); break;
            case UnaryOp.Sqrt: UnaryCore<SqrtOp>(x, y); break;
            case UnaryOp.Rsqrt: UnaryCore<RsqrtOp>(x, y); break;
            case UnaryOp.Exp: UnaryCore<ExpOp>(x, y); break;
            case UnaryOp.Log: UnaryCore<LogOp>(x, y); break;
            case UnaryOp.Gelu: UnaryCore<GeluOp>(x, y); break;
            case UnaryOp.GeluTanh: UnaryCore<GeluTanhOp>(x, y); break;
            case UnaryOp.Sigmoid: UnaryCore<SigmoidOp>(x, y); break;
            case UnaryOp.Silu: UnaryCore<SiluOp>(x, y); break;
            case UnaryOp.Tanh: UnaryCore<TanhOp>(x, y); break;
            case UnaryOp.Relu: UnaryCore<ReluOp>(x, y); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "unknown unary op");
        }
    }

    /// <inheritdoc/>
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y) => DispatchBinary(op, new BroadcastCall(a, b, y));

    /// <inheritdoc/>
    public void BinaryScalar(BinaryOp op, Tensor x, float s, Tensor y) => DispatchBinary(op, new ScalarCall(x, s, y, ScalarLeft: false));

    /// <inheritdoc/>
    public void ScalarBinary(BinaryOp op, float s, Tensor x, Tensor y) => DispatchBinary(op, new ScalarCall(x, s, y, ScalarLeft: true));

    /// <inheritdoc/>
    public unsafe void AddScaled(Tensor a, float s, Tensor b, Tensor y) => Elementwise.AddScaled(a.DataPointer, s, b.DataPointer, y.DataPointer, y.Numel);

    private static unsafe void UnaryCore<TOp>(Tensor x, Tensor y) where TOp : IUnaryOperator => Elementwise.Unary<TOp>(x.DataPointer, y.DataPointer, y.Numel);

    private static void DispatchBinary<TCall>(BinaryOp op, TCall call) where TCall : IBinaryCall
    {
        switch (op)
        {
            case BinaryOp.Add: call.Run<AddOp>(); break;
            case BinaryOp.Sub: call.Run<SubOp>(); break;
            case BinaryOp.Mul: call.Run<MulOp>(); break;
            case BinaryOp.Div: call.Run<DivOp>(); break;
            case BinaryOp.Max: call.Run<MaxOp>(); break;
            case BinaryOp.Min: call.Run<MinOp>(); break;
            case BinaryOp.SwiGlu: call.Run<SwiGluOp>(); break;
            case BinaryOp.GeluGrad: call.Run<GeluGradOp>(); break;
            case BinaryOp.GeluTanhGrad: call.Run<GeluTanhGradOp>(); break;
            case BinaryOp.SigmoidGrad: call.Run<SigmoidGradOp>(); break;
            case BinaryOp.SiluGrad: call.Run<SiluGradOp>(); break;
            case BinaryOp.TanhGrad: call.Run<TanhGradOp>(); break;
            case BinaryOp.ReluGrad: call.Run<ReluGradOp>(); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, "unknown binary op");
        }
    }

    /// <summary>A binary kernel call waiting for its operator type.</summary>
    private interface IBinaryCall
    {
        void Run<TOp>() where TOp : IBinaryOperator;
    }

    private readonly record struct ScalarCall(Tensor X, float S, Tensor Y, bool ScalarLeft) : IBinaryCall
    {
        public unsafe void Run<TOp>() where TOp : IBinaryOperator
        {
            if (ScalarLeft) Elementwise.BinaryWithScalar<Swapped<TOp>>(X.DataPointer, S, Y.DataPointer, Y.Numel);
            else Elementwise.BinaryWithScalar<TOp>(X.DataPointer, S, Y.DataPointer, Y.Numel);
        }
    }

    private readonly record struct BroadcastCall(Tensor A, Tensor B, Tensor Y) : IBinaryCall
    {
        public void Run<TOp>() where TOp : IBinaryOperator => BroadcastBinary<TOp>(A, B, Y);
    }

    /// <summary>
    /// Broadcast binary map into contiguous y: same-shape contiguous → flat SIMD; one side a single element → scalar
    /// operand; [.., C] ⊗ [C] → row broadcast; anything else (stride-0, transposed, mixed) → the general strided path.
    /// </summary>
    private static unsafe void BroadcastBinary<TOp>(Tensor a, Tensor b, Tensor y) where TOp : IBinaryOperator
    {
        if (y.Numel == 0) return;
        var shape = y.Shape;
        if (a.DType == DType.F32 && b.DType == DType.F32)
        {
            bool aFull = a.Shape == shape && a.IsContiguous, bFull = b.Shape == shape && b.IsContiguous;
            if (aFull && bFull) { Elementwise.Binary<TOp>(a.DataPointer, b.DataPointer, y.DataPointer, y.Numel); return; }
            if (aFull && b.Numel == 1) { Elementwise.BinaryWithScalar<TOp>(a.DataPointer, *b.DataPointer, y.DataPointer, y.Numel); return; }
            if (bFull && a.Numel == 1) { Elementwise.BinaryWithScalar<Swapped<TOp>>(b.DataPointer, *a.DataPointer, y.DataPointer, y.Numel); return; }
            int c = shape.Rank > 0 ? shape[-1] : 0;
            if (c > 0)
            {
                if (aFull && IsRow(b, c)) { Elementwise.RowBroadcast<TOp>(a.DataPointer, b.DataPointer, y.DataPointer, y.Numel / c, c); return; }
                if (bFull && IsRow(a, c)) { Elementwise.RowBroadcast<Swapped<TOp>>(b.DataPointer, a.DataPointer, y.DataPointer, y.Numel / c, c); return; }
            }
        }
        BroadcastStrided<TOp>(a, b, y);
    }

    private static bool IsRow(Tensor t, int c) => t.Rank >= 1 && t.Numel == c && t.Size(-1) == c && (c == 1 || t.Stride(-1) == 1);

    /// <summary>The general strided path into a contiguous y of the broadcast shape (also the tests' reference).</summary>
    internal static unsafe void BroadcastStrided<TOp>(Tensor a, Tensor b, Tensor y) where TOp : IBinaryOperator
    {
        using var af = F32Any(a);
        using var bf = F32Any(b);
        var dims = y.ShapeArray;
        Elementwise.BroadcastStrided<TOp>(af.DataPointer, AlignedStrides(af, dims), bf.DataPointer, AlignedStrides(bf, dims), y.DataPointer, dims);
    }

    /// <summary>Strides of <paramref name="t"/> aligned to <paramref name="dims"/> (0 on broadcast and missing dimensions).</summary>
    internal static long[] AlignedStrides(Tensor t, int[] dims)
    {
        int rank = dims.Length, off = rank - t.Rank;
        var s = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            int j = i - off;
            s[i] = j < 0 || t.ShapeArray[j] == 1 ? 0 : t.StrideArray[j];
        }
        return s;
    }

    /// <summary>t itself (a new view, same layout) when F32, else a contiguous F32 scratch copy (CPU memory).</summary>
    private static Tensor F32Any(Tensor t)
    {
        if (t.DType == DType.F32) return t.Detach();
        var c = EmptyOwnedBy(Instance, t.Shape, DType.F32, zero: false);
        StridedCopy.Copy(t, c);
        return c;
    }
}
