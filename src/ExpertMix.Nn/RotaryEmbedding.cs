// Rotary position embedding (HF rotate-half) with rope_theta, head_dim and linear / llama3 rope_scaling.
using ExpertMix.Tensors;
using ExpertMix.Tensors.Kernels;

namespace ExpertMix.Nn;

/// <summary>
/// RoPE as HF's LlamaRotaryEmbedding + apply_rotary_pos_emb: inverse frequencies
/// invFreq[i] = 1 / θ^(2i/Dh) (f32) rescaled per <see cref="RopeScaling"/>, tables cos/sin(pos·invFreq[i]) per
/// forward, and the rotate-half rotation of [B, H, T, Dh] queries/keys.
/// </summary>
public sealed class RotaryEmbedding
{
    /// <summary>Builds the inverse frequencies for <paramref name="headDim"/>, <paramref name="theta"/> and <paramref name="scaling"/>.</summary>
    /// <exception cref="ArgumentException">Odd head dimension, non-positive θ or an invalid scaling factor.</exception>
    public RotaryEmbedding(int headDim, double theta, RopeScaling? scaling = null)
    {
        HeadDim = headDim;
        Theta = theta;
        Scaling = scaling ?? RopeScaling.None;
        InverseFrequencies = ComputeInverseFrequencies(headDim, theta, Scaling);
    }

    /// <summary>Dh.</summary>
    public int HeadDim { get; }

    /// <summary>θ (rope_theta).</summary>
    public double Theta { get; }

    /// <summary>The scaling applied.</summary>
    public RopeScaling Scaling { get; }

    /// <summary>invFreq [Dh/2] after scaling.</summary>
    public float[] InverseFrequencies { get; }

    /// <summary>
    /// invFreq in f32 as HF computes it. Linear: invFreq / factor. Llama3 (HF <c>_compute_llama3_parameters</c>):
    /// with λ = 2π/invFreq, λ_low = L₀/low_freq_factor, λ_high = L₀/high_freq_factor: λ &gt; λ_low → invFreq/factor;
    /// λ &lt; λ_high → invFreq; otherwise (1 − s)·invFreq/factor + s·invFreq with s = (L₀/λ − low)/(high − low).
    /// </summary>
    public static float[] ComputeInverseFrequencies(int headDim, double theta, RopeScaling scaling)
    {
        ArgumentNullException.ThrowIfNull(scaling);
        if (scaling.Kind != RopeScalingKind.None && !(scaling.Factor > 0)) throw new ArgumentException($"rope_scaling factor must be positive, got {scaling.Factor}", nameof(scaling));
        var inv = RopeKernels.InverseFrequencies(headDim, (float)theta);
        switch (scaling.Kind)
        {
            case RopeScalingKind.Linear:
                for (int i = 0; i < inv.Length; i++) inv[i] /= (float)scaling.Factor;
                break;
            case RopeScalingKind.Llama3:
                {
                    float factor = (float)scaling.Factor, low = (float)scaling.LowFreqFactor, high = (float)scaling.HighFreqFactor;
                    float old = scaling.OriginalMaxPositions;
                    float lowWavelen = old / low, highWavelen = old / high;
                    for (int i = 0; i < inv.Length; i++)
                    {
                        float f = inv[i];
                        float wavelen = (float)(2 * Math.PI) / f;
                        float scaled = wavelen > lowWavelen ? f / factor : f;
                        bool medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
                        if (medium)
                        {
                            float smooth = (old / wavelen - low) / (high - low);
                            scaled = (1 - smooth) * scaled / factor + smooth * scaled;
                        }
                        inv[i] = scaled;
                    }
                    break;
                }
        }
        return inv;
    }

    /// <summary>cos/sin tables [T, Dh/2] (shared positions) or [B, T, Dh/2] for <paramref name="layout"/> (caller owns both).</summary>
    public (Tensor Cos, Tensor Sin) Tables(SequenceLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        using var pos = layout.PositionTensor();
        return Ops.RopeTable(InverseFrequencies, pos);
    }

    /// <summary>Rotates <paramref name="x"/> [B, H, T, Dh] by the tables (rotate-half); caller owns the result.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin) => Ops.Rope(x, cos, sin, RopeStyle.Half);
}
