// LoRA composition on dense deltas: PEFT's svd family, mergekit's generalized task arithmetic and slerp; output configs.
using System.Text.RegularExpressions;
using ExpertMix.Adapters.Lora;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Merging;

public static partial class LoraMerger
{
    // PEFT svd / *_svd: the dense combination (or, for plain svd, the factorised target) then a rank-k truncated SVD.
    private static (float[] B, float[] A, int Rank) PeftSvdModule(ModuleContributions m, MergeMethod method, MergeOptions options, int rank)
    {
        bool compat = options.SvdScaling == SvdScaling.PeftCompat;
        var select = RankSelection.Rank(rank);
        SvdFactors svd;
        if (method == MergeMethod.PeftSvd)
        {
            // exact: Σ w_i s_i B_i A_i; PEFT: task_arithmetic(ΔW_i, w_i s_i) = Σ w_i s_i² B_i A_i
            var terms = m.Items.Select(c => c.Term(c.Weight * c.Scaling * (compat ? c.Scaling : 1), m.OutFeatures, m.InFeatures)).ToList();
            svd = TruncatedSvd.FromFactors(terms, m.OutFeatures, m.InFeatures, select);
        }
        else
        {
            var deltas = m.Items.Select(c => Delta(m, c)).ToArray();
            var w = m.Items.Select(c => c.Weight * (compat ? c.Scaling : 1)).ToArray();
            var rescale = options.Rescale ?? RescaleMode.InverseProb;
            Rng[] R() => m.Items.Select(c => Sparsification.MaskRng(options.Seed, m.Path, c.AdapterIndex)).ToArray();
            var dense = method switch
            {
                MergeMethod.PeftTiesSvd => PeftMergeFunctions.Ties(deltas, w, options.Density, options.SignElection),
                MergeMethod.PeftDareLinearSvd => PeftMergeFunctions.DareLinear(deltas, w, options.Density, R(), rescale),
                MergeMethod.PeftDareTiesSvd => PeftMergeFunctions.DareTies(deltas, w, options.Density, options.SignElection, R(), rescale),
                MergeMethod.PeftMagnitudePruneSvd => PeftMergeFunctions.MagnitudePrune(deltas, w, options.Density),
                _ => throw new ArgumentException($"{MergeMethodInfo.NameOf(method)} is not a PEFT svd method"),
            };
            svd = TruncatedSvd.FromDense(dense, m.OutFeatures, m.InFeatures, select);
        }
        if (options.SvdClamp is { } q) TruncatedSvd.Clamp(svd.B, svd.A, q);
        return (svd.B, svd.A, svd.Rank);
    }

    // mergekit generalized task arithmetic on τ_i = ΔW_i.
    private static float[] GtaModule(ModuleContributions m, GtaSettings settings, MergeOptions options)
    {
        var taus = new float[m.Items.Count][];
        for (int k = 0; k < m.Items.Count; k++)
        {
            var c = m.Items[k];
            var tau = Delta(m, c);
            bool random = settings.Sparsifier is Sparsifier.Random or Sparsifier.DellaMagprune;
            taus[k] = settings.Sparsifier == Sparsifier.None || c.Density >= 1
                ? tau
                : Sparsification.Apply(tau, m.OutFeatures, m.InFeatures, settings.Sparsifier, c.Density, settings.Rescale,
                    random ? Sparsification.MaskRng(options.Seed, m.Path, c.AdapterIndex) : null, options.Gamma, options.Epsilon);
        }
        return MergekitFunctions.Combine(taus, m.Items.Select(c => c.Weight).ToArray(), settings.Consensus, settings.Normalize, options.Lambda);
    }

    // slerp of τ_1 = w_1 ΔW_1 and τ_2 = w_2 ΔW_2 (a missing module is 0).
    private static float[] SlerpModule(ModuleContributions m, double t)
    {
        int n = m.OutFeatures * m.InFeatures;
        var tau = new float[2][];
        foreach (var c in m.Items)
        {
            var d = Delta(m, c);
            float w = (float)c.Weight;
            for (int i = 0; i < n; i++) d[i] *= w;
            tau[c.AdapterIndex] = d;
        }
        return MergekitFunctions.Slerp(tau[0] ?? new float[n], tau[1] ?? new float[n], t);
    }

    // ΔW_i = s_i·B_i·A_i [out, in] in f32.
    private static float[] Delta(ModuleContributions m, Contribution c)
        => DenseKernels.Delta(c.B, c.A, m.OutFeatures, c.Rank, m.InFeatures, (float)c.Scaling);

    /// <summary>
    /// The config of a merged adapter with per-module ranks <paramref name="ranks"/>: r = lora_alpha = the most common
    /// rank, per-module exceptions in rank_pattern/alpha_pattern (escaped full paths) so every scaling is exactly 1,
    /// use_rslora false. Targets: the union of the inputs' suffix lists when all are plain lists, else the module paths.
    /// </summary>
    internal static LoraConfig OutputConfig(IReadOnlyList<LoraConfig> inputs, IReadOnlyDictionary<string, int> ranks)
    {
        var first = inputs.Count > 0 ? inputs[0] : null;
        int common = ranks.Values.GroupBy(r => r).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).Select(g => g.Key).FirstOrDefault(1);
        var exceptions = ranks.Where(p => p.Value != common).OrderBy(p => p.Key, StringComparer.Ordinal).ToArray();
        bool plainLists = inputs.Count > 0 && inputs.All(c => c.TargetModules.Names is not null && c.ExcludeModules is null && c.LayersToTransform is not { Count: > 0 });
        var targets = plainLists
            ? TargetModules.List(inputs.SelectMany(c => c.TargetModules.Names!))
            : TargetModules.List(ranks.Keys);
        return new LoraConfig
        {
            Rank = common,
            Alpha = common,
            UseRsLora = false,
            Dropout = first?.Dropout ?? 0,
            TargetModules = targets,
            RankPattern = exceptions.Select(p => KeyValuePair.Create(Regex.Escape(p.Key), p.Value)).ToArray(),
            AlphaPattern = exceptions.Select(p => KeyValuePair.Create(Regex.Escape(p.Key), (float)p.Value)).ToArray(),
            FanInFanOut = first?.FanInFanOut ?? false,
            Init = LoraInit.Default,
            BaseModelNameOrPath = first?.BaseModelNameOrPath,
            Revision = first?.Revision,
            TaskType = first?.TaskType ?? "CAUSAL_LM",
        }.Validate();
    }
}
