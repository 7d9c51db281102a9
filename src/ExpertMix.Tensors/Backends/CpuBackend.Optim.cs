// CPU optimiser family: AdamWKernel over parallel element chunks.
using ExpertMix.Tensors.Optim;

namespace ExpertMix.Tensors;

public sealed partial class CpuBackend
{
    /// <summary>Elements per AdamW work item (small tensors stay single-threaded).</summary>
    private const int AdamWMinChunk = 1 << 15;

    /// <inheritdoc/>
    public unsafe void AdamWUpdate(Tensor grad, Tensor param, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, in AdamWScalars scalars)
    {
        int n = checked((int)param.Numel);
        var s = scalars;
        float* g = grad.DataPointer, p = param.DataPointer, m = expAvg.DataPointer, v = expAvgSq.DataPointer;
        float* x = maxExpAvgSq is null ? null : maxExpAvgSq.DataPointer;
        Par.For(n, AdamWMinChunk, (start, end) =>
        {
            int len = end - start;
            AdamWKernel.Update(
                new ReadOnlySpan<float>(g + start, len), new Span<float>(p + start, len),
                new Span<float>(m + start, len), new Span<float>(v + start, len),
                x is null ? default : new Span<float>(x + start, len), s);
        });
    }
}
