// CPU dropout family: per-block Rng streams, parallel over blocks.
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public unsafe void DropoutMask(ulong seed, float p, Tensor mask)
    {
        float scale = p == 1f ? 0f : 1f / (1f - p);
        nint mp = (nint)mask.DataPointer;
        Elementwise.Blocks(mask.Numel, (start, len) =>
        {
            var r = new Rng(seed + (ulong)(start / Elementwise.Block) * 0x9E3779B97F4A7C15UL);
            float* m = (float*)mp + start;
            for (int i = 0; i < len; i++) m[i] = r.NextFloat() >= p ? scale : 0f;
        });
    }
}
