// CPU rotary-embedding family: RopeKernels row rotations, parallel over [B·H·T] rows.
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void RopeTable(ReadOnlySpan<float> invFreq, ReadOnlySpan<long> positions, Tensor cos, Tensor sin) =>
        RopeKernels.BuildTable(invFreq, positions, cos.Span, sin.Span);

    /// <inheritdoc/>
    public void Rope(RopeStyle style, Tensor x, Tensor cos, Tensor sin, Tensor y) => RopeRows(style, x, cos, sin, y, inverse: false);

    /// <inheritdoc/>
    public void RopeBackward(RopeStyle style, Tensor dy, Tensor cos, Tensor sin, Tensor dx) => RopeRows(style, dy, cos, sin, dx, inverse: true);

    private static unsafe void RopeRows(RopeStyle style, Tensor xt, Tensor cost, Tensor sint, Tensor yt, bool inverse)
    {
        int b = xt.Size(0), h = xt.Size(1), t = xt.Size(2), dh = xt.Size(3);
        bool perBatch = cost.Rank == 3;
        int rows = b * h * t, half = dh / 2;
        if (rows == 0 || dh == 0) return;
        float* x = xt.DataPointer, cos = cost.DataPointer, sin = sint.DataPointer, y = yt.DataPointer;
        Par.For(rows, Math.Max(1, 8192 / dh), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                int ti = r % t, bi = r / (h * t);
                long tab = ((perBatch ? (long)bi * t : 0) + ti) * half;
                var xr = new ReadOnlySpan<float>(x + (long)r * dh, dh);
                var cr = new ReadOnlySpan<float>(cos + tab, half);
                var sr = new ReadOnlySpan<float>(sin + tab, half);
                var yr = new Span<float>(y + (long)r * dh, dh);
                if (style == RopeStyle.Half) RopeKernels.RopeHalf(xr, cr, sr, inverse, yr);
                else RopeKernels.RopeInterleaved(xr, cr, sr, inverse, yr);
            }
        });
    }
}
