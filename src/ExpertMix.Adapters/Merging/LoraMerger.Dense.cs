// LoRA composition on dense deltas: PEFT's svd family, mergekit's generalized task arithmetic and slerp; output configs.
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using ExpertMix.Adapters.Lora;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Merging;

internal static partial class LoraMerger
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

    // mergekit generalized task arithmetic on τ_i = ΔW_i; the error is against T = Σ w_i τ_i from the f32 deltas.
    private static (float[] Delta, double ErrSq, double TargetSq) GtaModule(ModuleContributions m, GtaSettings settings, MergeOptions options)
    {
        int outF = m.OutFeatures, inF = m.InFeatures, k = m.Items.Count;
        var w = m.Items.Select(c => (float)c.Weight).ToArray();
        bool normalize = settings.Normalize == NormalizeMode.SumOfWeights;
        float lambda = (float)options.Lambda;
        var y = new float[outF * inF];
        if (settings.Sparsifier == Sparsifier.None || m.Items.All(c => c.Density >= 1))
        {
            // no sparsifier: stream blocks of rows of every τ_i through the cache, never storing a whole τ_i
            const int Rows = 8;
            var buf = Enumerable.Range(0, k).Select(_ => new float[Rows * inF]).ToArray();
            double err = 0, tgt = 0;
            for (int o0 = 0; o0 < outF; o0 += Rows)
            {
                int rows = Math.Min(Rows, outF - o0);
                for (int i = 0; i < k; i++)
                {
                    var c = m.Items[i];
                    DenseKernels.DeltaRows(c.B, c.A, o0, rows, c.Rank, inF, (float)c.Scaling, buf[i]);
                }
                var (e, t) = CombineKernel.Run(buf, 0, w, settings.Consensus, normalize, lambda, y, o0 * inF, rows * inF);
                err += e;
                tgt += t;
            }
            return (y, err, tgt);
        }
        var deltas = new float[k][];
        var taus = new float[k][];
        var target = new float[outF * inF];
        for (int i = 0; i < k; i++)
        {
            var c = m.Items[i];
            deltas[i] = Delta(m, c);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(deltas[i], w[i], target, target);
            bool random = settings.Sparsifier is Sparsifier.Random or Sparsifier.DellaMagprune;
            taus[i] = c.Density >= 1
                ? deltas[i]
                : Sparsification.Apply(deltas[i], outF, inF, settings.Sparsifier, c.Density, settings.Rescale,
                    random ? Sparsification.MaskRng(options.Seed, m.Path, c.AdapterIndex) : null, options.Gamma, options.Epsilon);
        }
        var (err2, tgt2) = CombineKernel.Run(taus, 0, w, settings.Consensus, normalize, lambda, y, 0, y.Length, target);
        return (y, err2, tgt2);
    }

    // slerp of τ_1 = w_1 ΔW_1 and τ_2 = w_2 ΔW_2 (a missing module is 0); T = τ_1 + τ_2.
    private static (float[] Delta, double ErrSq, double TargetSq) SlerpModule(ModuleContributions m, double t)
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
        tau[0] ??= new float[n];
        tau[1] ??= new float[n];
        var y = MergekitFunctions.Slerp(tau[0], tau[1], t);
        var (err, tgt) = ErrorAgainstDeltas(y, tau, [1, 1]);
        return (y, err, tgt);
    }

    // (‖y − T‖², ‖T‖²) with T = Σ w_i d_i accumulated in f64 from the f32 deltas (their own rounding is ~1e-7 relative).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double ErrSq, double TargetSq) ErrorAgainstDeltas(float[] y, float[][] deltas, double[] w)
    {
        double err = 0, tgt = 0;
        int k = deltas.Length;
        for (int e = 0; e < y.Length; e++)
        {
            double t = 0;
            for (int i = 0; i < k; i++) t += w[i] * deltas[i][e];
            double d = y[e] - t;
            err += d * d;
            tgt += t * t;
        }
        return (err, tgt);
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
