// A test-only backend that decorates CpuBackend: owns its own (host) tensors and records every kernel call.
using ExpertMix.Tensors.Optim;

namespace ExpertMix.Tensors.Tests;

/// <summary>
/// Wraps <see cref="CpuBackend"/>: tensors from <see cref="Empty"/> report this backend, and every seam member logs its
/// name (unary/binary/softmax calls also their op kind) before delegating to the CPU kernels.
/// </summary>
internal sealed class RecordingBackend : IBackend
{
    private static readonly CpuBackend s_cpu = CpuBackend.Instance;
    private readonly List<string> _calls = [];
    private readonly Lock _gate = new();

    public string Name => "recording";

    /// <summary>The calls so far, in order.</summary>
    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_gate) return [.. _calls];
        }
    }

    /// <summary>Copies a CPU tensor onto this backend (same shape and dtype).</summary>
    public Tensor Upload(Tensor cpu)
    {
        var t = CpuBackend.EmptyOwnedBy(this, cpu.Shape, cpu.DType, zero: false);
        t.CopyFrom(cpu);
        return t;
    }

    public void Clear()
    {
        lock (_gate) _calls.Clear();
    }

    private void Log(string call)
    {
        lock (_gate) _calls.Add(call);
    }

    public Tensor Empty(Shape shape, DType dtype, bool zero)
    {
        Log(nameof(Empty));
        return CpuBackend.EmptyOwnedBy(this, shape, dtype, zero);
    }

    public void Copy(Tensor src, Tensor dst)
    {
        Log(nameof(Copy));
        s_cpu.Copy(src, dst);
    }

    public void Unary(UnaryOp op, Tensor x, Tensor y)
    {
        Log($"{nameof(Unary)}.{op}");
        s_cpu.Unary(op, x, y);
    }

    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y)
    {
        Log($"{nameof(Binary)}.{op}");
        s_cpu.Binary(op, a, b, y);
    }

    public void BinaryScalar(BinaryOp op, Tensor x, float s, Tensor y)
    {
        Log($"{nameof(BinaryScalar)}.{op}");
        s_cpu.BinaryScalar(op, x, s, y);
    }

    public void ScalarBinary(BinaryOp op, float s, Tensor x, Tensor y)
    {
        Log($"{nameof(ScalarBinary)}.{op}");
        s_cpu.ScalarBinary(op, s, x, y);
    }

    public void AddScaled(Tensor a, float s, Tensor b, Tensor y)
    {
        Log(nameof(AddScaled));
        s_cpu.AddScaled(a, s, b, y);
    }

    public void Linear(Tensor x, Tensor weight, float beta, Tensor y)
    {
        Log(nameof(Linear));
        s_cpu.Linear(x, weight, beta, y);
    }

    public void Linear(Tensor x, PackedWeight weight, float beta, Tensor y)
    {
        Log("LinearPacked");
        s_cpu.Linear(x, weight, beta, y);
    }

    public void MatMul(Tensor a, Tensor b, Tensor y)
    {
        Log(nameof(MatMul));
        s_cpu.MatMul(a, b, y);
    }

    public void LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps, Tensor y, Tensor mean, Tensor rstd)
    {
        Log(nameof(LayerNorm));
        s_cpu.LayerNorm(x, weight, bias, eps, y, mean, rstd);
    }

    public void LayerNormBackward(Tensor x, Tensor dy, Tensor? weight, Tensor mean, Tensor rstd, Tensor? dx, Tensor? dweight, Tensor? dbias)
    {
        Log(nameof(LayerNormBackward));
        s_cpu.LayerNormBackward(x, dy, weight, mean, rstd, dx, dweight, dbias);
    }

    public void RmsNorm(Tensor x, Tensor? weight, float eps, Tensor y, Tensor rstd)
    {
        Log(nameof(RmsNorm));
        s_cpu.RmsNorm(x, weight, eps, y, rstd);
    }

    public void RmsNormBackward(Tensor x, Tensor dy, Tensor? weight, Tensor rstd, Tensor? dx, Tensor? dweight)
    {
        Log(nameof(RmsNormBackward));
        s_cpu.RmsNormBackward(x, dy, weight, rstd, dx, dweight);
    }

    public void Softmax(SoftmaxKind kind, Tensor x, Tensor y)
    {
        Log($"{nameof(Softmax)}.{kind}");
        s_cpu.Softmax(kind, x, y);
    }

    public void SoftmaxBackward(SoftmaxKind kind, Tensor y, Tensor dy, Tensor dx)
    {
        Log($"{nameof(SoftmaxBackward)}.{kind}");
        s_cpu.SoftmaxBackward(kind, y, dy, dx);
    }

    public void CrossEntropy(Tensor logits, Tensor targets, float labelSmoothing, Tensor nll, Tensor smooth, Tensor lse)
    {
        Log(nameof(CrossEntropy));
        s_cpu.CrossEntropy(logits, targets, labelSmoothing, nll, smooth, lse);
    }

    public void CrossEntropyBackward(Tensor logits, Tensor targets, Tensor lse, float labelSmoothing, Tensor scale, Tensor dx)
    {
        Log(nameof(CrossEntropyBackward));
        s_cpu.CrossEntropyBackward(logits, targets, lse, labelSmoothing, scale, dx);
    }

    public void Sum(Tensor x, Tensor y)
    {
        Log("SumAll");
        s_cpu.Sum(x, y);
    }

    public void Sum(Tensor x, int dim, Tensor y)
    {
        Log("SumDim");
        s_cpu.Sum(x, dim, y);
    }

    public void SumRows(Tensor x, Tensor y)
    {
        Log(nameof(SumRows));
        s_cpu.SumRows(x, y);
    }

    public void SumTo(Tensor x, Tensor y)
    {
        Log(nameof(SumTo));
        s_cpu.SumTo(x, y);
    }

    public void ArgReduce(ArgReduceOp op, Tensor x, int dim, Tensor values, Tensor indices)
    {
        Log($"{nameof(ArgReduce)}.{op}");
        s_cpu.ArgReduce(op, x, dim, values, indices);
    }

    public double SumOfSquares(Tensor x)
    {
        Log(nameof(SumOfSquares));
        return s_cpu.SumOfSquares(x);
    }

    public void RopeTable(ReadOnlySpan<float> invFreq, ReadOnlySpan<long> positions, Tensor cos, Tensor sin)
    {
        Log(nameof(RopeTable));
        s_cpu.RopeTable(invFreq, positions, cos, sin);
    }

    public void Rope(RopeStyle style, Tensor x, Tensor cos, Tensor sin, Tensor y)
    {
        Log(nameof(Rope));
        s_cpu.Rope(style, x, cos, sin, y);
    }

    public void RopeBackward(RopeStyle style, Tensor dy, Tensor cos, Tensor sin, Tensor dx)
    {
        Log(nameof(RopeBackward));
        s_cpu.RopeBackward(style, dy, cos, sin, dx);
    }

    public void Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, float scale, AttentionCausality causality, Tensor y, Tensor lse)
    {
        Log(nameof(Attention));
        s_cpu.Attention(q, k, v, mask, scale, causality, y, lse);
    }

    public void AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor? mask, float scale, AttentionCausality causality, Tensor y, Tensor lse, Tensor dy, Tensor dq, Tensor dk, Tensor dv)
    {
        Log(nameof(AttentionBackward));
        s_cpu.AttentionBackward(q, k, v, mask, scale, causality, y, lse, dy, dq, dk, dv);
    }

    public void DropoutMask(ulong seed, float p, Tensor mask)
    {
        Log(nameof(DropoutMask));
        s_cpu.DropoutMask(seed, p, mask);
    }

    public void TopK(Tensor x, int k, TopKOrder order, Tensor values, Tensor indices)
    {
        Log(nameof(TopK));
        s_cpu.TopK(x, k, order, values, indices);
    }

    public void IndexSelect(Tensor x, int dim, Tensor index, Tensor y)
    {
        Log(nameof(IndexSelect));
        s_cpu.IndexSelect(x, dim, index, y);
    }

    public void IndexAdd(Tensor src, int dim, Tensor index, Tensor dst)
    {
        Log(nameof(IndexAdd));
        s_cpu.IndexAdd(src, dim, index, dst);
    }

    public void Gather(Tensor x, Tensor offsets, Tensor y)
    {
        Log(nameof(Gather));
        s_cpu.Gather(x, offsets, y);
    }

    public void Scatter(ScatterMode mode, Tensor src, Tensor offsets, Tensor dst)
    {
        Log($"{nameof(Scatter)}.{mode}");
        s_cpu.Scatter(mode, src, offsets, dst);
    }

    public void AdamWUpdate(Tensor grad, Tensor param, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, in AdamWScalars scalars)
    {
        Log(nameof(AdamWUpdate));
        s_cpu.AdamWUpdate(grad, param, expAvg, expAvgSq, maxExpAvgSq, scalars);
    }
}
