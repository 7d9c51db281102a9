// Resolves one forward's absolute positions and additive padding mask from the context (computed once per forward).
using ExpertMix.Tensors;

namespace ExpertMix.Nn;

/// <summary>
/// Positions and attention mask of one forward over [B, T] new tokens after <c>PastLength</c> cached ones.
/// Owns <see cref="AdditiveMask"/>; dispose after the forward.
/// </summary>
public sealed class SequenceLayout : IDisposable
{
    private SequenceLayout(int batch, int length, int pastLength, long[] positions, bool shared, Tensor? mask)
    {
        Batch = batch;
        Length = length;
        PastLength = pastLength;
        Positions = positions;
        SharedPositions = shared;
        AdditiveMask = mask;
    }

    /// <summary>B.</summary>
    public int Batch { get; }

    /// <summary>T: new tokens in this forward.</summary>
    public int Length { get; }

    /// <summary>Tokens already cached.</summary>
    public int PastLength { get; }

    /// <summary>S = PastLength + T: keys the new queries attend over.</summary>
    public int KeyLength => PastLength + Length;

    /// <summary>Absolute positions, [T] when <see cref="SharedPositions"/>, else [B, T] row-major.</summary>
    public long[] Positions { get; }

    /// <summary>True when every sequence has the same positions (no padding): tables can be [T, ·].</summary>
    public bool SharedPositions { get; }

    /// <summary>Additive mask [B, 1, 1, S] (0 keep, float.MinValue drop), or null when nothing is masked.</summary>
    public Tensor? AdditiveMask { get; }

    /// <summary>The positions as an I64 tensor [T] or [B, T] (caller owns it).</summary>
    public Tensor PositionTensor()
    {
        var shape = SharedPositions ? new Shape(Length) : new Shape(Batch, Length);
        var t = Tensor.Empty(shape, DType.I64);
        Positions.CopyTo(t.AsSpan<long>());
        return t;
    }

    /// <summary>
    /// Resolves <paramref name="ctx"/> for a batch of <paramref name="batch"/> × <paramref name="length"/> new tokens.
    /// Positions: <see cref="ForwardContext.PositionIds"/> when given; else from the padding mask as HF does
    /// (cumsum(mask) − 1, 1 at padded slots); else PastLength + t.
    /// </summary>
    /// <exception cref="ArgumentException">The mask or positions have the wrong shape.</exception>
    public static SequenceLayout Resolve(ForwardContext ctx, int batch, int length)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        int past = ctx.PastLength, s = past + length;
        Tensor? additive = null;
        long[]? maskRows = null;
        if (ctx.AttentionMask is { } m)
        {
            if (m.Rank != 2 || m.Size(0) != batch || m.Size(1) != s)
            {
                throw new ArgumentException($"attention mask {m.Describe()} must be [B={batch}, S={s}] (cached {past} + new {length})", nameof(ctx));
            }
            maskRows = m.DType.IsFloat() ? Array.ConvertAll(m.ToArray(), v => v != 0 ? 1L : 0L) : Array.ConvertAll(m.ToInt64Array(), v => v != 0 ? 1L : 0L);
            if (Array.IndexOf(maskRows, 0L) >= 0)
            {
                additive = Tensor.Empty(new Shape(batch, 1, 1, s));
                var a = additive.Span;
                for (int i = 0; i < maskRows.Length; i++) a[i] = maskRows[i] != 0 ? 0f : float.MinValue;
            }
        }

        long[] positions;
        bool shared;
        if (ctx.PositionIds is { } p)
        {
            if (p.Rank == 1 && p.Size(0) == length) { positions = p.ToInt64Array(); shared = true; }
            else if (p.Rank == 2 && p.Size(0) == batch && p.Size(1) == length) { positions = p.ToInt64Array(); shared = false; }
            else throw new ArgumentException($"position ids {p.Describe()} must be [T={length}] or [B={batch}, T={length}]", nameof(ctx));
        }
        else if (additive is not null)
        {
            positions = new long[batch * length];
            for (int b = 0; b < batch; b++)
            {
                long cum = 0;
                for (int j = 0; j < s; j++)
                {
                    long keep = maskRows![b * s + j];
                    cum += keep;
                    if (j >= past) positions[b * length + j - past] = keep != 0 ? cum - 1 : 1;
                }
            }
            shared = false;
        }
        else
        {
            positions = new long[length];
            for (int t = 0; t < length; t++) positions[t] = past + t;
            shared = true;
        }
        return new SequenceLayout(batch, length, past, positions, shared, additive);
    }

    /// <summary>Releases the additive mask.</summary>
    public void Dispose() => AdditiveMask?.Dispose();
}
