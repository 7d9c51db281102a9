// RoPE inverse frequencies with rope_scaling against HF's formulas evaluated in PyTorch (values pasted inline).
using ExpertMix.Testing;

namespace ExpertMix.Nn.Tests;

public class RotaryEmbeddingTests
{
    // tools/golden/tiny_models.py: inv_freq_of({"rope_theta": 10000.0, "rope_scaling": {"rope_type": "llama3",
    //   "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 64}}, 16)
    private static readonly float[] Llama3Tiny = [1.0f, 0.24438458681106567f, 0.013042256236076355f, 0.0039528473280370235f, 0.0012499999720603228f, 0.00039528473280370235f, 0.0001250000059371814f, 3.9528473280370235e-05f];

    // Llama-3.2-1B: theta 500000, head_dim 64, llama3 factor 32, low 1, high 4, original 8192 (the first 16 of 32).
    private static readonly float[] Llama3OneB = [1.0f, 0.663601279258728f, 0.44036662578582764f, 0.2922278344631195f, 0.193922758102417f, 0.12868738174438477f, 0.08539710193872452f, 0.05666961893439293f, 0.03760603070259094f, 0.02495540864765644f, 0.016560440883040428f, 0.010989529080688953f, 0.00729266507551074f, 0.00483942124992609f, 0.0032114461064338684f, 0.0012905480107292533f];

    [Fact]
    public void Llama3_scaling_matches_hf_compute_llama3_parameters()
    {
        var tiny = RotaryEmbedding.ComputeInverseFrequencies(16, 10000, new RopeScaling(RopeScalingKind.Llama3, 8, 1, 4, 64));
        TensorAssert.RelativeClose(Llama3Tiny, tiny, 1e-6, "tiny llama3 (high, medium, low bands)");
        var oneB = RotaryEmbedding.ComputeInverseFrequencies(64, 500000, new RopeScaling(RopeScalingKind.Llama3, 32, 1, 4, 8192));
        TensorAssert.RelativeClose(Llama3OneB, oneB.AsSpan(0, 16), 1e-6, "Llama-3.2-1B llama3");
    }

    [Fact]
    public void Linear_scaling_divides_every_frequency_by_the_factor()
    {
        var plain = RotaryEmbedding.ComputeInverseFrequencies(16, 10000, RopeScaling.None);
        var linear = RotaryEmbedding.ComputeInverseFrequencies(16, 10000, new RopeScaling(RopeScalingKind.Linear, 2));
        for (int i = 0; i < plain.Length; i++) Assert.Equal(plain[i] / 2f, linear[i]);
    }
}
