// The raw rope_scaling object of config.json.
using System.Text.Json.Serialization;

namespace ExpertMix.Models;

/// <summary>config.json <c>rope_scaling</c>: <c>rope_type</c> (or the older <c>type</c>) and its parameters.</summary>
public sealed class RopeScalingJson
{
    /// <summary>rope_scaling <c>rope_type</c>: the scaling kind: <c>linear</c> or <c>llama3</c>.</summary>
    [JsonPropertyName("rope_type")] public string? RopeType { get; set; }
    /// <summary>rope_scaling <c>type</c>: the older key for <c>rope_type</c>.</summary>
    [JsonPropertyName("type")] public string? Type { get; set; }
    /// <summary>rope_scaling <c>factor</c>: position (linear) or wavelength (llama3) scale factor.</summary>
    [JsonPropertyName("factor")] public double? Factor { get; set; }
    /// <summary>rope_scaling <c>low_freq_factor</c>: llama3: wavelengths above original/low_freq_factor are fully scaled.</summary>
    [JsonPropertyName("low_freq_factor")] public double? LowFreqFactor { get; set; }
    /// <summary>rope_scaling <c>high_freq_factor</c>: llama3: wavelengths below original/high_freq_factor are kept.</summary>
    [JsonPropertyName("high_freq_factor")] public double? HighFreqFactor { get; set; }
    /// <summary>rope_scaling <c>original_max_position_embeddings</c>: llama3: the pre-training context length.</summary>
    [JsonPropertyName("original_max_position_embeddings")] public int? OriginalMaxPositionEmbeddings { get; set; }
}
