// The raw rope_scaling object of config.json.
using System.Text.Json.Serialization;

namespace ExpertMix.Models;

/// <summary>config.json <c>rope_scaling</c>: <c>rope_type</c> (or the older <c>type</c>) and its parameters.</summary>
public sealed class RopeScalingJson
{
    [JsonPropertyName("rope_type")] public string? RopeType { get; set; }
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("factor")] public double? Factor { get; set; }
    [JsonPropertyName("low_freq_factor")] public double? LowFreqFactor { get; set; }
    [JsonPropertyName("high_freq_factor")] public double? HighFreqFactor { get; set; }
    [JsonPropertyName("original_max_position_embeddings")] public int? OriginalMaxPositionEmbeddings { get; set; }
}
