// CPU cross-entropy family: the row kernels of CrossEntropyKernels, parallel over rows.
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public unsafe void CrossEntropy(Tensor logits, Tensor targets, float labelSmoothing, Tensor nll, Tensor smooth, Tensor lse)
    {
        var (rows, vocab) = RowsCols(logits);
        if (vocab == 0) return;
        bool smoothOn = labelSmoothing > 0f;
        float* xp = logits.DataPointer, np = nll.DataPointer, sp = smooth.DataPointer, lp = lse.DataPointer;
        int* tp = (int*)targets.RawPointer;
        Par.For(rows, Math.Max(1, 16384 / vocab), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                if (tp[r] < 0) continue;
                var res = CrossEntropyKernels.CrossEntropyRow(new ReadOnlySpan<float>(xp + (long)r * vocab, vocab), tp[r], smoothOn);
                (np[r], sp[r], lp[r]) = (res.Nll, res.Smooth, res.Lse);
            }
        });
    }

    /// <inheritdoc/>
    public unsafe void CrossEntropyBackward(Tensor logits, Tensor targets, Tensor lse, float labelSmoothing, Tensor scale, Tensor dx)
    {
        var (rows, vocab) = RowsCols(logits);
        if (vocab == 0) return;
        float* xp = logits.DataPointer, lp = lse.DataPointer, sp = scale.DataPointer, dp = dx.DataPointer;
        int* tp = (int*)targets.RawPointer;
        Par.For(rows, Math.Max(1, 16384 / vocab), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var d = new Span<float>(dp + (long)r * vocab, vocab);
                if (tp[r] < 0) { d.Clear(); continue; }
                CrossEntropyKernels.CrossEntropyBackwardRow(new ReadOnlySpan<float>(xp + (long)r * vocab, vocab), tp[r], lp[r], labelSmoothing, sp[r], d);
            }
        });
    }
}
