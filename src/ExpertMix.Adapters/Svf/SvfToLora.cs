// SVF → LoRA by exact Eckart–Young truncation of ΔW = U diag(d) Vᵀ (spec §10).
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Merging;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Svf;

/// <summary>How the kept singular values are split between the LoRA factors.</summary>
internal enum SvfLoraSplit
{
    /// <summary>B = U_K diag(d_K) [out, k], A = V_Kᵀ [k, in] (the spec's conversion).</summary>
    Exact,

    /// <summary>B = U_K diag(sgn(d)·√|d|), A = diag(√|d|) V_Kᵀ (balanced, for further training).</summary>
    Balanced,
}

/// <summary>What the truncation of one matrix kept and lost.</summary>
/// <param name="ModulePath">The module.</param>
/// <param name="Rank">k kept.</param>
/// <param name="FullRank">r = min(out, in).</param>
/// <param name="FrobeniusError">‖ΔW − BA‖_F = sqrt(Σ_{i∉K} d_i²).</param>
/// <param name="SpectralError">‖ΔW − BA‖_2 = max_{i∉K} |d_i|.</param>
/// <param name="RelativeError">sqrt(Σ_{i∉K} d_i² / Σ_i d_i²) (0 when ΔW = 0).</param>
/// <param name="TailEnergy">Relative tail energy after keeping the j largest |d_i|, for j = 0..r (TailEnergy[0] = 1).</param>
internal sealed record SvfLoraModuleReport(string ModulePath, int Rank, int FullRank, double FrobeniusError, double SpectralError, double RelativeError, double[] TailEnergy);

/// <summary>A converted adapter (owned by the caller) and the per-matrix truncation report.</summary>
/// <param name="Adapter">The PEFT LoRA adapter (r = lora_alpha = k per module, scaling 1).</param>
/// <param name="Modules">One report per converted matrix.</param>
internal sealed record SvfLoraConversion(LoraAdapter Adapter, IReadOnlyList<SvfLoraModuleReport> Modules);

/// <summary>
/// Converts SVF masks to a standard LoRA adapter. Per matrix ΔW = W' − W = U diag(d) Vᵀ with d_i = σ_i(c·z_i − 1),
/// c = Σσ/Σσ⊙z; since U, V have orthonormal columns this is an SVD of ΔW, so keeping the k largest |d_i| (set K) is
/// optimal for every k (Eckart–Young): ‖ΔW − BA‖_F² = Σ_{i∉K} d_i², ‖ΔW − BA‖_2 = max_{i∉K} |d_i|. k is chosen per
/// matrix by <see cref="RankSelection"/> (a budget, or the smallest k with relative tail energy ≤ ε²). Data-free.
/// </summary>
internal static class SvfToLora
{
    /// <summary>
    /// Converts the masks <paramref name="zByParam"/> (HF parameter name → z [r]) over <paramref name="basis"/> into a
    /// LoRA adapter named <paramref name="name"/>. <paramref name="conv1D"/> marks a GPT-2 base (PEFT
    /// <c>fan_in_fan_out = true</c>; the factors stay in HF [out, in] orientation, as <see cref="LoraModule"/> expects).
    /// </summary>
    /// <exception cref="ArgumentException">No masks, or a mask of the wrong length (named).</exception>
    public static SvfLoraConversion Convert(SvfBasis basis, IReadOnlyDictionary<string, float[]> zByParam, RankSelection select, string name, bool conv1D, SvfLoraSplit split = SvfLoraSplit.Exact)
    {
        ArgumentNullException.ThrowIfNull(basis);
        ArgumentNullException.ThrowIfNull(zByParam);
        ArgumentNullException.ThrowIfNull(select);
        if (zByParam.Count == 0) throw new ArgumentException("SVF → LoRA: no SVF masks to convert");
        var modules = new List<LoraModule>();
        var reports = new List<SvfLoraModuleReport>();
        var ranks = new List<KeyValuePair<string, int>>();
        var alphas = new List<KeyValuePair<string, float>>();
        try
        {
            foreach (var mb in basis.Matrices)
            {
                if (!zByParam.TryGetValue(mb.ParamName, out var z)) continue;
                if (z.Length != mb.Rank) throw new ArgumentException($"SVF → LoRA: z of {mb.ParamName} has {z.Length} entries, expected {mb.Rank}");
                var d = Deltas(mb.S.Span, z);                                                // [r]
                var (module, report) = Truncate(mb, d, select, split);
                modules.Add(module);
                reports.Add(report);
                ranks.Add(new(mb.ModulePath, report.Rank));
                alphas.Add(new(mb.ModulePath, report.Rank));
            }
            if (modules.Count == 0) throw new ArgumentException($"SVF → LoRA: none of the {zByParam.Count} masks names a matrix of the basis");
            int common = ranks.GroupBy(x => x.Value).OrderByDescending(g => g.Count()).First().Key;
            var config = new LoraConfig
            {
                Rank = common,
                Alpha = common,
                TargetModules = TargetModules.List(modules.Select(m => m.ModulePath)),
                RankPattern = ranks.Where(x => x.Value != common).ToList(),
                AlphaPattern = alphas.Where(x => (int)x.Value != common).ToList(),
                FanInFanOut = conv1D,
                BaseModelNameOrPath = basis.BaseModel.Length > 0 ? basis.BaseModel : null,
            };
            return new SvfLoraConversion(new LoraAdapter(name, config, modules), reports);
        }
        catch
        {
            foreach (var m in modules) m.Dispose();
            throw;
        }
    }

    /// <summary>Converts the masks currently installed in <paramref name="host"/> (matrices without a mask are skipped).</summary>
    public static SvfLoraConversion Convert(SvfHost host, RankSelection select, string name, SvfLoraSplit split = SvfLoraSplit.Exact)
    {
        ArgumentNullException.ThrowIfNull(host);
        var zs = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var l in host.Linears)
        {
            if (l.CurrentZ() is { } z) zs[l.Basis.ParamName] = z;
        }
        bool conv1D = host.Linears.Any(l => l.Base is Nn.Conv1DLinear);
        return Convert(host.Basis, zs, select, name, conv1D, split);
    }

    /// <summary>d_i = σ_i(c·z_i − 1) in f64 with c = Σσ/Σσ⊙z.</summary>
    public static double[] Deltas(ReadOnlySpan<float> sigma, ReadOnlySpan<float> z)
    {
        double c = SvfMath.Renormalisation(sigma, z);
        var d = new double[sigma.Length];
        for (int i = 0; i < d.Length; i++) d[i] = sigma[i] * ((c * z[i]) - 1);
        return d;
    }

    private static (LoraModule Module, SvfLoraModuleReport Report) Truncate(SvfMatrixBasis mb, double[] d, RankSelection select, SvfLoraSplit split)
    {
        int r = d.Length, m = mb.Rows, n = mb.Cols;
        var order = Enumerable.Range(0, r).OrderByDescending(i => Math.Abs(d[i])).ThenBy(i => i).ToArray();
        var sortedAbs = order.Select(i => Math.Abs(d[i])).ToArray();
        double total = sortedAbs.Sum(x => x * x);
        int k = Math.Min(select.Choose(sortedAbs, total), r);
        var tail = new double[r + 1];                                                        // relative tail energy after keeping j
        double kept = 0;
        for (int j = 0; j <= r; j++)
        {
            tail[j] = total > 0 ? Math.Max(total - kept, 0) / total : 0;
            if (j < r) kept += sortedAbs[j] * sortedAbs[j];
        }
        double tailSq = 0, spectral = 0;
        for (int j = k; j < r; j++)
        {
            tailSq += sortedAbs[j] * sortedAbs[j];
            spectral = Math.Max(spectral, sortedAbs[j]);
        }
        var u = mb.U.Span;                                                                   // [m, r]
        var v = mb.V.Span;                                                                   // [n, r]
        var b = new float[m * k];                                                            // B [m, k]
        var a = new float[k * n];                                                            // A [k, n]
        for (int j = 0; j < k; j++)
        {
            int i = order[j];
            double bScale = split == SvfLoraSplit.Exact ? d[i] : Math.Sign(d[i]) * Math.Sqrt(Math.Abs(d[i]));
            double aScale = split == SvfLoraSplit.Exact ? 1 : Math.Sqrt(Math.Abs(d[i]));
            for (int row = 0; row < m; row++) b[(row * k) + j] = (float)(u[(row * r) + i] * bScale);
            for (int col = 0; col < n; col++) a[(j * n) + col] = (float)(v[(col * r) + i] * aScale);
        }
        var at = TensorScope.Forget(Tensor.FromArray(a, new Shape(k, n)));                  // [k, in]
        var bt = TensorScope.Forget(Tensor.FromArray(b, new Shape(m, k)));                  // [out, k]
        var module = new LoraModule(mb.ModulePath, at, bt, 1f);
        var report = new SvfLoraModuleReport(mb.ModulePath, k, r, Math.Sqrt(tailSq), spectral, total > 0 ? Math.Sqrt(tailSq / total) : 0, tail);
        return (module, report);
    }
}
