// Results of the naive-summation study: rows per (seed, combination), fits, and the markdown/JSON/SVG renderers.
using System.Globalization;
using System.Text;
using System.Text.Json;
using ExpertMix.Models;

namespace ExpertMix.Adapters.Study;

/// <summary>One combination of domains (a pair or all of them) for one seed and objective.</summary>
/// <param name="Seed">Training seed.</param>
/// <param name="Domains">The combined domains.</param>
/// <param name="SinglePerplexity">Each single adapter on its own domain's test set.</param>
/// <param name="BasePerplexity">The base model on the union of the domains' test sets.</param>
/// <param name="JointPerplexity">The adapter trained on the concatenated data, on the union.</param>
/// <param name="DeltaSumPerplexity">Σ ΔWᵢ (every single attached at weight 1), on the union.</param>
/// <param name="FactorSumPerplexity">(Σ Bᵢ)(Σ sᵢAᵢ), on the union.</param>
/// <param name="DeltaSumVsJointPercent">100·(PPL_delta-sum − PPL_joint)/PPL_joint.</param>
/// <param name="FactorSumVsJointPercent">100·(PPL_factor-sum − PPL_joint)/PPL_joint.</param>
/// <param name="CommonModules">Modules both adapters of a pair adapt.</param>
/// <param name="RmsCosine">sqrt(mean over common modules of cos²(ΔWᵢ, ΔWⱼ)); mean over pairs for more than two domains.</param>
/// <param name="GlobalCosine">Σ⟨ΔWᵢ,ΔWⱼ⟩ / sqrt(Σ‖ΔWᵢ‖² Σ‖ΔWⱼ‖²) (mean over pairs).</param>
/// <param name="RawParameterCosine">Cosine of the raw [vec A; vec B] vectors (mean over pairs).</param>
/// <param name="RmsToFloor">RMS cosine ÷ the random floor √(2/π)/√(mn) (mean over pairs).</param>
/// <param name="FactorSumError">Composition error ‖ΔW_factor-sum − ΣΔWᵢ‖/‖ΣΔWᵢ‖ over modules.</param>
/// <param name="CatVsDeltaSumMaxLogitDiff">max |logits(cat) − logits(delta-sum)| on the first test batch (exactness check).</param>
internal sealed record SummationRow(
    ulong Seed, IReadOnlyList<string> Domains, IReadOnlyDictionary<string, double> SinglePerplexity, double BasePerplexity, double JointPerplexity,
    double DeltaSumPerplexity, double FactorSumPerplexity, double DeltaSumVsJointPercent, double FactorSumVsJointPercent, int CommonModules,
    double RmsCosine, double GlobalCosine, double RawParameterCosine, double RmsToFloor, double FactorSumError, double CatVsDeltaSumMaxLogitDiff)
{
    /// <summary>"a + b".</summary>
    public string Label => string.Join(" + ", Domains);
}

/// <summary>The table and fits of one objective.</summary>
/// <param name="Objective">Which objective/protocol.</param>
/// <param name="BasePerplexity">The base model on each domain's test set.</param>
/// <param name="Rows">Every combination × seed.</param>
/// <param name="DeltaSumFit">Pearson r and slope of delta-sum ΔPPL% on RMS cosine over the pair rows of every seed.</param>
/// <param name="FactorSumFit">The same for factor-sum.</param>
internal sealed record ObjectiveResult(StudyObjective Objective, IReadOnlyDictionary<string, double> BasePerplexity, IReadOnlyList<SummationRow> Rows,
    CorrelationResult DeltaSumFit, CorrelationResult FactorSumFit);

/// <summary>The whole study.</summary>
/// <param name="Options">What was run.</param>
/// <param name="Model">Architecture and parameter summary of the base.</param>
/// <param name="Targets">The resolved target modules.</param>
/// <param name="AdaptedModules">Modules per adapter.</param>
/// <param name="AdapterParameters">Trainable parameters per adapter.</param>
/// <param name="Domains">Rows per domain.</param>
/// <param name="Objectives">One result per objective.</param>
/// <param name="Seconds">Wall time.</param>
internal sealed record SummationReport(SummationStudyOptions Options, string Model, string Targets, int AdaptedModules, long AdapterParameters,
    IReadOnlyList<DomainSize> Domains, IReadOnlyList<ObjectiveResult> Objectives, double Seconds)
{
    private static readonly ObjectJsonOptions Json = new(JsonNamingPolicy.SnakeCaseLower, EnumJson.SnakeCaseNames, NonFiniteJson.NamedLiterals, Indented: true);

    /// <summary>report.json: the recipe, the domain sizes and every number of every row.</summary>
    public string ToJson()
    {
        var o = Options;
        var doc = new
        {
            Model,
            ModelDirectory = o.ModelDirectory,
            Recipe = new
            {
                o.Rank, o.Alpha, Targets, AdaptedModules, AdapterParameters, o.Dropout, o.Steps, o.BatchSize, o.MaxLength, o.LearningRate, o.WeightDecay,
                o.Seeds, Init = o.Init.ToString().ToLowerInvariant(), o.SplitSeed, o.MaxTrainRows, o.MaxTestRows, o.FaithfulEvalRows, o.FaithfulEvalLength, o.EvalBatchSize,
            },
            Domains,
            Objectives = Objectives.Select(r => new
            {
                r.Objective,
                r.BasePerplexity,
                Rows = r.Rows.Select(x => new
                {
                    x.Seed, x.Domains, x.SinglePerplexity, x.BasePerplexity, x.JointPerplexity, x.DeltaSumPerplexity, x.FactorSumPerplexity,
                    x.DeltaSumVsJointPercent, x.FactorSumVsJointPercent, x.CommonModules, x.RmsCosine, x.GlobalCosine, x.RawParameterCosine, x.RmsToFloor,
                    x.FactorSumError, x.CatVsDeltaSumMaxLogitDiff,
                }),
                r.DeltaSumFit,
                r.FactorSumFit,
            }),
            Seconds = Math.Round(Seconds, 1),
        };
        return ObjectJson.Serialize(doc, Json);
    }

    /// <summary>The paper-style tables (per seed and mean over seeds) and the correlation lines, per objective.</summary>
    public string ToMarkdown()
    {
        var o = Options;
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Base `{Model}` (`{o.ModelDirectory}`); LoRA r = {o.Rank}, α = {o.Alpha}, targets {Targets} ({AdaptedModules} modules, {AdapterParameters:N0} parameters), dropout {o.Dropout}; "
            + $"{o.Steps} steps × batch {o.BatchSize} (joint: k × {o.BatchSize}) × {o.MaxLength} tokens, lr {o.LearningRate}, weight decay {o.WeightDecay}; seeds {string.Join(", ", o.Seeds)}; A init {o.Init.ToString().ToLowerInvariant()}; {Seconds:F0} s.");
        sb.AppendLine();
        sb.AppendLine("| domain | file | rows | train | validation | test |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var d in Domains) sb.AppendLine(CultureInfo.InvariantCulture, $"| {d.Name} | {Path.GetFileName(d.File)} | {d.Rows} | {d.Train} | {d.Validation} | {d.Test} |");
        foreach (var r in Objectives)
        {
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"### Objective: {r.Objective.ToString().ToLowerInvariant()} ({Describe(r.Objective)})");
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"Base perplexity per domain: {string.Join(", ", r.BasePerplexity.Select(p => $"{p.Key} {F(p.Value)}"))}.");
            sb.AppendLine();
            sb.AppendLine("| domains | ΔPPL% delta-sum (mean ± sd) | ΔPPL% factor-sum | PPL joint | PPL delta-sum | PPL factor-sum | PPL base | RMS cos | ÷ floor | global cos | raw cos | factor-sum E |");
            sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var g in r.Rows.GroupBy(x => x.Label))
            {
                var x = g.ToList();
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {g.Key} | {MeanSd(x, v => v.DeltaSumVsJointPercent, P)} | {MeanSd(x, v => v.FactorSumVsJointPercent, P)} | {F(x.Average(v => v.JointPerplexity))} | "
                    + $"{F(x.Average(v => v.DeltaSumPerplexity))} | {F(x.Average(v => v.FactorSumPerplexity))} | {F(x[0].BasePerplexity)} | {G(x.Average(v => v.RmsCosine))} | {G(x.Average(v => v.RmsToFloor))} | "
                    + $"{G(x.Average(v => v.GlobalCosine))} | {G(x.Average(v => v.RawParameterCosine))} | {G(x.Average(v => v.FactorSumError))} |");
            }
            sb.AppendLine();
            sb.AppendLine("<details><summary>Per seed</summary>");
            sb.AppendLine();
            sb.AppendLine("| seed | domains | PPL single (own test) | PPL joint | PPL delta-sum | PPL factor-sum | ΔPPL% delta-sum | ΔPPL% factor-sum | RMS cos | cat − delta-sum max |logit| |");
            sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
            foreach (var x in r.Rows)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {x.Seed} | {x.Label} | {string.Join(", ", x.SinglePerplexity.Select(p => $"{p.Key} {F(p.Value)}"))} | {F(x.JointPerplexity)} | {F(x.DeltaSumPerplexity)} | "
                    + $"{F(x.FactorSumPerplexity)} | {P(x.DeltaSumVsJointPercent)} | {P(x.FactorSumVsJointPercent)} | {G(x.RmsCosine)} | {G(x.CatVsDeltaSumMaxLogitDiff)} |");
            }
            sb.AppendLine();
            sb.AppendLine("</details>");
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"Delta-sum ΔPPL% vs RMS cosine over {r.DeltaSumFit.N} pair points: Pearson r = {G(r.DeltaSumFit.Pearson)} (95% bootstrap CI {G(r.DeltaSumFit.PearsonLow)} … {G(r.DeltaSumFit.PearsonHigh)}), slope {G(r.DeltaSumFit.Slope)} %-points per unit cosine (CI {G(r.DeltaSumFit.SlopeLow)} … {G(r.DeltaSumFit.SlopeHigh)}).");
            sb.AppendLine(CultureInfo.InvariantCulture, $"Factor-sum: Pearson r = {G(r.FactorSumFit.Pearson)} (CI {G(r.FactorSumFit.PearsonLow)} … {G(r.FactorSumFit.PearsonHigh)}), slope {G(r.FactorSumFit.Slope)}.");
        }
        return sb.ToString();
    }

    /// <summary>ΔPPL% against RMS cosine for the pair rows of <paramref name="result"/> (delta-sum and factor-sum), with the delta-sum fit line.</summary>
    public static string Scatter(ObjectiveResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var pairs = result.Rows.Where(x => x.Domains.Count == 2).ToList();
        var points = pairs.Select(x => new ScatterPoint(x.RmsCosine, x.DeltaSumVsJointPercent, $"{x.Label} (seed {x.Seed})", "delta-sum"))
            .Concat(pairs.Select(x => new ScatterPoint(x.RmsCosine, x.FactorSumVsJointPercent, $"{x.Label} (seed {x.Seed})", "factor-sum"))).ToList();
        var fit = double.IsFinite(result.DeltaSumFit.Slope) ? (result.DeltaSumFit.Intercept, result.DeltaSumFit.Slope) : ((double, double)?)null;
        return SvgScatter.Render(points, $"Summation vs joint training ({result.Objective.ToString().ToLowerInvariant()} objective), r = {G(result.DeltaSumFit.Pearson)}",
            "RMS cosine of the pair's LoRA deltas", "ΔPPL% (sum vs joint)", fit);
    }

    private static string Describe(StudyObjective o) => o == StudyObjective.Standard
        ? "causal LM on prompt + completion, loss on completion tokens; token-weighted PPL over the test sets"
        : "the paper scripts' prompt→completion alignment without masking; 50-row protocol, exp(mean batch loss)";

    private static string MeanSd(List<SummationRow> rows, Func<SummationRow, double> f, Func<double, string> format)
    {
        double m = rows.Average(f);
        if (rows.Count < 2) return format(m);
        double sd = Math.Sqrt(rows.Sum(x => (f(x) - m) * (f(x) - m)) / (rows.Count - 1));
        return $"{format(m)} ± {sd.ToString("F2", CultureInfo.InvariantCulture)}";
    }

    private static string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);

    private static string P(double v) => v.ToString("+0.00;-0.00", CultureInfo.InvariantCulture) + "%";

    private static string G(double v) => double.IsNaN(v) ? "–" : v.ToString("G3", CultureInfo.InvariantCulture);
}
