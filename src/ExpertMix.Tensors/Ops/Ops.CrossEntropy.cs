// Differentiable fused cross-entropy (log-softmax + NLL) with ignore index, reductions and label smoothing.

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
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, LossReduction reduction = LossReduction.Mean, int ignoreIndex = -100, float labelSmoothing = 0f)
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
        var backend = BackendOf(op, logits, targets);
        var tTensor = EmptyOn(backend, Shape.Wrap([n]), DType.I32);
        tInt.CopyTo(tTensor.AsSpan<int>());
        using var nllT = ZerosOn(backend, Shape.Wrap([n]));
        using var smT = ZerosOn(backend, Shape.Wrap([n]));
        var lseT = ZerosOn(backend, Shape.Wrap([n]));
        var xc = NnOpsSupport.DenseF32(logits);
        backend.CrossEntropy(xc, tTensor, labelSmoothing, nllT, smT, lseT);
        ReadOnlySpan<float> nll = nllT.Span, sm = smT.Span;
        float keep = 1f - labelSmoothing, smoothW = smooth ? labelSmoothing / vocab : 0f;
        Tensor y;
        if (reduction == LossReduction.None)
        {
            y = EmptyOn(backend, Shape.Wrap(rowShape));
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
            y = ScalarOn(backend, (float)(reduction == LossReduction.Mean ? total / count : total));
        }

        if (!Autograd.ShouldRecord(logits))
        {
            xc.Dispose();
            tTensor.Dispose();
            lseT.Dispose();
            return y;
        }
        return y.WithGradFn(new GradNode(op, [logits, targets], g =>
        {
            var gv = g.ToArray();
            var dx = EmptyOn(backend, logits.Shape);
            using var scaleT = EmptyOn(backend, Shape.Wrap([n]));
            var sc = scaleT.Span;
            for (int r = 0; r < n; r++)
            {
                sc[r] = reduction switch
                {
                    LossReduction.None => gv[r],
                    LossReduction.Sum => gv[0],
                    _ => gv[0] / count,
                };
            }
            backend.CrossEntropyBackward(xc, tTensor, lseT, labelSmoothing, scaleT, dx);
            return [dx, null];
        }));
    }
}
