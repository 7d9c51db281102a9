// Fused cross-entropy: SIMD vs scalar twins, PyTorch reference values, ignore index, label smoothing, gradients, threads.
using ExpertMix.Tensors.Kernels;
using ExpertMix.Testing;
using static ExpertMix.Tensors.Tests.NnTestUtil;

namespace ExpertMix.Tensors.Tests;

[Collection("EngineThreads")]
public class CrossEntropyTests
{
    [Fact]
    [Trait("Category", "Kernels")]
    public void CrossEntropy_row_simd_matches_scalar_twin_at_every_length()
    {
        var rng = new Rng(41);
        for (int n = 1; n <= 256; n++)
        {
            var x = RandomArray(rng, n, 3f);
            int target = rng.NextInt(n);
            foreach (var eps in new[] { 0f, 0.1f })
            {
                var e = CrossEntropyKernels.CrossEntropyRowScalar(x, target, eps > 0);
                var a = CrossEntropyKernels.CrossEntropyRow(x, target, eps > 0);
                double scale = Math.Max(1, MaxAbs(x));
                RowScaledClose([e.Nll, e.Lse], [a.Nll, a.Lse], Tolerances.SimdRelative, $"ce forward n={n}", scale);
                RowScaledClose([e.Smooth], [a.Smooth], Tolerances.SimdRelative, $"ce smooth n={n}", n * scale);

                var ge = new float[n];
                var ga = Poisoned(n);
                CrossEntropyKernels.CrossEntropyBackwardRowScalar(x, target, e.Lse, eps, 0.7f, ge);
                CrossEntropyKernels.CrossEntropyBackwardRow(x, target, e.Lse, eps, 0.7f, ga);
                RowScaledClose(ge, ga.AsSpan(0, n), Tolerances.SimdRelative, $"ce backward n={n}", 1);
                TailIsNaN(ga, n, $"ce backward n={n}");
            }
        }
    }

    [Fact]
    [Trait("Category", "Kernels")]
    public void CrossEntropy_nll_equals_negated_log_softmax_bit_for_bit()
    {
        var rng = new Rng(42);
        for (int n = 1; n <= 256; n += 5)
        {
            var x = RandomArray(rng, n, 4f);
            var lsm = new float[n];
            SoftmaxKernels.LogSoftmax(x, lsm);
            int t = rng.NextInt(n);
            Assert.Equal(BitConverter.SingleToInt32Bits(-lsm[t]), BitConverter.SingleToInt32Bits(CrossEntropyKernels.CrossEntropyRow(x, t, false).Nll));
        }
    }

    // PyTorch 1.13 reference (OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3):
    //   x = ((torch.arange(20.).reshape(4, 5) * 0.37).sin() * 3); t = torch.tensor([1, -100, 4, 0])
    //   l = F.cross_entropy(x, t, reduction=red, label_smoothing=ls); l.sum().backward(); x.grad[0]
    private static readonly float[] s_torchLogits =
    [
        0.0f, 1.0848463773727417f, 2.0228638648986816f, 2.687096118927002f, 2.987642526626587f,
        2.8838257789611816f, 2.3896963596343994f, 1.5721325874328613f, 0.5417886972427368f, -0.5618837475776672f,
        -1.5895085334777832f, -2.402000665664673f, -2.889392852783203f, -2.9857194423675537f, -2.6779427528381348f,
        -2.007719039916992f, -1.0657604932785034f, 0.020443804562091827f, 1.1038811206817627f, 2.037914276123047f,
    ];

    [Theory]
    [InlineData(LossReduction.Mean, 0f, new[] { 3.0582447052001953f }, new[] { 0.007239020895212889f, -0.3119131922721863f, 0.05472659692168236f, 0.1063336730003357f, 0.14361390471458435f })]
    [InlineData(LossReduction.Mean, 0.1f, new[] { 2.9627065658569336f }, new[] { 0.0005723533104173839f, -0.28524649143218994f, 0.04805992171168327f, 0.09966699033975601f, 0.13694719970226288f })]
    [InlineData(LossReduction.Sum, 0f, new[] { 9.174734115600586f }, new[] { 0.02171706221997738f, -0.9357395172119141f, 0.16417978703975677f, 0.3190010190010071f, 0.43084168434143066f })]
    [InlineData(LossReduction.Sum, 0.1f, new[] { 8.8881196975708f }, new[] { 0.0017170601058751345f, -0.8557395339012146f, 0.14417976140975952f, 0.29900097846984863f, 0.4108416438102722f })]
    [InlineData(LossReduction.None, 0f, new[] { 2.7448108196258545f, 0f, 1.921600103378296f, 4.508322715759277f }, new[] { 0.02171706221997738f, -0.9357395172119141f, 0.16417978703975677f, 0.3190010190010071f, 0.43084168434143066f })]
    [InlineData(LossReduction.None, 0.1f, new[] { 2.6776463985443115f, 0f, 1.904697060585022f, 4.3057756423950195f }, new[] { 0.0017170601058751345f, -0.8557395339012146f, 0.14417976140975952f, 0.29900097846984863f, 0.4108416438102722f })]
    public void CrossEntropy_matches_pytorch_values(LossReduction reduction, float smoothing, float[] loss, float[] gradRow0)
    {
        using var x = Tensor.FromArray(s_torchLogits, new Shape(4, 5));
        x.RequiresGrad = true;
        using var t = Tensor.FromInts([1, -100, 4, 0], new Shape(4));
        using var y = Ops.CrossEntropy(x, t, reduction, labelSmoothing: smoothing);
        TensorAssert.Close(loss, y.ToArray(), 1e-5, 1e-6, "loss vs torch");
        using var g = Tensor.Ones(y.Shape);
        y.Backward(g);
        var grad = x.Grad!.ToArray();
        TensorAssert.Close(gradRow0, grad.AsSpan(0, 5), 1e-6, 1e-6, "grad row 0 vs torch");
        for (int i = 5; i < 10; i++) Assert.Equal(0f, grad[i]); // ignored row
    }

    [Theory]
    [InlineData(LossReduction.Mean, 0f)]
    [InlineData(LossReduction.Sum, 0.2f)]
    [InlineData(LossReduction.None, 0.1f)]
    [InlineData(LossReduction.Mean, 0.3f)]
    public void CrossEntropy_backward_matches_finite_differences(LossReduction reduction, float smoothing)
    {
        var rng = new Rng(43);
        const int n = 6, vocab = 11;
        using var x = Randn(rng, n, vocab);
        using var t = Tensor.FromInts([3, -100, 0, 10, -100, 7], new Shape(n));
        GradCheck.Check($"CrossEntropy {reduction} ε={smoothing}", a => Ops.CrossEntropy(a[0], a[1], reduction, labelSmoothing: smoothing),
            v => CrossEntropyRef(v[0], v[1], vocab, reduction, smoothing), [x, t]);
    }

    [Fact]
    public void CrossEntropy_with_every_target_ignored_is_nan_for_mean_and_zero_for_sum()
    {
        // torch: F.cross_entropy(x, full(-100)) -> nan with zero gradient; reduction='sum' -> 0.
        using var x = Tensor.FromArray(s_torchLogits, new Shape(4, 5));
        x.RequiresGrad = true;
        using var t = Tensor.FromInts([-100, -100, -100, -100], new Shape(4));
        using var mean = Ops.CrossEntropy(x, t);
        Assert.True(float.IsNaN(mean.Item()));
        mean.Backward(); // torch: the gradient of the all-ignored mean is zero, not NaN
        Assert.All(x.Grad!.ToArray(), g => Assert.Equal(0f, g));
        using var sum = Ops.CrossEntropy(x, t, LossReduction.Sum);
        Assert.Equal(0f, sum.Item());
        sum.Backward();
        Assert.All(x.Grad!.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void CrossEntropy_accepts_int64_targets_and_custom_ignore_index()
    {
        using var x = Tensor.FromArray(s_torchLogits, new Shape(4, 5));
        using var t32 = Tensor.FromInts([1, 2, 4, 0], new Shape(4));
        var bytes = new byte[32];
        long[] t64v = [1, 2, 4, 0];
        Buffer.BlockCopy(t64v, 0, bytes, 0, 32);
        using var t64 = Tensor.FromBytes(bytes, new Shape(4), DType.I64);
        Assert.Equal(Ops.CrossEntropy(x, t32, ignoreIndex: 2).Item(), Ops.CrossEntropy(x, t64, ignoreIndex: 2).Item());
        Assert.Equal(3.0582447052001953f, Ops.CrossEntropy(x, t32, ignoreIndex: 2).Item(), 5);
    }

    [Fact]
    public void CrossEntropy_over_batch_and_time_equals_flattened_rows()
    {
        var rng = new Rng(45);
        using var x = Randn(rng, 2, 3, 7);
        using var t = Tensor.FromInts([1, -100, 6, 0, 2, 2], new Shape(2, 3));
        using var xf = x.Reshape(6, 7);
        using var tf = t.Reshape(6);
        Assert.Equal(Ops.CrossEntropy(xf, tf).Item(), Ops.CrossEntropy(x, t).Item());
        using var none = Ops.CrossEntropy(x, t, LossReduction.None);
        Assert.Equal(new Shape(2, 3), none.Shape);
        using var noneFlat = Ops.CrossEntropy(xf, tf, LossReduction.None);
        TensorAssert.BitEqual(noneFlat.ToArray(), none.ToArray(), "[B, T, V] vs [B·T, V]");
    }

    [Fact]
    public void CrossEntropy_rejects_out_of_range_targets()
    {
        using var x = Tensor.Zeros(new Shape(2, 3));
        using var t = Tensor.FromInts([1, 3], new Shape(2));
        using var neg = Tensor.FromInts([-1, 0], new Shape(2));
        Assert.Throws<ArgumentException>(() => Ops.CrossEntropy(x, t));
        Assert.Throws<ArgumentException>(() => Ops.CrossEntropy(x, neg));
    }

    [Fact]
    public void CrossEntropy_is_bit_identical_for_any_thread_count()
    {
        var rng = new Rng(44);
        const int n = 61, vocab = 1000;
        using var x = Randn(rng, n, vocab);
        var tv = new int[n];
        for (int i = 0; i < n; i++) tv[i] = i % 7 == 0 ? -100 : rng.NextInt(vocab);
        using var t = Tensor.FromInts(tv, new Shape(n));
        SameForAnyThreadCount(() =>
        {
            using var xl = x.Clone();
            xl.RequiresGrad = true;
            using var y = Ops.CrossEntropy(xl, t, labelSmoothing: 0.1f);
            y.Backward();
            return [y.ToArray(), xl.Grad!.ToArray()];
        }, "CrossEntropy");
    }

    private static double[] CrossEntropyRef(double[] x, double[] t, int vocab, LossReduction reduction, double eps)
    {
        int n = t.Length, count = 0;
        var per = new double[n];
        double total = 0;
        for (int r = 0; r < n; r++)
        {
            if (t[r] == -100) continue;
            count++;
            double max = double.NegativeInfinity, sum = 0, sumLogp = 0;
            for (int j = 0; j < vocab; j++) max = Math.Max(max, x[r * vocab + j]);
            for (int j = 0; j < vocab; j++) sum += Math.Exp(x[r * vocab + j] - max);
            double lse = max + Math.Log(sum);
            for (int j = 0; j < vocab; j++) sumLogp += x[r * vocab + j] - lse;
            per[r] = (1 - eps) * (lse - x[r * vocab + (int)t[r]]) - eps / vocab * sumLogp;
            total += per[r];
        }
        return reduction switch
        {
            LossReduction.None => per,
            LossReduction.Sum => [total],
            _ => [total / count],
        };
    }
}
