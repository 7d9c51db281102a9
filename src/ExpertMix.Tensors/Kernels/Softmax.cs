// Row softmax / log-softmax (forward and backward): TensorPrimitives SIMD paths, scalar reference twins, row drivers.
using System.Numerics.Tensors;

namespace ExpertMix.Tensors.Kernels;

/// <summary>
/// Softmax-family kernels over one row (the last dimension), PyTorch semantics in f32:
/// softmax(x)ᵢ = exp(xᵢ − max x) · (1 / Σⱼ exp(xⱼ − max x)); log_softmax(x)ᵢ = xᵢ − (max x + log Σⱼ exp(xⱼ − max x)).
/// NaN: a row containing NaN, or whose maximum is ±∞ (all −∞, or any +∞), yields NaN everywhere, as in torch.
/// The SIMD paths use <see cref="TensorPrimitives"/> plus fused Vector512/256/128 exp-and-sum loops (Softmax.Fused.cs);
/// the <c>*Scalar</c> twins are the plain-loop references.
/// </summary>
public static partial class SoftmaxKernels
{
    /// <summary>destination = softmax(x). destination may alias x.</summary>
    public static void Softmax(ReadOnlySpan<float> x, Span<float> destination)
    {
        CheckLengths(x.Length, destination.Length);
        if (x.Length == 0) return;
        destination = destination[..x.Length];
        float max = TensorPrimitives.Max(x);
        float sum = ExpShiftSum(x, max, destination);
        TensorPrimitives.Multiply(destination, 1f / sum, destination);
    }

    /// <summary>Scalar reference twin of <see cref="Softmax"/>.</summary>
    public static void SoftmaxScalar(ReadOnlySpan<float> x, Span<float> destination)
    {
        CheckLengths(x.Length, destination.Length);
        if (x.Length == 0) return;
        destination = destination[..x.Length];
        float max = MaxScalar(x);
        float sum = 0f;
        for (int i = 0; i < x.Length; i++)
        {
            float e = MathF.Exp(x[i] - max);
            destination[i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < x.Length; i++) destination[i] *= inv;
    }

    /// <summary>destination = log_softmax(x) = (x − max) − log Σ exp(x − max). destination may alias x.</summary>
    public static void LogSoftmax(ReadOnlySpan<float> x, Span<float> destination)
    {
        CheckLengths(x.Length, destination.Length);
        if (x.Length == 0) return;
        destination = destination[..x.Length];
        float max = TensorPrimitives.Max(x);
        float logSum = MathF.Log(SumExp(x, max));
        TensorPrimitives.Subtract(x, max, destination);
        TensorPrimitives.Subtract(destination[..x.Length], logSum, destination);
    }

    /// <summary>Scalar reference twin of <see cref="LogSoftmax"/>.</summary>
    public static void LogSoftmaxScalar(ReadOnlySpan<float> x, Span<float> destination)
    {
        CheckLengths(x.Length, destination.Length);
        if (x.Length == 0) return;
        destination = destination[..x.Length];
        float max = MaxScalar(x);
        float logSum = MathF.Log(SumExpScalar(x, max));
        for (int i = 0; i < x.Length; i++) destination[i] = x[i] - max - logSum;
    }

    /// <summary>Scalar reference twin of <see cref="SumExp"/>.</summary>
    public static float SumExpScalar(ReadOnlySpan<float> x, float shift)
    {
        float sum = 0f;
        for (int i = 0; i < x.Length; i++) sum += MathF.Exp(x[i] - shift);
        return sum;
    }

    /// <summary>Softmax backward: destination = y ⊙ (dy − Σ dy⊙y), with y the forward output. destination may alias dy or y.</summary>
    public static void SoftmaxBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> destination)
    {
        CheckLengths(y.Length, destination.Length);
        CheckLengths(y.Length, dy.Length);
        if (y.Length == 0) return;
        destination = destination[..y.Length];
        float dot = TensorPrimitives.Dot(dy, y);
        TensorPrimitives.Subtract(dy, dot, destination);
        TensorPrimitives.Multiply(destination, y, destination);
    }

    /// <summary>Scalar reference twin of <see cref="SoftmaxBackward"/>.</summary>
    public static void SoftmaxBackwardScalar(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> destination)
    {
        CheckLengths(y.Length, destination.Length);
        CheckLengths(y.Length, dy.Length);
        float dot = 0f;
        for (int i = 0; i < y.Length; i++) dot += dy[i] * y[i];
        for (int i = 0; i < y.Length; i++) destination[i] = (dy[i] - dot) * y[i];
    }

    /// <summary>Log-softmax backward: destination = dy − exp(y) · Σ dy, with y the forward output. destination may alias y (not dy).</summary>
    public static void LogSoftmaxBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> destination)
    {
        CheckLengths(y.Length, destination.Length);
        CheckLengths(y.Length, dy.Length);
        if (y.Length == 0) return;
        destination = destination[..y.Length];
        float sum = TensorPrimitives.Sum(dy);
        TensorPrimitives.Exp(y, destination);
        TensorPrimitives.MultiplyAdd(destination, -sum, dy, destination);
    }

    /// <summary>Scalar reference twin of <see cref="LogSoftmaxBackward"/>.</summary>
    public static void LogSoftmaxBackwardScalar(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> destination)
    {
        CheckLengths(y.Length, destination.Length);
        CheckLengths(y.Length, dy.Length);
        float sum = 0f;
        for (int i = 0; i < dy.Length; i++) sum += dy[i];
        for (int i = 0; i < y.Length; i++) destination[i] = MathF.Exp(y[i]) * -sum + dy[i];
    }

    /// <summary>Maximum with NaN propagation (matches <see cref="TensorPrimitives.Max(ReadOnlySpan{float})"/>).</summary>
    internal static float MaxScalar(ReadOnlySpan<float> x)
    {
        float max = x[0];
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            if (float.IsNaN(v)) return v;
            if (v > max) max = v;
        }
        return max;
    }

    /// <summary>Applies a row kernel to every row of length <paramref name="cols"/> of a dense [rows, cols] buffer, in parallel.</summary>
    internal static unsafe void ForRows(float* x, float* destination, int rows, int cols, bool log)
    {
        if (rows == 0 || cols == 0) return;
        Par.For(rows, Math.Max(1, 16384 / cols), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var src = new ReadOnlySpan<float>(x + (long)r * cols, cols);
                var dst = new Span<float>(destination + (long)r * cols, cols);
                if (log) LogSoftmax(src, dst);
                else Softmax(src, dst);
            }
        });
    }

    /// <summary>Row-parallel backward driver (see <see cref="SoftmaxBackward"/>, <see cref="LogSoftmaxBackward"/>).</summary>
    internal static unsafe void BackwardRows(float* y, float* dy, float* destination, int rows, int cols, bool log)
    {
        if (rows == 0 || cols == 0) return;
        Par.For(rows, Math.Max(1, 16384 / cols), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                long o = (long)r * cols;
                var yr = new ReadOnlySpan<float>(y + o, cols);
                var gr = new ReadOnlySpan<float>(dy + o, cols);
                var dst = new Span<float>(destination + o, cols);
                if (log) LogSoftmaxBackward(yr, gr, dst);
                else SoftmaxBackward(yr, gr, dst);
            }
        });
    }

    internal static void CheckLengths(int expected, int actual)
    {
        if (actual < expected) throw new ArgumentException($"destination/operand has {actual} elements, {expected} required");
    }
}
