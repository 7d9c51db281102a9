// CPU normalisation family: the per-row NormKernels, parallel over rows (params: over columns, rows in order).
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors;

public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps, Tensor y, Tensor mean, Tensor rstd) =>
        NormForward(x, weight, bias, eps, y, mean, rstd);

    /// <inheritdoc/>
    public void RmsNorm(Tensor x, Tensor? weight, float eps, Tensor y, Tensor rstd) => NormForward(x, weight, null, eps, y, null, rstd);

    /// <inheritdoc/>
    public void LayerNormBackward(Tensor x, Tensor dy, Tensor? weight, Tensor mean, Tensor rstd, Tensor? dx, Tensor? dweight, Tensor? dbias) =>
        NormBackward(x, dy, weight, mean, rstd, dx, dweight, dbias);

    /// <inheritdoc/>
    public void RmsNormBackward(Tensor x, Tensor dy, Tensor? weight, Tensor rstd, Tensor? dx, Tensor? dweight) =>
        NormBackward(x, dy, weight, null, rstd, dx, dweight, null);

    private static unsafe void NormForward(Tensor x, Tensor? weight, Tensor? bias, float eps, Tensor y, Tensor? mean, Tensor rstd)
    {
        bool rms = mean is null;
        var (rows, n) = RowsCols(x);
        if (n == 0) return;
        float* xp = x.DataPointer, yp = y.DataPointer, rp = rstd.DataPointer, mp = mean is null ? null : mean.DataPointer;
        float* wp = weight is null ? null : weight.DataPointer, bp = bias is null ? null : bias.DataPointer;
        Par.For(rows, Math.Max(1, 8192 / n), (r0, r1) =>
        {
            var w = wp == null ? default : new ReadOnlySpan<float>(wp, n);
            var b = bp == null ? default : new ReadOnlySpan<float>(bp, n);
            for (int r = r0; r < r1; r++)
            {
                var xr = new ReadOnlySpan<float>(xp + (long)r * n, n);
                var yr = new Span<float>(yp + (long)r * n, n);
                if (rms) rp[r] = NormKernels.RmsNorm(xr, w, eps, yr);
                else (mp[r], rp[r]) = NormKernels.LayerNorm(xr, w, b, eps, yr);
            }
        });
    }

    private static unsafe void NormBackward(Tensor x, Tensor dy, Tensor? weight, Tensor? mean, Tensor rstd, Tensor? dx, Tensor? dweight, Tensor? dbias)
    {
        bool rms = mean is null;
        var (rows, n) = RowsCols(x);
        if (n == 0) return;
        float* gp = dy.DataPointer, wsp = weight is null ? null : weight.DataPointer;
        float* mp = mean is null ? null : mean.DataPointer, rp = rstd.DataPointer, xp = x.DataPointer;
        if (dx is not null)
        {
            float* dxp = dx.DataPointer;
            Par.For(rows, Math.Max(1, 8192 / n), (r0, r1) =>
            {
                var scratch = new float[n];
                var w = wsp == null ? default : new ReadOnlySpan<float>(wsp, n);
                for (int r = r0; r < r1; r++)
                {
                    var xr = new ReadOnlySpan<float>(xp + (long)r * n, n);
                    var gr = new ReadOnlySpan<float>(gp + (long)r * n, n);
                    var dr = new Span<float>(dxp + (long)r * n, n);
                    if (rms) NormKernels.RmsNormBackward(xr, gr, w, rp[r], scratch, dr);
                    else NormKernels.LayerNormBackward(xr, gr, w, mp[r], rp[r], scratch, dr);
                }
            });
        }
        if (dweight is not null || dbias is not null)
        {
            float* dwp = dweight is null ? null : dweight.DataPointer, dbp = dbias is null ? null : dbias.DataPointer;
            Par.For(n, 64, (c0, c1) => NormKernels.ParamGradColumns(xp, gp, mp, rp, rows, n, c0, c1, dwp, dbp, new float[c1 - c0]));
        }
    }
}
