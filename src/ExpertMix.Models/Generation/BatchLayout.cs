// Left-padded batch layout for generating from prompts of different lengths: ids, 0/1 mask, additive attention mask, position ids.
using ExpertMix.Tensors;

namespace ExpertMix.Models.Generation;

/// <summary>
/// Lays out B prompts of different lengths as a left-padded [B, S] batch (S = the longest prompt), the way HF
/// tokenizers do with <c>padding_side="left"</c>, so every row's last prompt token sits in column S − 1 and all rows
/// decode in lock step. Provides, as plain arrays (row-major) and as new tensors the caller owns:
/// <list type="bullet">
/// <item>input ids [B, S]: <c>PadCount[b]</c> copies of the pad id, then the prompt;</item>
/// <item>attention mask [B, S]: 0 for padding, 1 for tokens;</item>
/// <item>additive attention mask [B, 1, 1, K] for <see cref="Ops.ScaledDotProductAttention"/> over K ≥ S cached keys:
/// <see cref="MaskedValue"/> (float.MinValue, HF's torch.finfo(float32).min) at padding keys, 0 elsewhere; it combines
/// with the engine's causal masking. A finite value (not −∞) keeps the softmax of all-padding query rows finite, so
/// no NaN reaches the cache;</item>
/// <item>position ids [B, S]: HF <c>cumsum(attention_mask) − 1</c> with padding positions set to 1
/// (<c>masked_fill_(attention_mask == 0, 1)</c>); the token fed at decode step j (0-based) has position
/// <c>Lengths[b] + j</c>.</item>
/// </list>
/// </summary>
internal sealed class BatchLayout
{
    /// <summary>The additive mask value at padding keys: float.MinValue (torch.finfo(torch.float32).min, as HF uses).</summary>
    public const float MaskedValue = float.MinValue;

    private readonly int[] _lengths;
    private readonly int[] _inputIds;
    private readonly int[] _attentionMask;
    private readonly int[] _positionIds;

    private BatchLayout(int[] lengths, int length, int padId)
    {
        _lengths = lengths;
        Length = length;
        PadId = padId;
        int b = lengths.Length;
        _inputIds = new int[b * length];
        _attentionMask = new int[b * length];
        _positionIds = new int[b * length];
    }

    /// <summary>Number of rows B.</summary>
    public int BatchSize => _lengths.Length;

    /// <summary>Padded prompt length S (the longest prompt).</summary>
    public int Length { get; }

    /// <summary>The id written into padding slots.</summary>
    public int PadId { get; }

    /// <summary>Prompt length of each row.</summary>
    public ReadOnlySpan<int> Lengths => _lengths;

    /// <summary>Padding slots at the start of row <paramref name="row"/>: S − Lengths[row].</summary>
    public int PadCount(int row) => Length - _lengths[row];

    /// <summary>Input ids [B, S], row-major.</summary>
    public ReadOnlySpan<int> InputIds => _inputIds;

    /// <summary>HF attention mask [B, S], row-major: 0 = padding, 1 = token.</summary>
    public ReadOnlySpan<int> AttentionMask => _attentionMask;

    /// <summary>Position ids [B, S], row-major (see the class remarks).</summary>
    public ReadOnlySpan<int> PositionIds => _positionIds;

    /// <summary>Builds the left-padded layout of <paramref name="prompts"/>.</summary>
    /// <exception cref="ArgumentException">There are no prompts, a prompt is empty, or an id or the pad id is negative (the message names the row and position).</exception>
    public static BatchLayout LeftPadded(IReadOnlyList<IReadOnlyList<int>> prompts, int padId)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0) throw new ArgumentException("BatchLayout: no prompts", nameof(prompts));
        if (padId < 0) throw new ArgumentException($"BatchLayout: pad id {padId} is negative", nameof(padId));
        var lengths = new int[prompts.Count];
        for (int b = 0; b < prompts.Count; b++)
        {
            var p = prompts[b] ?? throw new ArgumentException($"BatchLayout: prompt {b} is null", nameof(prompts));
            if (p.Count == 0) throw new ArgumentException($"BatchLayout: prompt {b} is empty; every row needs at least one token", nameof(prompts));
            lengths[b] = p.Count;
        }
        var layout = new BatchLayout(lengths, lengths.Max(), padId);
        int s = layout.Length;
        for (int b = 0; b < prompts.Count; b++)
        {
            var p = prompts[b];
            int pad = s - p.Count;
            for (int j = 0; j < s; j++)
            {
                int at = b * s + j;
                if (j < pad)
                {
                    layout._inputIds[at] = padId;
                    layout._attentionMask[at] = 0;
                    layout._positionIds[at] = 1;
                }
                else
                {
                    int id = p[j - pad];
                    if (id < 0) throw new ArgumentException($"BatchLayout: prompt {b} token {j - pad} is {id}; ids are ≥ 0", nameof(prompts));
                    layout._inputIds[at] = id;
                    layout._attentionMask[at] = 1;
                    layout._positionIds[at] = j - pad;
                }
            }
        }
        return layout;
    }

    /// <summary>A new I32 tensor [B, S] of the input ids (the caller owns it).</summary>
    public Tensor InputIdsTensor() => Tensor.FromInts(_inputIds, new Shape(BatchSize, Length));

    /// <summary>A new I32 tensor [B, S] of the position ids (the caller owns it).</summary>
    public Tensor PositionIdsTensor() => Tensor.FromInts(_positionIds, new Shape(BatchSize, Length));

    /// <summary>
    /// The additive key mask over <paramref name="keyLength"/> = K cached keys: the S prompt columns (padding →
    /// <see cref="MaskedValue"/>, tokens → 0) followed by K − S generated columns (0), row-major [B, K].
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">keyLength &lt; S.</exception>
    public float[] AdditiveMask(int keyLength)
    {
        if (keyLength < Length) throw new ArgumentOutOfRangeException(nameof(keyLength), keyLength, $"BatchLayout: the key length must be ≥ the padded prompt length {Length}");
        var m = new float[BatchSize * keyLength];
        for (int b = 0; b < BatchSize; b++)
        {
            m.AsSpan(b * keyLength, PadCount(b)).Fill(MaskedValue);
        }
        return m;
    }

    /// <summary>
    /// A new F32 tensor [B, 1, 1, K] of <see cref="AdditiveMask"/> for <see cref="Ops.ScaledDotProductAttention"/>
    /// (broadcast over heads and queries; K = S for the prefill, S + j + 1 at decode step j). The caller owns it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">keyLength &lt; S.</exception>
    public Tensor AttentionMaskTensor(int keyLength) => Tensor.FromArray(AdditiveMask(keyLength), new Shape(BatchSize, 1, 1, keyLength));

    /// <summary>Positions [B] of the token fed at decode step <paramref name="step"/> (0-based): Lengths[b] + step (HF's cumsum rule on the extended mask).</summary>
    /// <exception cref="ArgumentOutOfRangeException">step is negative.</exception>
    public int[] DecodePositions(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        var p = new int[BatchSize];
        for (int b = 0; b < p.Length; b++) p[b] = _lengths[b] + step;
        return p;
    }

    /// <summary>A new I32 tensor [B, 1] of <see cref="DecodePositions"/> (the caller owns it).</summary>
    /// <exception cref="ArgumentOutOfRangeException">step is negative.</exception>
    public Tensor DecodePositionsTensor(int step) => Tensor.FromInts(DecodePositions(step), new Shape(BatchSize, 1));
}
