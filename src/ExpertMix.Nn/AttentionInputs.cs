// Per-forward attention inputs shared by every layer: the sequence layout and the RoPE tables (computed once).
using ExpertMix.Tensors;

namespace ExpertMix.Nn;

/// <summary>What every attention layer of one forward needs besides its input: positions/mask and RoPE tables (null without RoPE). Not owned.</summary>
public sealed record AttentionInputs(SequenceLayout Layout, Tensor? Cos, Tensor? Sin);
