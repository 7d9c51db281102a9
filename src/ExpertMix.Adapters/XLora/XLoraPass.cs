// The per-call mixing of one X-LoRA pass: every wrapped module adds Σ_i g·s_i·λ[b,t,ℓ,i]·B_i A_i x.
using ExpertMix.Adapters.Lora;
using ExpertMix.Nn;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.XLora;

/// <summary>How the real pass evaluates the experts of a module.</summary>
public enum XLoraKernel
{
    /// <summary>
    /// Rank-space fusion: Z = X·Acatᵀ [N, R], column block i scaled by g·s_i·λ_i, Y += Z·Bcatᵀ — two GEMMs for any
    /// number of experts (spec §4). Falls back to <see cref="PerExpert"/> when experts train or have dropout in training.
    /// </summary>
    Fused,

    /// <summary>The reference loop: one A_i, B_i product pair per expert.</summary>
    PerExpert,
}

/// <summary>
/// One pass of an X-LoRA forward, installed under <see cref="LoraMixing.Key"/>: module ℓ computes
/// y = W x + b + Σ_i g·s_i·B_i(λ[…, ℓ, i] ⊙ A_i drop_i(x)) with λ either the gate's per-token scalings (already
/// through top-k; real pass) or one constant row (scaling pass). With top-k and no gradient, an expert whose weight is
/// zero for a token is not computed for that token (rows are gathered per expert).
/// </summary>
internal sealed class XLoraPass : ILoraMixing
{
    private readonly IReadOnlyDictionary<LoraLinear, XLoraModuleState> _modules;
    private readonly Tensor? _scalings;      // [B, T, Lx, n] after top-k
    private readonly float[]? _constant;     // [n] for the scaling pass
    private readonly float _g;
    private readonly XLoraKernel _kernel;
    private readonly bool _sparse;
    private readonly bool _trainableExperts;

    private XLoraPass(IReadOnlyDictionary<LoraLinear, XLoraModuleState> modules, Tensor? scalings, float[]? constant, float g, XLoraKernel kernel, bool sparse, bool trainableExperts)
    {
        _modules = modules;
        _scalings = scalings;
        _constant = constant;
        _g = g;
        _kernel = kernel;
        _sparse = sparse;
        _trainableExperts = trainableExperts;
    }

    /// <summary>The real pass with scalings <paramref name="scalings"/> [B, T, Lx, n] (after top-k).</summary>
    public static XLoraPass Real(IReadOnlyDictionary<LoraLinear, XLoraModuleState> modules, Tensor scalings, XLoraConfig config, XLoraKernel kernel) =>
        new(modules, scalings, null, config.GlobalScalingWeight, kernel, config.TopKLora is not null, config.UseTrainableAdapters);

    /// <summary>The scaling pass: every token weights expert i by <paramref name="weights"/>[i] (c after top-k).</summary>
    public static XLoraPass Constant(IReadOnlyDictionary<LoraLinear, XLoraModuleState> modules, float[] weights, XLoraConfig config, XLoraKernel kernel) =>
        new(modules, null, weights, config.GlobalScalingWeight, kernel, config.TopKLora is not null, config.UseTrainableAdapters);

    public Tensor Forward(LoraLinear linear, Tensor x, ForwardContext ctx)
    {
        var y = linear.Base.Forward(x, ctx);                                              // [..., out]
        if (!_modules.TryGetValue(linear, out var state) || state.Rank == 0) return y;
        int inF = linear.InFeatures, outF = linear.OutFeatures;
        int rows = checked((int)(x.Numel / inF));
        var lambda = RowScalings(state, rows);                                             // [N, n]
        bool train = ctx.Mode == ForwardMode.Train;
        bool graph = Autograd.IsEnabled && (lambda.RequiresGrad || x.RequiresGrad || _trainableExperts);
        bool dropout = train && state.Experts.Any(e => e.Branch.Dropout > 0f);
        var x2 = x.Contiguous().Reshape(rows, inF);                                        // [N, in] (backward may read it: freed by the stage scope)
        Tensor delta;                                                                      // [N, out]
        if (!graph && _sparse) return AddSparse(state, x2, lambda, y, outF);
        if (_kernel == XLoraKernel.Fused && !dropout && !_trainableExperts)
        {
            var z = Ops.Linear(x2, state.ACat);                                            // [N, R]
            var w = Ops.MatMul(lambda, state.Expand(_g));                                  // [N, R] = g·s_i·λ_i per column
            delta = Ops.Linear(Ops.Mul(z, w), state.BCat);                                 // [N, out]
        }
        else
        {
            delta = PerExpert(state, x2, lambda, train);                                   // [N, out]
        }
        return Ops.Add(y, delta.Reshape(y.Shape.ToArray()));                              // [..., out]
    }

    /// <summary>λ rows for module <paramref name="state"/>: [N, n] (N = B·T; the last position only when the caller narrowed to it).</summary>
    private Tensor RowScalings(XLoraModuleState state, int rows)
    {
        int n = state.ExpertCount;
        if (_constant is not null)
        {
            var c = new float[rows * n];
            for (int j = 0; j < rows; j++) _constant.CopyTo(c, j * n);
            return Tensor.FromArray(c, new Shape(rows, n));
        }
        var s = _scalings!;
        int b = s.Size(0), t = s.Size(1), lx = s.Size(2);
        int layer = lx == 1 ? 0 : state.Layer;
        var l = s.Narrow(2, layer, 1);                                                     // [B, T, 1, n]
        if (rows == b * t) return l.Contiguous().Reshape(rows, n);
        if (rows == b && t > 1) return l.Narrow(1, t - 1, 1).Contiguous().Reshape(rows, n); // last position only (LM head)
        throw new InvalidOperationException($"{state.Linear.ModulePath}: input has {rows} rows but the X-LoRA scalings cover {b}×{t} tokens");
    }

    private Tensor PerExpert(XLoraModuleState state, Tensor x2, Tensor lambda, bool train)
    {
        Tensor? sum = null;
        foreach (var (column, branch) in state.Experts)
        {
            var input = train && branch.Dropout > 0f && branch.DropoutRng is { } rng ? Ops.Dropout(x2, branch.Dropout, rng) : x2;
            var h = Ops.Linear(input, branch.Module.A);                                     // [N, r]
            var li = lambda.Narrow(1, column, 1);                                          // [N, 1]
            var hs = Ops.Mul(Ops.Mul(h, li), _g * branch.Module.Scaling);                  // [N, r]
            var d = Ops.Linear(hs, branch.Module.B);                                        // [N, out]
            sum = sum is null ? d : Ops.Add(sum, d);
        }
        return sum!;
    }

    /// <summary>No-gradient top-k path: per expert, only the rows where its weight is nonzero are computed and added into y.</summary>
    private Tensor AddSparse(XLoraModuleState state, Tensor x2, Tensor lambda, Tensor y, int outF)
    {
        var yc = y.IsContiguous ? y : y.Contiguous();
        var ys = yc.Span;                                                                  // [N·out]
        var lam = lambda.ToArray();                                                        // [N·n]
        int rows = x2.Size(0), n = state.ExpertCount;
        var picked = new List<int>(rows);
        foreach (var (column, branch) in state.Experts)
        {
            picked.Clear();
            for (int j = 0; j < rows; j++)
            {
                if (lam[j * n + column] != 0f) picked.Add(j);
            }
            if (picked.Count == 0) continue;
            using var scope = TensorScope.Begin();
            var xi = picked.Count == rows ? x2 : Ops.IndexSelect(x2, 0, Tensor.FromInts([.. picked], new Shape(picked.Count)));  // [m, in]
            var h = Ops.Linear(xi, branch.Module.A);                                        // [m, r]
            var hs = h.Span;
            int r = branch.Module.Rank;
            for (int m = 0; m < picked.Count; m++)
            {
                float wgt = _g * branch.Module.Scaling * lam[picked[m] * n + column];
                for (int k = 0; k < r; k++) hs[m * r + k] *= wgt;
            }
            var d = Ops.Linear(h, branch.Module.B).Span;                                    // [m, out]
            for (int m = 0; m < picked.Count; m++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(ys.Slice(picked[m] * outF, outF), d.Slice(m * outF, outF), ys.Slice(picked[m] * outF, outF));
            }
        }
        return yc;
    }
}
