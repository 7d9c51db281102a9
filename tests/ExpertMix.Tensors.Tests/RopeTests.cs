// RoPE: bit-exact SIMD vs scalar, HF/llama.cpp formulas, tables with position offsets, gradient checks, thread identity.
using ExpertMix.Tensors.Kernels;
using ExpertMix.Testing;
using static ExpertMix.Tensors.Tests.NnTestUtil;

namespace ExpertMix.Tensors.Tests;

[Collection("EngineThreads")]
public class RopeTests
{
    [Fact]
    [Trait("Category", "Kernels")]
    public void Rope_simd_is_bit_identical_to_scalar_twin_at_every_length()
    {
        var rng = new Rng(21);
        for (int n = 0; n <= 256; n += 2)
        {
            var x = RandomArray(rng, n, 2f);
            var cos = RandomArray(rng, n / 2);
            var sin = RandomArray(rng, n / 2);
            foreach (var inverse in new[] { false, true })
            {
                foreach (var style in new[] { RopeStyle.Half, RopeStyle.Interleaved })
                {
                    var e = new float[n];
                    var a = Poisoned(n);
                    string what = $"rope {style} inverse={inverse} n={n}";
                    if (style == RopeStyle.Half)
                    {
                        RopeKernels.RopeHalfScalar(x, cos, sin, inverse, e);
                        RopeKernels.RopeHalf(x, cos, sin, inverse, a);
                    }
                    else
                    {
                        RopeKernels.RopeInterleavedScalar(x, cos, sin, inverse, e);
                        RopeKernels.RopeInterleaved(x, cos, sin, inverse, a);
                    }
                    TensorAssert.BitEqual(e, a.AsSpan(0, n), what);
                    TailIsNaN(a, n, what);
                    var inPlace = (float[])x.Clone();
                    if (style == RopeStyle.Half) RopeKernels.RopeHalf(inPlace, cos, sin, inverse, inPlace);
                    else RopeKernels.RopeInterleaved(inPlace, cos, sin, inverse, inPlace);
                    TensorAssert.BitEqual(e, inPlace, what + " in place");
                }
            }
        }
    }

    [Fact]
    [Trait("Category", "Kernels")]
    public void Rope_half_is_bit_exact_with_hf_rotate_half_formula()
    {
        // HF: q_embed = q * cos + rotate_half(q) * sin, cos/sin = cat(freqs, freqs).cos()/.sin(), rotate_half = cat(-x2, x1).
        var rng = new Rng(22);
        const int dh = 40, half = dh / 2;
        var x = RandomArray(rng, dh);
        var inv = RopeKernels.InverseFrequencies(dh, 10000f);
        var cos = new float[half];
        var sin = new float[half];
        RopeKernels.BuildTable(inv, [7], cos, sin);
        var expected = new float[dh];
        for (int i = 0; i < dh; i++)
        {
            float c = cos[i % half], s = sin[i % half];
            float rot = i < half ? -x[i + half] : x[i - half];
            expected[i] = x[i] * c + rot * s;
        }
        var actual = new float[dh];
        RopeKernels.RopeHalf(x, cos, sin, false, actual);
        TensorAssert.BitEqual(expected, actual, "RoPE half vs HF formula");

        // llama.cpp / GPT-J: (x0, x1) -> (x0 cos - x1 sin, x0 sin + x1 cos) on pairs (2i, 2i+1).
        for (int i = 0; i < half; i++)
        {
            expected[2 * i] = x[2 * i] * cos[i] - x[2 * i + 1] * sin[i];
            expected[2 * i + 1] = x[2 * i] * sin[i] + x[2 * i + 1] * cos[i];
        }
        RopeKernels.RopeInterleaved(x, cos, sin, false, actual);
        TensorAssert.BitEqual(expected, actual, "RoPE interleaved vs llama.cpp formula");
    }

    [Fact]
    public void Rope_tables_follow_hf_inverse_frequencies_and_position_offsets()
    {
        const int dh = 64;
        var inv = RopeKernels.InverseFrequencies(dh, 500000f);
        for (int i = 0; i < dh / 2; i++) Assert.InRange(Math.Abs(inv[i] - 1 / Math.Pow(500000, 2.0 * i / dh)) / inv[i], 0, 1e-6);
        var scaled = RopeKernels.InverseFrequencies(dh, 500000f, linearFactor: 4f);
        for (int i = 0; i < dh / 2; i++) Assert.Equal(inv[i] / 4f, scaled[i]);

        using var all = Tensor.FromInts([0, 1, 2, 3, 4, 5, 6, 7], new Shape(8));
        using var tail = Tensor.FromInts([5, 6, 7], new Shape(3));
        var (cosAll, sinAll) = Ops.RopeTable(inv, all);
        var (cosTail, sinTail) = Ops.RopeTable(inv, tail);
        TensorAssert.BitEqual(cosAll.ToArray().AsSpan(5 * 32), cosTail.ToArray(), "cos rows for offset positions");
        TensorAssert.BitEqual(sinAll.ToArray().AsSpan(5 * 32), sinTail.ToArray(), "sin rows for offset positions");
        var c = cosAll.ToArray();
        var s = sinAll.ToArray();
        for (int p = 0; p < 8; p++)
        {
            for (int i = 0; i < 32; i++)
            {
                Assert.InRange(Math.Abs(c[p * 32 + i] - Math.Cos(p * (double)inv[i])), 0, 1e-6);
                Assert.InRange(Math.Abs(s[p * 32 + i] - Math.Sin(p * (double)inv[i])), 0, 1e-6);
            }
        }
        foreach (var t in new[] { cosAll, sinAll, cosTail, sinTail }) t.Dispose();
    }

    [Fact]
    public void Rope_decode_step_with_offset_matches_full_sequence_row()
    {
        var rng = new Rng(23);
        const int b = 2, h = 3, t = 6, dh = 16;
        var inv = RopeKernels.InverseFrequencies(dh, 10000f);
        using var x = Randn(rng, b, h, t, dh);
        using var pos = Tensor.FromInts([0, 1, 2, 3, 4, 5], new Shape(t));
        using var last = Tensor.FromInts([5], new Shape(1));
        var (cos, sin) = Ops.RopeTable(inv, pos);
        var (cos1, sin1) = Ops.RopeTable(inv, last);
        foreach (var style in new[] { RopeStyle.Half, RopeStyle.Interleaved })
        {
            using var full = Ops.Rope(x, cos, sin, style);
            using var xLast = x.Narrow(2, t - 1, 1);
            using var step = Ops.Rope(xLast, cos1, sin1, style);
            using var fullLast = full.Narrow(2, t - 1, 1);
            TensorAssert.BitEqual(fullLast.ToArray(), step.ToArray(), $"decode step {style}");
        }
    }

    [Fact]
    public void Rope_inverse_undoes_rotation()
    {
        var rng = new Rng(24);
        var x = RandomArray(rng, 48);
        var inv = RopeKernels.InverseFrequencies(48, 10000f);
        var cos = new float[24];
        var sin = new float[24];
        RopeKernels.BuildTable(inv, [123], cos, sin);
        var y = new float[48];
        var back = new float[48];
        RopeKernels.RopeHalf(x, cos, sin, false, y);
        RopeKernels.RopeHalf(y, cos, sin, true, back);
        TensorAssert.Close(x, back, 1e-5, 0, "half rotate then inverse");
        RopeKernels.RopeInterleaved(x, cos, sin, false, y);
        RopeKernels.RopeInterleaved(y, cos, sin, true, back);
        TensorAssert.Close(x, back, 1e-5, 0, "interleaved rotate then inverse");
    }

    [Theory]
    [InlineData(RopeStyle.Half, false)]
    [InlineData(RopeStyle.Interleaved, false)]
    [InlineData(RopeStyle.Half, true)]
    public void Rope_backward_matches_finite_differences(RopeStyle style, bool perBatch)
    {
        var rng = new Rng(25);
        const int b = 2, h = 2, t = 3, dh = 8;
        var inv = RopeKernels.InverseFrequencies(dh, 10000f);
        using var pos = perBatch ? Tensor.FromInts([4, 5, 6, 0, 1, 2], new Shape(b, t)) : Tensor.FromInts([2, 3, 4], new Shape(t));
        var (cos, sin) = Ops.RopeTable(inv, pos);
        var c = cos.ToDoubleArray();
        var s = sin.ToDoubleArray();
        using var x = Randn(rng, b, h, t, dh);
        GradCheck.Check($"Rope {style}", a => Ops.Rope(a[0], cos, sin, style), v => RopeRef(v[0], c, s, b, h, t, dh, perBatch, style), [x]);
        cos.Dispose();
        sin.Dispose();
    }

    [Fact]
    public void Rope_is_bit_identical_for_any_thread_count()
    {
        var rng = new Rng(26);
        const int b = 2, h = 5, t = 33, dh = 64;
        var inv = RopeKernels.InverseFrequencies(dh, 10000f);
        var posArr = new int[t];
        for (int i = 0; i < t; i++) posArr[i] = 100 + i;
        using var pos = Tensor.FromInts(posArr, new Shape(t));
        var (cos, sin) = Ops.RopeTable(inv, pos);
        using var x = Randn(rng, b, h, t, dh);
        using var g = Randn(rng, b, h, t, dh);
        foreach (var style in new[] { RopeStyle.Half, RopeStyle.Interleaved })
        {
            SameForAnyThreadCount(() =>
            {
                using var xl = x.Clone();
                xl.RequiresGrad = true;
                using var y = Ops.Rope(xl, cos, sin, style);
                y.Backward(g);
                return [y.ToArray(), xl.Grad!.ToArray()];
            }, $"Rope {style}");
        }
        cos.Dispose();
        sin.Dispose();
    }

    private static double[] RopeRef(double[] x, double[] cos, double[] sin, int b, int h, int t, int dh, bool perBatch, RopeStyle style)
    {
        int half = dh / 2;
        var y = new double[x.Length];
        for (int r = 0; r < b * h * t; r++)
        {
            int ti = r % t, bi = r / (h * t);
            int tab = ((perBatch ? bi * t : 0) + ti) * half;
            int o = r * dh;
            for (int i = 0; i < half; i++)
            {
                double c = cos[tab + i], s = sin[tab + i];
                int i0 = style == RopeStyle.Half ? i : 2 * i, i1 = style == RopeStyle.Half ? i + half : 2 * i + 1;
                y[o + i0] = x[o + i0] * c - x[o + i1] * s;
                y[o + i1] = x[o + i1] * c + x[o + i0] * s;
            }
        }
        return y;
    }
}
