// §9.3's mask-space mixture z'_m = Σ_k α_{k,m}·sigmoid(p_{k,m}).
using ExpertMix.Adapters.Adaptation;

namespace ExpertMix.Adapters.Tests.Adaptation;

public class MaskMixtureTests
{
    private static double Sig(double x) => 1 / (1 + Math.Exp(-x));

    [Fact]
    public void Global_and_per_matrix_coefficients_mix_sigmoid_masks()
    {
        // K = 2 experts, M = 2 matrices of ranks 3 and 2.
        IReadOnlyList<float[]> e0 = [[0f, 1f, -2f], [3f, -1f]];
        IReadOnlyList<float[]> e1 = [[2f, -1f, 0.5f], [0f, 4f]];
        var global = MaskMixture.MixAll([e0, e1], [0.3, 0.9], MixtureScope.Global);
        var perMatrix = MaskMixture.MixAll([e0, e1], [0.3, 0.1, 0.9, 0.5], MixtureScope.PerMatrix);   // α[k·M + m]
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(0.3 * Sig(e0[0][i]) + 0.9 * Sig(e1[0][i]), global[0][i], 6);
            Assert.Equal(0.3 * Sig(e0[0][i]) + 0.9 * Sig(e1[0][i]), perMatrix[0][i], 6);
        }
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(0.3 * Sig(e0[1][i]) + 0.9 * Sig(e1[1][i]), global[1][i], 6);
            Assert.Equal(0.1 * Sig(e0[1][i]) + 0.5 * Sig(e1[1][i]), perMatrix[1][i], 6);
        }
        Assert.Equal(4, MaskMixture.Dimensions(2, 2, MixtureScope.PerMatrix));
        Assert.Equal(2, MaskMixture.Dimensions(2, 2, MixtureScope.Global));
    }

    [Fact]
    public void One_expert_with_unit_weight_is_its_own_sigmoid_mask()
    {
        float[] p = [-3f, 0f, 2.5f];
        var z = MaskMixture.Mix([p], [1.0]);
        Assert.Equal(p.Select(v => (float)Sig(v)), z);
        Assert.Equal(0.5f, MaskMixture.Sigmoid(0f));
    }

    [Fact]
    public void Bad_shapes_are_rejected_with_the_matrix_named()
    {
        Assert.Throws<ArgumentException>(() => MaskMixture.Mix([[1f, 2f], [1f]], [0.5, 0.5]));
        Assert.Throws<ArgumentException>(() => MaskMixture.Mix([[1f]], [0.5, 0.5]));
        var e = Assert.Throws<ArgumentException>(() => MaskMixture.MixAll([[[1f], [1f, 2f]], [[1f], [1f]]], [0.5, 0.5], MixtureScope.Global));
        Assert.Contains("matrix 1", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => MaskMixture.MixAll([[[1f]], [[1f]]], [0.5, 0.5, 0.5], MixtureScope.PerMatrix));
    }
}
