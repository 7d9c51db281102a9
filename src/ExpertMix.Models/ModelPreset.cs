// A named, weight-free model configuration (for manifests and benchmarks).
using ExpertMix.Tensors;

namespace ExpertMix.Models;

/// <summary>A preset: its name, the HF config it stands for, and the dtype its checkpoints are stored in.</summary>
/// <param name="Name">Short name, e.g. <c>llama-1b</c>.</param>
/// <param name="Description">Which public model the shape copies.</param>
/// <param name="Config">The config.json contents.</param>
/// <param name="DType">Storage dtype of the public checkpoint.</param>
public sealed record ModelPreset(string Name, string Description, HfConfigJson Config, DType DType);
