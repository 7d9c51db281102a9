// Per-forward attention inputs shared by every layer: the sequence layout and the RoPE tables (computed once).
using ExpertMix.Tensors;

namespace ExpertMix.Nn;

/// <summary>What every attention layer of one forward needs besides its input: positions/mask and RoPE tables (null without RoPE). Not owned.</summary>
/// <param name="Layout">Positions, padding mask and KV-cache offsets of this forward.</param>
/// <param name="Cos">RoPE cosine table [T, Dh/2] (or [B, T, Dh/2] with per-row positions), null without RoPE.</param>
/// <param name="Sin">RoPE sine table, the same shape as <paramref name="Cos"/>.</param>
public sealed record AttentionInputs(SequenceLayout Layout, Tensor? Cos, Tensor? Sin);
