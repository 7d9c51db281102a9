// One adapted module of an X-LoRA model: its layer index, its experts in column order and their fused factors.
using ExpertMix.Adapters.Lora;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.XLora;

/// <summary>
/// X-LoRA's view of one wrapped module ℓ: the experts present there (column i of the gate, branch i of the LoRA
/// linear) and, for frozen experts, the fused factors Acat = [A_1; …; A_m] [R, in] and Bcat = [B_1 … B_m] [out, R]
/// (R = Σ r_i) with the column → expert map, so the real pass costs two GEMMs whatever the number of experts.
/// </summary>
internal sealed class XLoraModuleState : IDisposable
{
    private Tensor? _aCat;
    private Tensor? _bCat;
    private Tensor? _expand;

    public XLoraModuleState(int layer, LoraLinear linear, IReadOnlyList<(int Column, LoraBranch Branch)> experts, int expertCount)
    {
        Layer = layer;
        Linear = linear;
        Experts = [.. experts.OrderBy(e => e.Column)];
        ExpertCount = expertCount;
        Rank = Experts.Sum(e => e.Branch.Module.Rank);
        ColumnExpert = new int[Rank];
        ColumnScale = new float[Rank];
        int col = 0;
        foreach (var (column, branch) in Experts)
        {
            for (int j = 0; j < branch.Module.Rank; j++, col++)
            {
                ColumnExpert[col] = column;
                ColumnScale[col] = branch.Module.Scaling;
            }
        }
    }

    /// <summary>ℓ: the module's index in the gate's numbering.</summary>
    public int Layer { get; }

    /// <summary>The wrapped module.</summary>
    public LoraLinear Linear { get; }

    /// <summary>The experts present in this module, by gate column.</summary>
    public (int Column, LoraBranch Branch)[] Experts { get; }

    /// <summary>n: experts in the whole model.</summary>
    public int ExpertCount { get; }

    /// <summary>R = Σ r_i over the experts present.</summary>
    public int Rank { get; }

    /// <summary>For every fused rank column, the gate column of its expert.</summary>
    public int[] ColumnExpert { get; }

    /// <summary>For every fused rank column, its expert's LoRA scaling s_i.</summary>
    public float[] ColumnScale { get; }

    /// <summary>Acat [R, in] (f32, built on first use; the experts must be frozen).</summary>
    public Tensor ACat => _aCat ??= Concat(Experts.Select(e => e.Branch.Module.A), 0);

    /// <summary>Bcat [out, R] (f32, built on first use; the experts must be frozen).</summary>
    public Tensor BCat => _bCat ??= Concat(Experts.Select(e => e.Branch.Module.B), 1);

    /// <summary>E [n, R] with E[i, c] = g·s_i where column c belongs to expert i, else 0; λℓ·E scales the rank columns.</summary>
    public Tensor Expand(float globalWeight)
    {
        if (_expand is not null) return _expand;
        var e = new float[ExpertCount * Rank];
        for (int c = 0; c < Rank; c++) e[ColumnExpert[c] * Rank + c] = globalWeight * ColumnScale[c];
        return _expand = TensorScope.Forget(Tensor.FromArray(e, new Shape(ExpertCount, Rank)));
    }

    /// <summary>Drops the fused factors (after the experts changed).</summary>
    public void Invalidate()
    {
        _aCat?.Dispose();
        _bCat?.Dispose();
        _expand?.Dispose();
        _aCat = _bCat = _expand = null;
    }

    public void Dispose() => Invalidate();

    private static Tensor Concat(IEnumerable<Tensor> parts, int dim)
    {
        using var noGrad = Autograd.NoGrad();
        using var scope = TensorScope.Begin();
        var f32 = parts.Select(p => p.DType == DType.F32 ? p.Detach() : p.To(DType.F32)).ToList();
        return TensorScope.Forget(Ops.Concat(f32, dim));
    }
}
