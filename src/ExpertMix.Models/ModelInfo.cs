// What a loaded causal LM is: architecture, sizes, dtype, special token ids and load warnings.
using ExpertMix.Tensors;

namespace ExpertMix.Models;

/// <summary>Facts about a loaded (or meta-built) causal language model.</summary>
public sealed record ModelInfo
{
    /// <summary>The HF class name, e.g. <c>LlamaForCausalLM</c>.</summary>
    public required string Architecture { get; init; }

    /// <summary>config.json <c>model_type</c> (e.g. <c>llama</c>, <c>qwen2</c>, <c>gpt2</c>).</summary>
    public required string ModelType { get; init; }

    /// <summary>V.</summary>
    public required int VocabSize { get; init; }

    /// <summary>Number of decoder layers.</summary>
    public required int Layers { get; init; }

    /// <summary>C.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>H.</summary>
    public required int Heads { get; init; }

    /// <summary>Hkv.</summary>
    public required int KvHeads { get; init; }

    /// <summary>Dh.</summary>
    public required int HeadDim { get; init; }

    /// <summary>Longest supported sequence (max_position_embeddings / n_positions).</summary>
    public required int MaxPositions { get; init; }

    /// <summary>Number of parameter elements (tied tensors counted once).</summary>
    public long ParameterCount { get; init; }

    /// <summary>Storage dtype of the largest tensors (the embedding).</summary>
    public DType DType { get; init; }

    /// <summary>Beginning-of-sequence id (generation_config.json, else config.json), or null.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>End-of-sequence ids (generation_config.json, else config.json); may be empty.</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Load warnings (unused checkpoint tensors, ignored config features).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
