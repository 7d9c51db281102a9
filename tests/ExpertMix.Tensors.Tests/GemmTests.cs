// GEMM/GEMV kernels vs their scalar references: transposes, odd shapes, alpha/beta, leading dims, bf16, packing, threads.
using ExpertMix.Testing;
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Tensors.Tests;

[Trait("Category", "Kernels")]
[Collection("EngineThreads")] // tests here change the global Engine.Threads; run them one at a time
public sealed unsafe class GemmTests
{
    private static readonly int[] Sizes = [0, 1, 2, 3, 5, 7, 8, 13, 16, 17, 31, 32, 33, 63, 65, 100, 129, 257];

    private static float[] Random(Rng rng, long n)
    {
        var x = new float[n];
        for (long i = 0; i < n; i++) x[i] = (float)rng.NextNormal();
        return x;
    }

    private static float[] Nan(long n)
    {
        var x = new float[n];
        Array.Fill(x, float.NaN);
        return x;
    }

    private static void AssertGemmClose(float[] expected, float[] actual, int k, string what)
    {
        var e = Array.ConvertAll(expected, v => (double)v);
        var a = Array.ConvertAll(actual, v => (double)v);
        double scale = 1;
        foreach (var v in e) if (!double.IsNaN(v)) scale = Math.Max(scale, Math.Abs(v));
        TensorAssert.Nmse(e, a, Tolerances.MatmulNmse, 1e-6 * Math.Sqrt(Math.Max(k, 1)) * scale, what);
    }

    /// <summary>Runs Sgemm and Reference on the same random inputs (C has padding columns when ldc &gt; n).</summary>
    private static void CheckCase(Transpose ta, Transpose tb, int m, int n, int k, float alpha, float beta, int pad, ulong seed)
    {
        var rng = new Rng(seed);
        int aRows = ta == Transpose.No ? m : k, aCols = ta == Transpose.No ? k : m;
        int bRows = tb == Transpose.No ? k : n, bCols = tb == Transpose.No ? n : k;
        long lda = Math.Max(1, aCols + pad), ldb = Math.Max(1, bCols + pad), ldc = Math.Max(1, n + pad);
        var a = Random(rng, Math.Max(1, aRows * lda));
        var b = Random(rng, Math.Max(1, bRows * ldb));
        var c0 = Random(rng, Math.Max(1, m * ldc));
        if (beta == 0)
        {
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c0[i * ldc + j] = float.NaN; // must be overwritten, not read
        }
        for (int i = 0; i < m; i++) for (int j = n; j < ldc; j++) c0[i * ldc + j] = float.NaN; // padding must stay untouched
        var expected = (float[])c0.Clone();
        var actual = (float[])c0.Clone();
        Gemm.Reference(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, expected, ldc);
        Gemm.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, actual, ldc);
        string what = $"Sgemm {ta}/{tb} m={m} n={n} k={k} alpha={alpha} beta={beta} pad={pad}";
        for (int i = 0; i < m; i++)
        {
            for (int j = n; j < ldc; j++) Assert.True(float.IsNaN(actual[i * ldc + j]), $"{what}: padding C[{i},{j}] was written");
        }
        var e = new float[m * n];
        var r = new float[m * n];
        for (int i = 0; i < m; i++)
        {
            Array.Copy(expected, i * ldc, e, i * n, n);
            Array.Copy(actual, i * ldc, r, i * n, n);
        }
        AssertGemmClose(e, r, k, what);
    }

    public static TheoryData<Transpose, Transpose> AllTransposes() => new()
    {
        { Transpose.No, Transpose.No }, { Transpose.No, Transpose.Yes }, { Transpose.Yes, Transpose.No }, { Transpose.Yes, Transpose.Yes },
    };

    [Theory]
    [MemberData(nameof(AllTransposes))]
    public void Sgemm_matches_reference_on_odd_shapes(Transpose ta, Transpose tb)
    {
        var rng = new Rng(42 + (ulong)ta * 2 + (ulong)tb);
        // Every size appears as m, as n and as k; the partners are drawn at random (bounded work per case).
        for (int i = 0; i < Sizes.Length; i++)
        {
            for (int role = 0; role < 3; role++)
            {
                int s = Sizes[i];
                int p = Sizes[rng.NextInt(Sizes.Length)], q = Sizes[rng.NextInt(Sizes.Length)];
                var (m, n, k) = role switch { 0 => (s, p, q), 1 => (p, s, q), _ => (p, q, s) };
                CheckCase(ta, tb, m, n, k, 1f, 0f, 0, (ulong)(i * 3 + role));
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllTransposes))]
    public void Sgemm_handles_alpha_beta_and_leading_dimensions(Transpose ta, Transpose tb)
    {
        CheckCase(ta, tb, 33, 65, 129, 0.5f, 0f, 3, 1);
        CheckCase(ta, tb, 17, 31, 300, -1.25f, 0.75f, 5, 2);
        CheckCase(ta, tb, 65, 100, 7, 2f, 1f, 1, 3);
        CheckCase(ta, tb, 1, 129, 63, 1f, -0.5f, 2, 4);
        CheckCase(ta, tb, 9, 13, 0, 1f, 0.5f, 2, 5);
        CheckCase(ta, tb, 9, 13, 5, 0f, 2f, 1, 6);
    }

    [Fact]
    public void Sgemm_beyond_one_k_block_matches_reference()
    {
        CheckCase(Transpose.No, Transpose.Yes, 20, 40, 600, 1f, 0f, 0, 7);
        CheckCase(Transpose.Yes, Transpose.No, 200, 35, 520, 1f, 0.5f, 1, 8);
    }

    [Fact]
    public void Sgemm_with_many_column_panels_matches_reference()
    {
        // n ≥ 4 panels per thread: the just-in-time packing path (SgemmFused).
        CheckCase(Transpose.No, Transpose.Yes, 40, 500, 300, 1f, 0f, 0, 9);
        CheckCase(Transpose.Yes, Transpose.No, 19, 433, 200, 0.5f, 0.75f, 2, 10);
        CheckCase(Transpose.Yes, Transpose.Yes, 2, 1000, 1, -1f, 1f, 1, 11);
    }

    [Fact]
    public void Just_in_time_packing_is_bit_identical_to_packing_all_of_b_first()
    {
        var rng = new Rng(14);
        var shapes = new[] { (2, 384, 7), (3, 385, 192), (9, 1000, 193), (37, 2304, 600), (100, 577, 385), (257, 480, 64) };
        int saved = Engine.Threads;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Engine.Threads = threads;
                foreach (var (m, n, k) in shapes)
                {
                    foreach (var (ta, tb) in new[] { (Transpose.No, Transpose.Yes), (Transpose.No, Transpose.No), (Transpose.Yes, Transpose.Yes), (Transpose.Yes, Transpose.No) })
                    {
                        var a = Random(rng, (long)m * k);
                        var b = Random(rng, (long)n * k);
                        var bits = new ushort[b.Length];
                        Kernels.Convert.F32ToBf16(b, bits);
                        long lda = ta == Transpose.No ? k : m, ldb = tb == Transpose.Yes ? k : n;
                        var c0 = Random(rng, (long)m * n);
                        foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, 0.75f) })
                        {
                            var all = (float[])c0.Clone();
                            var fused = (float[])c0.Clone();
                            var allBf16 = (float[])c0.Clone();
                            var fusedBf16 = (float[])c0.Clone();
                            var packed = new float[Gemm.PackedBLength(n, k)];
                            fixed (float* pa = a, pb = b, pp = packed, p0 = all, p1 = fused, p2 = allBf16, p3 = fusedBf16)
                            fixed (ushort* pbits = bits)
                            {
                                Gemm.PackB(tb, n, k, pb, ldb, pp, threads);
                                Gemm.Run(ta, m, n, k, alpha, pa, lda, pp, beta, p0, n, threads);
                                Gemm.SgemmFused(ta, tb, m, n, k, alpha, pa, lda, pb, null, ldb, beta, p1, n, threads);
                                Gemm.PackBBf16(tb, n, k, pbits, ldb, pp, threads);
                                Gemm.Run(ta, m, n, k, alpha, pa, lda, pp, beta, p2, n, threads);
                                Gemm.SgemmFused(ta, tb, m, n, k, alpha, pa, lda, null, pbits, ldb, beta, p3, n, threads);
                            }
                            string what = $"m={m} n={n} k={k} {ta}/{tb} alpha={alpha} beta={beta} threads={threads}";
                            TensorAssert.BitEqual(all, fused, "f32 " + what);
                            TensorAssert.BitEqual(allBf16, fusedBf16, "bf16 " + what);
                        }
                    }
                }
            }
        }
        finally
        {
            Engine.Threads = saved;
        }
    }

    [Fact]
    public void Sgemm_is_bit_identical_for_any_thread_count()
    {
        var rng = new Rng(9);
        foreach (var (m, n, k, tb) in new[] { (100, 257, 300, Transpose.Yes), (257, 100, 129, Transpose.No), (3, 1000, 300, Transpose.Yes), (1, 1000, 300, Transpose.Yes) })
        {
            var a = Random(rng, m * k);
            var b = Random(rng, n * k);
            float[]? first = null;
            int saved = Engine.Threads;
            try
            {
                foreach (int threads in new[] { 1, 2, 3 })
                {
                    Engine.Threads = threads;
                    var c = new float[m * n];
                    Gemm.Sgemm(Transpose.No, tb, m, n, k, 1f, a, k, b, tb == Transpose.Yes ? k : n, 0f, c, n);
                    if (first is null) first = c;
                    else TensorAssert.BitEqual(first, c, $"m={m} n={n} k={k} threads={threads} vs 1");
                }
            }
            finally
            {
                Engine.Threads = saved;
            }
        }
    }

    [Fact]
    public void Batched_sgemm_matches_per_matrix_reference_with_broadcast_a()
    {
        var rng = new Rng(11);
        int batch = 5, m = 7, n = 33, k = 17;
        var a = Random(rng, m * k);               // stride 0: shared by every batch entry
        var b = Random(rng, batch * n * k);       // [B, N, K] used transposed
        var c = new float[batch * m * n];
        fixed (float* pa = a, pb = b, pc = c)
        {
            Gemm.SgemmBatched(batch, Transpose.No, Transpose.Yes, m, n, k, 1f, pa, k, 0, pb, k, (long)n * k, 0f, pc, n, (long)m * n);
        }
        for (int t = 0; t < batch; t++)
        {
            var e = new float[m * n];
            Gemm.Reference(Transpose.No, Transpose.Yes, m, n, k, 1f, a, k, b.AsSpan(t * n * k), k, 0f, e, n);
            AssertGemmClose(e, c.AsSpan(t * m * n, m * n).ToArray(), k, $"batch {t}");
        }
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.BF16)]
    public void Packed_weight_path_is_bit_identical_to_unpacked(DType dtype)
    {
        var rng = new Rng(12);
        foreach (var (m, n, k) in new[] { (1, 50, 37), (2, 65, 129), (7, 33, 300), (65, 100, 17) })
        {
            using var wf = Tensor.Randn(new Shape(n, k), rng);
            using var w = wf.To(dtype);
            using var x = Tensor.Randn(new Shape(m, k), rng);
            using var packed = PackedWeight.Pack(w);
            using var y1 = Ops.Linear(x, w);
            using var y2 = Ops.Linear(x, packed);
            TensorAssert.BitEqual(y1.ToArray(), y2.ToArray(), $"{dtype} m={m} n={n} k={k}");
        }
    }

    [Fact]
    public void Bf16_weight_gemm_matches_reference_on_rounded_weights()
    {
        var rng = new Rng(13);
        foreach (var (m, n, k, tb) in new[] { (5, 33, 65, Transpose.Yes), (17, 100, 129, Transpose.No), (1, 70, 63, Transpose.Yes), (8, 32, 256, Transpose.Yes), (9, 100, 77, Transpose.Yes) })
        {
            var a = Random(rng, m * k);
            var bf = Random(rng, n * k);
            var bits = new ushort[bf.Length];
            Kernels.Convert.F32ToBf16(bf, bits);
            var rounded = new float[bf.Length];
            Kernels.Convert.Bf16ToF32(bits, rounded);
            long ldb = tb == Transpose.Yes ? k : n;
            var e = new float[m * n];
            var c = new float[m * n];
            Gemm.Reference(Transpose.No, tb, m, n, k, 1f, a, k, rounded, ldb, 0f, e, n);
            fixed (float* pa = a, pc = c)
            fixed (ushort* pb = bits)
            {
                Gemm.SgemmBf16(Transpose.No, tb, m, n, k, 1f, pa, k, pb, ldb, 0f, pc, n);
            }
            AssertGemmClose(e, c, k, $"bf16 m={m} n={n} k={k} {tb}");
        }
    }

    [Fact]
    public void Gemv_matches_reference_at_every_length_up_to_256()
    {
        var rng = new Rng(14);
        // n = 6: one four-row group and a partial one; n = 21: two paired groups (two read streams), a lone group, a partial one.
        foreach (int n in new[] { 6, 21 })
        for (int k = 0; k <= 256; k++)
        {
            long ldw = k + 3;
            var w = Random(rng, n * ldw);
            var x = Random(rng, Math.Max(k, 1));
            var e = Nan(n);
            var y = Nan(n);
            Gemv.Reference(n, k, 1f, w, ldw, x, 0f, e);
            fixed (float* pw = w, px = x, py = y) Gemv.RowMajor(n, k, 1f, pw, ldw, px, 1, 0f, py, 2);
            AssertGemmClose(e, y, k, $"gemv f32 n={n} k={k}");

            var bits = new ushort[w.Length];
            Kernels.Convert.F32ToBf16(w, bits);
            var rounded = new float[w.Length];
            Kernels.Convert.Bf16ToF32(bits, rounded);
            var eb = new float[n];
            var yb = Random(rng, n);
            var yb0 = (float[])yb.Clone();
            Array.Copy(yb0, eb, n);
            Gemv.Reference(n, k, 0.5f, rounded, ldw, x, 2f, eb);
            fixed (ushort* pw = bits)
            fixed (float* px = x, py = yb) Gemv.RowMajorBf16(n, k, 0.5f, pw, ldw, px, 1, 2f, py, 3);
            AssertGemmClose(eb, yb, k, $"gemv bf16 n={n} k={k}");
        }
    }

    [Fact]
    public void Gemv_is_bit_identical_for_any_thread_count()
    {
        var rng = new Rng(15);
        int n = 1001, k = 333;
        var w = Random(rng, n * k);
        var x = Random(rng, k);
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var y = new float[n];
            fixed (float* pw = w, px = x, py = y) Gemv.RowMajor(n, k, 1f, pw, k, px, 1, 0f, py, threads);
            if (first is null) first = y;
            else TensorAssert.BitEqual(first, y, $"gemv threads={threads}");
        }
    }

    [Fact]
    public void Gemv_rows_equal_one_row_products_bit_for_bit()
    {
        // Whatever kernel reduces a row (paired groups, a lone four-row group, the one-row dot), its arithmetic is the
        // same: the full product equals n one-row products exactly, for f32 and bf16, with and without a scalar tail.
        var rng = new Rng(16);
        foreach (int k in new[] { 32, 47, 333, 768 })
        {
            int n = 1001;
            var w = Random(rng, n * k);
            var x = Random(rng, k);
            var bits = new ushort[w.Length];
            Kernels.Convert.F32ToBf16(w, bits);
            foreach (int threads in new[] { 1, 2 })
            {
                var full = new float[n];
                var fullBf16 = new float[n];
                var rows = new float[n];
                var rowsBf16 = new float[n];
                fixed (float* pw = w, px = x, py = full, pr = rows)
                fixed (ushort* pb = bits)
                fixed (float* pyb = fullBf16, prb = rowsBf16)
                {
                    Gemv.RowMajor(n, k, 1f, pw, k, px, 1, 0f, py, threads);
                    Gemv.RowMajorBf16(n, k, 1f, pb, k, px, 1, 0f, pyb, threads);
                    for (int r = 0; r < n; r++)
                    {
                        Gemv.RowMajor(1, k, 1f, pw + (long)r * k, k, px, 1, 0f, pr + r, 1);
                        Gemv.RowMajorBf16(1, k, 1f, pb + (long)r * k, k, px, 1, 0f, prb + r, 1);
                    }
                }
                TensorAssert.BitEqual(rows, full, $"gemv f32 k={k} threads={threads}");
                TensorAssert.BitEqual(rowsBf16, fullBf16, $"gemv bf16 k={k} threads={threads}");
            }
        }
    }

    [Fact]
    public void Sgemm_rejects_bad_leading_dimensions()
    {
        var a = new float[12];
        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(Transpose.No, Transpose.No, 3, 4, 3, 1f, a, 2, a, 4, 0f, a, 4));
        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(Transpose.No, Transpose.No, 3, 4, 3, 1f, a, 3, a, 4, 0f, new float[5], 4));
    }
}
