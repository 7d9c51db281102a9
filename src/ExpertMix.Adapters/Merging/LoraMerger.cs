// LoRA composition: exact (delta-sum, cat), factor-space (factor-sum, PEFT linear/ties/dare/magnitude_prune) and dispatch.
using ExpertMix.Adapters.Lora;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Merging;

/// <summary>
/// Composes LoRA adapters per module (docs/merging-and-orthogonality.md §3). A module targeted by only some
/// adapters receives only their terms. Adapter outputs have scaling 1 (r = lora_alpha, no rsLoRA); every result
/// carries the composition error against T = Σ w_i s_i B_i A_i (§4).
/// </summary>
internal static partial class LoraMerger
{
    /// <summary>Merges <paramref name="inputs"/> with <paramref name="method"/>.</summary>
    /// <exception cref="ArgumentException">Invalid options, no inputs, shapes that disagree, unequal ranks for a method that needs equal ranks, or slerp without exactly two inputs.</exception>
    public static MergeResult Merge(IReadOnlyList<MergeInput> inputs, MergeMethod method, MergeOptions? options = null)
    {
        options = (options ?? new MergeOptions()).Validate();
        var modules = ModuleContributions.Gather(inputs, options.Density);
        var effective = MergeMethodInfo.IsPeft(method) && inputs.Count == 1 ? MergeMethod.PeftLinear : method;
        switch (effective)
        {
            case MergeMethod.DeltaSum:
                return DenseResult(method, effective, modules, DeltaSum);
            case MergeMethod.Cat:
            case MergeMethod.FactorSum:
            case MergeMethod.PeftLinear:
            case MergeMethod.PeftTies:
            case MergeMethod.PeftDareLinear:
            case MergeMethod.PeftDareTies:
            case MergeMethod.PeftMagnitudePrune:
                return AdapterResult(method, effective, inputs, options, modules, m => FactorSpace(m, effective, options));
            case MergeMethod.PeftSvd:
            case MergeMethod.PeftTiesSvd:
            case MergeMethod.PeftDareLinearSvd:
            case MergeMethod.PeftDareTiesSvd:
            case MergeMethod.PeftMagnitudePruneSvd:
            {
                int rank = options.SvdRank ?? inputs.SelectMany(x => x.Adapter.Modules.Values).Max(m => m.Rank);
                return AdapterResult(method, effective, inputs, options, modules, m => PeftSvdModule(m, effective, options, rank));
            }
            case MergeMethod.Slerp:
                if (inputs.Count != 2) throw new ArgumentException($"slerp takes exactly two adapters (got {inputs.Count})");
                return DenseResult(method, effective, modules, m => SlerpModule(m, options.SlerpT));
            default:
            {
                var settings = MergeMethodInfo.ResolveGta(effective, options);
                return DenseResult(method, effective, modules, m => GtaModule(m, settings, options));
            }
        }
    }

    // ---- exact ----------------------------------------------------------------------------------------------------

    // ΔW = T accumulated in f64, rounded once to f32; the error is that rounding.
    private static (float[] Delta, double ErrSq, double TargetSq) DeltaSum(ModuleContributions m)
    {
        var y = new float[m.OutFeatures * m.InFeatures];
        var (err, tgt) = TargetKernel.Run(m.TargetTerms(), m.OutFeatures, m.InFeatures, y, TargetPass.Write);
        return (y, err, tgt);
    }

    // ---- factor space ---------------------------------------------------------------------------------------------

    private static (float[] B, float[] A, int Rank) FactorSpace(ModuleContributions m, MergeMethod method, MergeOptions options)
    {
        int outF = m.OutFeatures, inF = m.InFeatures;
        if (method == MergeMethod.Cat)
        {
            int total = m.Items.Sum(c => c.Rank);
            var b = new float[outF * total];
            var a = new float[total * inF];
            int off = 0;
            foreach (var c in m.Items)
            {
                float f = (float)(c.Weight * c.Scaling);
                for (int o = 0; o < outF; o++) c.B.AsSpan(o * c.Rank, c.Rank).CopyTo(b.AsSpan((o * total) + off, c.Rank));
                for (int j = 0; j < c.Rank * inF; j++) a[(off * inF) + j] = c.A[j] * f;
                off += c.Rank;
            }
            return (b, a, total);
        }
        int r = m.CommonRank(MergeMethodInfo.NameOf(method));
        var listA = m.Items.Select(c => c.A).ToArray();
        var listB = m.Items.Select(c => c.B).ToArray();
        double[] wa, wb;
        if (method == MergeMethod.FactorSum)
        {
            wa = m.Items.Select(c => c.Weight * c.Scaling).ToArray();
            wb = m.Items.Select(_ => 1.0).ToArray();
        }
        else
        {
            // PEFT: a_i = sgn(w_i s_i)·√|w_i s_i| on A, b_i = √|w_i s_i| on B
            wa = m.Items.Select(c =>
            {
                double ws = c.Weight * c.Scaling;
                return ws >= 0 ? Math.Sqrt(ws) : -Math.Sqrt(-ws);
            }).ToArray();
            wb = m.Items.Select(c => Math.Sqrt(Math.Abs(c.Weight * c.Scaling))).ToArray();
        }
        var rescale = options.Rescale ?? RescaleMode.InverseProb;
        float[] F(float[][] xs, double[] w, string part) => method switch
        {
            MergeMethod.FactorSum or MergeMethod.PeftLinear => PeftMergeFunctions.TaskArithmetic(xs, w),
            MergeMethod.PeftMagnitudePrune => PeftMergeFunctions.MagnitudePrune(xs, w, options.Density),
            MergeMethod.PeftTies => PeftMergeFunctions.Ties(xs, w, options.Density, options.SignElection),
            MergeMethod.PeftDareLinear => PeftMergeFunctions.DareLinear(xs, w, options.Density, Rngs(m, options, part), rescale),
            MergeMethod.PeftDareTies => PeftMergeFunctions.DareTies(xs, w, options.Density, options.SignElection, Rngs(m, options, part), rescale),
            _ => throw new ArgumentException($"{MergeMethodInfo.NameOf(method)} is not a factor-space method"),
        };
        return (F(listB, wb, ".lora_B"), F(listA, wa, ".lora_A"), r);
    }

    private static Rng[] Rngs(ModuleContributions m, MergeOptions options, string suffix)
        => m.Items.Select(c => Sparsification.MaskRng(options.Seed, m.Path + suffix, c.AdapterIndex)).ToArray();

    // ---- result assembly ------------------------------------------------------------------------------------------

    private static MergeResult AdapterResult(MergeMethod method, MergeMethod effective, IReadOnlyList<MergeInput> inputs, MergeOptions options,
        List<ModuleContributions> modules, Func<ModuleContributions, (float[] B, float[] A, int Rank)> build)
    {
        var built = ForEachModule(modules, m =>
        {
            var (b, a, r) = build(m);
            return (b, a, r, FactorisedError(m, b, a, r));
        });
        var loraModules = new List<LoraModule>(modules.Count);
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < modules.Count; k++)
        {
            var m = modules[k];
            var (b, a, r, _) = built[k];
            ranks[m.Path] = r;
            var ta = Tensor.FromArray(a, new Shape(r, m.InFeatures));  // A [r, in]
            var tb = Tensor.FromArray(b, new Shape(m.OutFeatures, r)); // B [out, r]
            loraModules.Add(new LoraModule(m.Path, ta, tb, 1f));
        }
        var errors = built.Select(x => x.Item4).ToList();
        var adapter = new LoraAdapter(options.Name, OutputConfig(inputs.Select(x => x.Adapter.Config).ToArray(), ranks), loraModules);
        return new MergeResult(method, effective, adapter, null, new CompositionErrorReport(errors));
    }

    private static MergeResult DenseResult(MergeMethod method, MergeMethod effective, List<ModuleContributions> modules,
        Func<ModuleContributions, (float[] Delta, double ErrSq, double TargetSq)> build)
    {
        var built = ForEachModule(modules, build);
        var dense = new SortedDictionary<string, Tensor>(StringComparer.Ordinal);
        var errors = new List<ModuleCompositionError>(modules.Count);
        for (int k = 0; k < modules.Count; k++)
        {
            var m = modules[k];
            var (y, err, tgt) = built[k];
            built[k] = default;
            errors.Add(new ModuleCompositionError(m.Path, Math.Sqrt(err), Math.Sqrt(tgt), ErrorEvaluation.Dense));
            dense[m.Path] = Tensor.FromArray(y, new Shape(m.OutFeatures, m.InFeatures)); // [out, in]
        }
        return new MergeResult(method, effective, null, dense, new CompositionErrorReport(errors), modules);
    }

    // Runs build on every module, in parallel across modules (each module is independent); rethrows the first error as is.
    private static T[] ForEachModule<T>(List<ModuleContributions> modules, Func<ModuleContributions, T> build)
    {
        var results = new T[modules.Count];
        try
        {
            Parallel.For(0, modules.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, k => results[k] = build(modules[k]));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            throw;
        }
        return results;
    }

    // ‖B·A − T‖ by Gram traces: the difference is [B, −B_1…][A; w_1 s_1 A_1; …].
    internal static ModuleCompositionError FactorisedError(ModuleContributions m, float[] b, float[] a, int rank)
    {
        var target = m.TargetTerms();
        var diff = new List<FactorTerm>(target.Count + 1) { FactorTerm.FromLora(1, b, a, rank, m.OutFeatures, m.InFeatures) };
        diff.AddRange(target.Select(t => t with { Coef = -t.Coef }));
        double err = DenseKernels.FactoredNormSquared(diff, m.OutFeatures, m.InFeatures);
        double tgt = DenseKernels.FactoredNormSquared(target, m.OutFeatures, m.InFeatures);
        return new ModuleCompositionError(m.Path, Math.Sqrt(err), Math.Sqrt(tgt), ErrorEvaluation.GramTrace);
    }
}
