// Differentiable fused cross-entropy (log-softmax + NLL) with ignore index, reductions and label smoothing.
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors;

public static partial class Ops
{
    /// <summary>
    /// torch.nn.functional.cross_entropy(logits, targets, ignore_index, reduction, label_smoothing) for class indices.
    /// <paramref name="logits"/> [..., V] (usually [N, V]), <paramref name="targets"/> I32/I64 of shape logits.Shape[..^1].
    /// Per element: nll = −log_softmax(x)[t], smooth = −Σⱼ log_softmax(x)ⱼ, loss = (1−ε)·nll + (ε/V)·smooth; elements
    /// with t == <paramref name="ignoreIndex"/> contribute 0 and are not counted. Mean divides the f64-accumulated sums
    /// by the non-ignored count (NaN when all are ignored, like torch); Sum returns the sums (0 when all are ignored);
    /// None returns one f32 value per element. Mean/Sum give a rank-0 tensor. Fused backward:
    /// dx = (softmax(x) − ε/V − (1−ε)·onehot(t)) · dL (· 1/count for Mean), 0 on ignored rows.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes/dtypes mismatch, ε ∉ [0, 1], or a target outside [0, V) that is not ignoreIndex.</exception>
    public static unsafe Tensor CrossEntropy(Tensor logits, Tensor targets, LossReduction reduction = LossReduction.Mean, int ignoreIndex = -100, float labelSmoothing = 0f)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        const string op = "CrossEntropy";
        NnOpsSupport.RequireFloat(logits, op, nameof(logits));
        if (logits.Rank < 1) throw new ArgumentException($"{op}: logits {logits.Describe()} must be [..., V]", nameof(logits));
        int vocab = logits.Size(-1);
        var rowShape = logits.Shape.ToArray()[..^1];
        if (targets.DType is not (DType.I32 or DType.I64) || targets.Shape != Shape.Wrap(rowShape))
        {
            throw new ArgumentException($"{op}: targets {targets.Describe()} must be I32/I64 of shape {Shape.Format(rowShape)} for logits {logits.Shape}", nameof(targets));
        }
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f)) throw new ArgumentException($"{op}: label smoothing {labelSmoothing} must be in [0, 1]", nameof(labelSmoothing));
        var tg = targets.ToInt64Array();
        int n = tg.Length, count = 0;
        var tInt = new int[n];
        for (int i = 0; i < n; i++)
        {
            long ti = tg[i];
            if (ti == ignoreIndex) { tInt[i] = -1; continue; }
            if (ti < 0 || ti >= vocab) throw new ArgumentException($"{op}: target {ti} at element {i} is outside [0, {vocab}) and is not the ignore index {ignoreIndex}", nameof(targets));
            tInt[i] = (int)ti;
            count++;
        }

        bool smooth = labelSmoothing > 0f;
        var nll = new float[n];
        var sm = new float[n];
        var lse = new float[n];
        var xc = NnOpsSupport.DenseF32(logits);
        float* xp = xc.DataPointer;
        if (vocab > 0)
        {
            Par.For(n, Math.Max(1, 16384 / vocab), (r0, r1) =>
            {
                for (int r = r0; r < r1; r++)
                {
                    if (tInt[r] < 0) continue;
                    var res = CrossEntropyKernels.CrossEntropyRow(new ReadOnlySpan<float>(xp + (long)r * vocab, vocab), tInt[r], smooth);
                    (nll[r], sm[r], lse[r]) = (res.Nll, res.Smooth, res.Lse);
                }
            });
        }
        float keep = 1f - labelSmoothing, smoothW = smooth ? labelSmoothing / vocab : 0f;
        Tensor y;
        if (reduction == LossReduction.None)
        {
            y = Tensor.Empty(Shape.Wrap(rowShape));
            var ys = y.Span;
            for (int i = 0; i < n; i++) ys[i] = smooth ? keep * nll[i] + smoothW * sm[i] : nll[i];
        }
        else
        {
            double sumNll = 0, sumSmooth = 0;
            for (int i = 0; i < n; i++)
            {
                sumNll += nll[i];
                sumSmooth += sm[i];
            }
            double total = smooth ? keep * sumNll + smoothW * sumSmooth : sumNll;
            y = Tensor.Scalar((float)(reduction == LossReduction.Mean ? total / count : total));
        }

        if (!Autograd.ShouldRecord(logits))
        {
            xc.Dispose();
            return y;
        }
        return y.WithGradFn(new GradNode(op, [logits, targets], g =>
        {
            var gv = g.ToArray();
            var dx = Tensor.Empty(logits.Shape);
            float* dp = dx.DataPointer;
            if (vocab > 0)
            {
                Par.For(n, Math.Max(1, 16384 / vocab), (r0, r1) =>
                {
                    for (int r = r0; r < r1; r++)
                    {
                        var d = new Span<float>(dp + (long)r * vocab, vocab);
                        if (tInt[r] < 0) { d.Clear(); continue; }
                        float scale = reduction switch
                        {
                            LossReduction.None => gv[r],
                            LossReduction.Sum => gv[0],
                            _ => gv[0] / count,
                        };
                        CrossEntropyKernels.CrossEntropyBackwardRow(new ReadOnlySpan<float>(xp + (long)r * vocab, vocab), tInt[r], lse[r], labelSmoothing, scale, d);
                    }
                });
            }
            return [dx, null];
        }));
    }
}
