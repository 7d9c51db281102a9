// The typed input of the demo report: run metadata, one row of scores per method, training curves, orthogonality, interference.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Xml;
using ExpertMix.Adapters.Analysis;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Adapters.Study;

namespace ExpertMix.Cli.Demo;

/// <summary>How much the demo trains and evaluates.</summary>
internal enum DemoMode
{
    /// <summary>Small data and few steps (minutes on a laptop).</summary>
    Quick,

    /// <summary>The full recipe.</summary>
    Full,
}

/// <summary>What was run, on what.</summary>
/// <param name="Seed">The seed every phase derives its randomness from.</param>
/// <param name="Mode">Quick or full.</param>
/// <param name="BaseModel">A description of the base model (name, architecture, parameters, dtype).</param>
/// <param name="Machine">A description of the machine (OS, CPU).</param>
/// <param name="Threads">Compute threads used.</param>
internal sealed record DemoRunInfo(ulong Seed, DemoMode Mode, string BaseModel, string Machine, int Threads);

/// <summary>Wall time of one phase of the pipeline.</summary>
/// <param name="Phase">e.g. "train expert:chemistry", "merge", "evaluate".</param>
/// <param name="Seconds">Wall-clock seconds (≥ 0).</param>
internal sealed record DemoTiming(string Phase, double Seconds);

/// <summary>One method on one evaluation set.</summary>
/// <param name="EvaluationSet">A domain name or "cross-domain"; must be one of <see cref="DemoResults.EvaluationSets"/>.</param>
/// <param name="Correct">k, correctly answered items (0 ≤ k ≤ n).</param>
/// <param name="Total">n, evaluated items; 0 means the method was not scored for accuracy on this set.</param>
/// <param name="Perplexity">Token-weighted perplexity exp(Σ nll / Σ tokens) on the set, or null when not measured.</param>
internal sealed record DemoScore(string EvaluationSet, int Correct, int Total, double? Perplexity)
{
    /// <summary>
    /// The accuracy k/n with its Wilson 95% score interval (<see cref="Wilson.Interval(int, int, double)"/>); (0, 0, 1) when
    /// n = 0 or when k is outside [0, n] (which <see cref="DemoResults.Validate"/> rejects).
    /// </summary>
    public AccuracyInterval Interval => Total > 0 && Correct >= 0 && Correct <= Total ? Wilson.Interval(Correct, Total) : new AccuracyInterval(0, 0, 1);

    /// <summary>True when accuracy was measured (n &gt; 0).</summary>
    [JsonIgnore]
    public bool HasAccuracy => Total > 0;
}

/// <summary>One method's scores.</summary>
/// <param name="Method">"base", "expert:chemistry", "merge:ties", "xlora", "t2:prompt", …; unique within the results.</param>
/// <param name="Scores">At most one score per evaluation set; a missing set is shown as "–".</param>
internal sealed record DemoRow(string Method, IReadOnlyList<DemoScore> Scores)
{
    /// <summary>The score on <paramref name="evaluationSet"/>, or null.</summary>
    public DemoScore? Score(string evaluationSet) => Scores.FirstOrDefault(s => string.Equals(s.EvaluationSet, evaluationSet, StringComparison.Ordinal));
}

/// <summary>One logged optimizer step.</summary>
/// <param name="Step">1-based step number (≥ 0).</param>
/// <param name="TrainLoss">Training loss of the step (non-finite values are not drawn).</param>
/// <param name="ValidationLoss">Validation loss evaluated after the step, or null.</param>
internal sealed record DemoCurvePoint(int Step, double TrainLoss, double? ValidationLoss);

/// <summary>The loss curve of one training phase.</summary>
/// <param name="Phase">e.g. "lora:chemistry", "xlora gate", "svf:math".</param>
/// <param name="Points">Points in step order.</param>
internal sealed record DemoCurve(string Phase, IReadOnlyList<DemoCurvePoint> Points)
{
    /// <summary>
    /// The curve in a training run's <c>metrics.jsonl</c> (<c>TrainerMetricsWriter</c>: step lines {"step","loss",…} and
    /// evaluation lines {"step","val_loss",…}; the SVF policy trainer's {"step","loss",…} and {"step","dev_loss",…}).
    /// Points are in step order, one per step; a later line for the same step wins (a resumed run); a null loss (non-finite
    /// when written) becomes NaN; an evaluation without a step line gets a NaN training loss. A torn last line (a crashed
    /// run) is skipped.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line other than the last is not a JSON object with an integer "step" (the message names file and line).</exception>
    public static DemoCurve FromMetricsFile(string phase, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"metrics file '{path}' does not exist", path);
        var lines = File.ReadAllLines(path);
        var points = new SortedDictionary<int, (double Train, double? Validation)>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            JsonObject? o;
            try
            {
                o = JsonNode.Parse(lines[i]) as JsonObject;
            }
            catch (JsonException) when (i == lines.Length - 1)
            {
                break;
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path} line {i + 1}: not JSON ({e.Message})", e);
            }
            if (o?["step"] is not JsonValue sv || !sv.TryGetValue(out int step))
            {
                if (i == lines.Length - 1) break;
                throw new InvalidDataException($"{path} line {i + 1}: expected a JSON object with an integer \"step\"");
            }
            var (train, validation) = points.GetValueOrDefault(step, (double.NaN, null));
            if (o.ContainsKey("loss")) train = Number(o["loss"]);
            if (o.ContainsKey("val_loss")) validation = Number(o["val_loss"]);
            else if (o.ContainsKey("dev_loss")) validation = Number(o["dev_loss"]);
            points[step] = (train, validation);
        }
        return new DemoCurve(phase, points.Select(p => new DemoCurvePoint(p.Key, p.Value.Train, p.Value.Validation)).ToList());
    }

    private static double Number(JsonNode? node) => node is JsonValue v && v.TryGetValue(out double d) ? d : double.NaN;
}

/// <summary>Predicted against measured interference of one merge of experts.</summary>
/// <param name="Domains">The merged experts' domains.</param>
/// <param name="Method">The merge, e.g. "merge:delta-sum".</param>
/// <param name="RmsCosine">Predicted: the RMS cosine sqrt((1/L) Σ_ℓ cos_ℓ²) of the experts' effective deltas (mean over pairs for more than two).</param>
/// <param name="MeasuredPercent">Measured: ΔPPL% = 100·(PPL_merged − PPL_reference)/PPL_reference on the union of the domains' test sets.</param>
/// <param name="Reference">What the merge is compared with, e.g. "joint" (an adapter trained on the concatenated data) or "experts".</param>
internal sealed record DemoInterference(IReadOnlyList<string> Domains, string Method, double RmsCosine, double MeasuredPercent, string Reference)
{
    /// <summary>"a + b".</summary>
    [JsonIgnore]
    public string Label => string.Join(" + ", Domains);

    /// <summary>The delta-sum and factor-sum points of a summation-study row (reference: the joint adapter).</summary>
    public static IReadOnlyList<DemoInterference> FromSummation(SummationRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return
        [
            new DemoInterference(row.Domains, "merge:delta-sum", row.RmsCosine, row.DeltaSumVsJointPercent, "joint"),
            new DemoInterference(row.Domains, "merge:factor-sum", row.RmsCosine, row.FactorSumVsJointPercent, "joint"),
        ];
    }
}

/// <summary>The X-LoRA scalings heatmap of one cross-domain question.</summary>
/// <param name="Prompt">The question whose tokens the heatmap shows.</param>
/// <param name="Svg">The SVG document (as <c>XLoraScalingsSvg.Render</c> or <c>xlora scalings --out</c> produce it).</param>
internal sealed record DemoScalings(string Prompt, string Svg)
{
    /// <summary>Reads the SVG that <c>xlora scalings --out</c> wrote to <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static DemoScalings FromFile(string prompt, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"X-LoRA scalings SVG '{path}' does not exist", path);
        return new DemoScalings(prompt, File.ReadAllText(path));
    }
}

/// <summary>The pairwise orthogonality of the experts (the numbers of <c>lora analyze</c>).</summary>
/// <param name="Adapters">Expert names in matrix order.</param>
/// <param name="Pairs">Pairs (i, j) with i ≤ j by position in <paramref name="Adapters"/> (the diagonal is the self-comparison).</param>
internal sealed record DemoOrthogonality(IReadOnlyList<string> Adapters, IReadOnlyList<PairOrthogonality> Pairs)
{
    /// <summary>The upper triangle (with the diagonal) of <paramref name="matrix"/>.</summary>
    public static DemoOrthogonality FromMatrix(OrthogonalityMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var pairs = new List<PairOrthogonality>();
        for (int i = 0; i < matrix.Count; i++)
        {
            for (int j = i; j < matrix.Count; j++) pairs.Add(matrix[i, j]);
        }
        return new DemoOrthogonality([.. matrix.Names], pairs);
    }

    /// <summary>The off-diagonal pairs (i &lt; j).</summary>
    [JsonIgnore]
    public IEnumerable<PairOrthogonality> CrossPairs => Pairs.Where(p => !string.Equals(p.AdapterI, p.AdapterJ, StringComparison.Ordinal));

    /// <summary>N×N RMS cosines, symmetric; NaN where a pair is missing.</summary>
    public double[,] RmsCosine()
    {
        int n = Adapters.Count;
        var m = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) m[i, j] = double.NaN;
        }
        foreach (var p in Pairs)
        {
            int i = IndexOf(p.AdapterI), j = IndexOf(p.AdapterJ);
            if (i < 0 || j < 0) continue;
            m[i, j] = p.RmsCosine;
            m[j, i] = p.RmsCosine;
        }
        return m;
    }

    private int IndexOf(string name)
    {
        for (int i = 0; i < Adapters.Count; i++)
        {
            if (string.Equals(Adapters[i], name, StringComparison.Ordinal)) return i;
        }
        return -1;
    }
}

/// <summary>Everything <c>expertmix demo</c> measured; the input of <see cref="DemoReportWriter"/> and <see cref="DemoConsole"/>.</summary>
/// <param name="Run">Seed, mode, base model, machine.</param>
/// <param name="EvaluationSets">Column order: each domain, then "cross-domain".</param>
/// <param name="Rows">One row per method, in display order.</param>
/// <param name="Timings">Wall time per phase, in pipeline order.</param>
/// <param name="Curves">Training curves, one per training phase.</param>
/// <param name="Orthogonality">The experts' orthogonality, or null when not measured.</param>
/// <param name="Interference">Predicted vs measured interference per merge (may be empty).</param>
/// <param name="Scalings">The X-LoRA scalings heatmap of the cross-domain question, or null.</param>
internal sealed record DemoResults(
    DemoRunInfo Run, IReadOnlyList<string> EvaluationSets, IReadOnlyList<DemoRow> Rows, IReadOnlyList<DemoTiming> Timings,
    IReadOnlyList<DemoCurve> Curves, DemoOrthogonality? Orthogonality, IReadOnlyList<DemoInterference> Interference, DemoScalings? Scalings)
{
    /// <summary>Σ of <see cref="Timings"/> seconds.</summary>
    public double TotalSeconds => Timings.Sum(t => t.Seconds);

    /// <summary>The dispatch confusion matrix of each Transformer² strategy that classifies questions (may be empty).</summary>
    public IReadOnlyList<DemoDispatch> Dispatch { get; init; } = [];

    /// <summary>Checks the invariants the renderers rely on.</summary>
    /// <exception cref="ArgumentException">
    /// No row or no evaluation set; an empty or duplicate method / evaluation-set / phase name; a score on an unknown or repeated
    /// set; k outside [0, n]; a perplexity that is not finite and &gt; 0; a negative or non-finite timing; a negative step; an
    /// orthogonality pair naming an unknown expert; a non-finite interference value; a scalings SVG that is not well-formed XML
    /// with an &lt;svg&gt; root; a dispatch matrix of an unknown or repeated method, or with bad rows (<see cref="DemoDispatch.Problem"/>).
    /// Each message names the offending item.
    /// </exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Run);
        ArgumentNullException.ThrowIfNull(EvaluationSets);
        ArgumentNullException.ThrowIfNull(Rows);
        ArgumentNullException.ThrowIfNull(Timings);
        ArgumentNullException.ThrowIfNull(Curves);
        ArgumentNullException.ThrowIfNull(Interference);
        if (EvaluationSets.Count == 0) throw Bad("no evaluation sets (expected each domain and \"cross-domain\")");
        if (Rows.Count == 0) throw Bad("no method rows");
        if (Run.Threads < 1) throw Bad($"run threads must be ≥ 1 (got {Run.Threads})");
        Unique(EvaluationSets, "evaluation set");
        Unique(Rows.Select(r => r.Method), "method");
        var sets = EvaluationSets.ToHashSet(StringComparer.Ordinal);
        foreach (var row in Rows)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var s in row.Scores)
            {
                string where = $"method '{row.Method}', evaluation set '{s.EvaluationSet}'";
                if (!sets.Contains(s.EvaluationSet)) throw Bad($"{where}: unknown evaluation set (expected one of {string.Join(", ", EvaluationSets)})");
                if (!seen.Add(s.EvaluationSet)) throw Bad($"{where}: scored twice");
                if (s.Total < 0 || s.Correct < 0 || s.Correct > s.Total) throw Bad($"{where}: correct = {s.Correct}, total = {s.Total} (expected 0 ≤ correct ≤ total)");
                if (s.Perplexity is { } p && !(double.IsFinite(p) && p > 0)) throw Bad($"{where}: perplexity {F(p)} (expected a finite value > 0)");
            }
        }
        Unique(Timings.Select(t => t.Phase), "timing phase");
        foreach (var t in Timings)
        {
            if (!(double.IsFinite(t.Seconds) && t.Seconds >= 0)) throw Bad($"timing '{t.Phase}': {F(t.Seconds)} s (expected a finite value ≥ 0)");
        }
        Unique(Curves.Select(c => c.Phase), "curve phase");
        foreach (var c in Curves)
        {
            var bad = c.Points.FirstOrDefault(p => p.Step < 0);
            if (bad is not null) throw Bad($"curve '{c.Phase}': step {bad.Step} (expected ≥ 0)");
        }
        if (Orthogonality is { } o)
        {
            Unique(o.Adapters, "orthogonality expert");
            var names = o.Adapters.ToHashSet(StringComparer.Ordinal);
            var pair = o.Pairs.FirstOrDefault(p => !names.Contains(p.AdapterI) || !names.Contains(p.AdapterJ));
            if (pair is not null) throw Bad($"orthogonality pair '{pair.AdapterI}' × '{pair.AdapterJ}' names an expert not in [{string.Join(", ", o.Adapters)}]");
        }
        foreach (var x in Interference)
        {
            if (x.Domains.Count == 0) throw Bad($"interference '{x.Method}': no domains");
            if (!double.IsFinite(x.RmsCosine) || !double.IsFinite(x.MeasuredPercent))
            {
                throw Bad($"interference '{x.Method}' on {x.Label}: RMS cosine {F(x.RmsCosine)}, measured {F(x.MeasuredPercent)}% (expected finite values)");
            }
        }
        if (Scalings is { } sc) CheckSvg(sc.Svg);
        ArgumentNullException.ThrowIfNull(Dispatch);
        Unique(Dispatch.Select(d => d.Method), "dispatch method");
        var methods = Rows.Select(r => r.Method).ToHashSet(StringComparer.Ordinal);
        foreach (var d in Dispatch)
        {
            if (!methods.Contains(d.Method)) throw Bad($"dispatch '{d.Method}': no results row of that method");
            if (d.Problem(sets) is { } problem) throw Bad($"dispatch '{d.Method}': {problem}");
        }
    }

    private static void Unique(IEnumerable<string> names, string what)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in names)
        {
            if (string.IsNullOrWhiteSpace(n)) throw Bad($"an empty {what} name");
            if (!seen.Add(n)) throw Bad($"{what} '{n}' appears twice");
        }
    }

    private static void CheckSvg(string svg)
    {
        try
        {
            using var reader = XmlReader.Create(new StringReader(svg), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
            reader.MoveToContent();
            if (reader.LocalName != "svg") throw Bad($"the X-LoRA scalings SVG has root <{reader.LocalName}> (expected <svg>)");
            while (reader.Read())
            {
                // Reads to the end to check well-formedness.
            }
        }
        catch (XmlException e)
        {
            throw Bad($"the X-LoRA scalings SVG is not well-formed XML: {e.Message}");
        }
    }

    private static ArgumentException Bad(string message) => new($"demo results: {message}");

    private static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
