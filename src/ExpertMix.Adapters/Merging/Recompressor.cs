// Re-compression (docs §3.5): dense merged deltas → a LoRA adapter by truncated SVD, with the error it costs.
using ExpertMix.Adapters.Lora;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Merging;

/// <summary>A re-compressed adapter and its error against the dense deltas it approximates.</summary>
/// <param name="Adapter">Scaling-1 adapter with B = U_k·diag(σ_k), A = V_kᵀ per module (caller owns it).</param>
/// <param name="Error">‖B·A − ΔW‖_F / ‖ΔW‖_F per module (Dense: from the discarded singular values) and in aggregate.</param>
/// <param name="TargetError">When re-compressing a <see cref="MergeResult"/>: ‖B·A − T‖_F / ‖T‖_F against the merge's
/// target T = Σ w_i s_i B_i A_i (Gram traces), i.e. the composition error of the final adapter; otherwise null.</param>
internal sealed record RecompressResult(LoraAdapter Adapter, CompositionErrorReport Error, CompositionErrorReport? TargetError = null);

/// <summary>Turns dense ΔW [out, in] per module into a LoRA adapter by exact truncated SVD.</summary>
internal static class Recompressor
{
    /// <summary>
    /// Truncated SVD of every ΔW in <paramref name="dense"/> with the rank chosen by <paramref name="selection"/>
    /// (a budget, or the smallest rank meeting a relative error). The error is sqrt(Σ_{i>k} σ_i²)/‖ΔW‖_F per module.
    /// </summary>
    /// <param name="dense">ΔW [out, in] by HF module path.</param>
    /// <param name="selection">Rank budget or target relative error.</param>
    /// <param name="name">Name of the adapter.</param>
    /// <param name="template">Optional config to copy base-model fields and fan_in_fan_out from.</param>
    /// <exception cref="ArgumentException">Empty input or a tensor that is not 2-D.</exception>
    public static RecompressResult Recompress(IReadOnlyDictionary<string, Tensor> dense, RankSelection selection, string name = "recompressed",
        LoraConfig? template = null)
    {
        ArgumentNullException.ThrowIfNull(dense);
        ArgumentNullException.ThrowIfNull(selection);
        if (dense.Count == 0) throw new ArgumentException("nothing to re-compress: no dense deltas");
        var modules = new List<LoraModule>(dense.Count);
        var errors = new List<ModuleCompositionError>(dense.Count);
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            foreach (var (path, t) in dense.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (t.Rank != 2) throw new ArgumentException($"{path}: dense delta {t.Shape} must be 2-D [out, in]");
                int outF = t.Size(0), inF = t.Size(1);
                var svd = TruncatedSvd.FromDense(t.ToArray(), outF, inF, selection);
                errors.Add(new ModuleCompositionError(path, Math.Sqrt(svd.TailSquared), Math.Sqrt(svd.TotalSquared), ErrorEvaluation.Dense));
                ranks[path] = svd.Rank;
                var ta = Tensor.FromArray(svd.A, new Shape(svd.Rank, inF));  // A = V_kᵀ [k, in]
                var tb = Tensor.FromArray(svd.B, new Shape(outF, svd.Rank)); // B = U_k·diag(σ_k) [out, k]
                modules.Add(new LoraModule(path, ta, tb, 1f));
            }
        }
        catch
        {
            foreach (var m in modules) m.Dispose();
            throw;
        }
        var config = LoraMerger.OutputConfig([], ranks);
        if (template is not null)
        {
            config = config with
            {
                FanInFanOut = template.FanInFanOut,
                BaseModelNameOrPath = template.BaseModelNameOrPath,
                Revision = template.Revision,
                TaskType = template.TaskType,
            };
        }
        return new RecompressResult(new LoraAdapter(name, config, modules), new CompositionErrorReport(errors));
    }

    /// <summary>
    /// Re-compresses a dense <see cref="MergeResult"/>; the error is against its dense deltas (the extra loss on top of
    /// the merge's own composition error).
    /// </summary>
    /// <exception cref="ArgumentException">The result is already an adapter.</exception>
    public static RecompressResult Recompress(MergeResult merged, RankSelection selection, string name = "recompressed", LoraConfig? template = null)
    {
        ArgumentNullException.ThrowIfNull(merged);
        if (merged.DenseDeltas is not { } d) throw new ArgumentException("the merge result is already an adapter; nothing to re-compress");
        var result = Recompress(d, selection, name, template);
        if (merged.Targets is not { } targets) return result;
        var errors = targets.Select(m =>
        {
            var lm = result.Adapter.Modules[m.Path];
            return LoraMerger.FactorisedError(m, lm.B.ToArray(), lm.A.ToArray(), lm.Rank);
        });
        return result with { TargetError = new CompositionErrorReport(errors) };
    }
}
