// AdamW state export/import as a name → tensor map + string metadata, restorable bit for bit.
using System.Globalization;

namespace ExpertMix.Tensors.Optim;

public sealed partial class AdamW
{
    /// <summary>Version of the state layout written to <c>state_format_version</c>.</summary>
    public const string StateFormatVersion = "1";

    private const string ExpAvgSuffix = ".exp_avg";
    private const string ExpAvgSqSuffix = ".exp_avg_sq";
    private const string MaxExpAvgSqSuffix = ".max_exp_avg_sq";
    private const string StepSuffix = ".step";

    /// <summary>
    /// A copy of the optimizer state. For each parameter that has been updated, by its name N:
    /// <c>N.exp_avg</c>, <c>N.exp_avg_sq</c> (F32, the parameter's shape), <c>N.max_exp_avg_sq</c> (amsgrad only)
    /// and <c>N.step</c> (rank-0 I64). Metadata: <c>optimizer</c> = <c>AdamW</c>, <c>state_format_version</c>,
    /// <c>groups</c> (comma-separated group names) and per group <c>group.G.lr</c> (current learning rate, round-trip
    /// format) and <c>group.G.options</c>. Everything is plain safetensors content. The caller owns the result.
    /// </summary>
    public OptimizerState GetState()
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["optimizer"] = "AdamW",
            ["state_format_version"] = StateFormatVersion,
            ["groups"] = string.Join(",", _groups.Select(g => g.Name)),
        };
        foreach (var g in _groups)
        {
            meta[$"group.{g.Name}.lr"] = g.LearningRate.ToString("R", CultureInfo.InvariantCulture);
            meta[$"group.{g.Name}.options"] = DescribeOptions(g.Options);
            foreach (var p in g.Parameters)
            {
                if (!_state.TryGetValue(p, out var st)) continue;
                tensors[p.Name + ExpAvgSuffix] = TensorScope.Forget(st.ExpAvg.Clone());
                tensors[p.Name + ExpAvgSqSuffix] = TensorScope.Forget(st.ExpAvgSq.Clone());
                if (st.MaxExpAvgSq is not null) tensors[p.Name + MaxExpAvgSqSuffix] = TensorScope.Forget(st.MaxExpAvgSq.Clone());
                tensors[p.Name + StepSuffix] = TensorScope.Forget(Tensor.FromBytes(BitConverter.GetBytes(st.Step), Shape.Wrap([]), DType.I64));
            }
        }
        return new OptimizerState(tensors, meta);
    }

    /// <summary>
    /// Replaces the optimizer state with a copy of <paramref name="state"/> (as written by <see cref="GetState"/>)
    /// and restores each group's current learning rate. Parameters absent from the state start fresh. Validation
    /// happens before anything changes.
    /// </summary>
    /// <exception cref="ArgumentException">Wrong optimizer or format version; group names or options differ; a
    /// tensor names an unknown parameter or has an unknown suffix; a shape or dtype does not match; a parameter's
    /// entries are incomplete (all messages name the tensor).</exception>
    public void LoadState(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var meta = state.Metadata;
        string Meta(string key) => meta.TryGetValue(key, out var v) ? v : throw new ArgumentException($"optimizer state lacks metadata '{key}'", nameof(state));
        if (Meta("optimizer") != "AdamW") throw new ArgumentException($"optimizer state is for '{Meta("optimizer")}', not AdamW", nameof(state));
        if (Meta("state_format_version") != StateFormatVersion) throw new ArgumentException($"optimizer state format version '{Meta("state_format_version")}' is not supported (expected {StateFormatVersion})", nameof(state));
        string groups = string.Join(",", _groups.Select(g => g.Name));
        if (Meta("groups") != groups) throw new ArgumentException($"optimizer state has groups [{Meta("groups")}], this optimizer has [{groups}]", nameof(state));
        var lrs = new double[_groups.Length];
        for (int i = 0; i < _groups.Length; i++)
        {
            var g = _groups[i];
            string saved = Meta($"group.{g.Name}.options"), mine = DescribeOptions(g.Options);
            if (saved != mine) throw new ArgumentException($"group '{g.Name}': saved options ({saved}) differ from this optimizer's ({mine})", nameof(state));
            if (!double.TryParse(Meta($"group.{g.Name}.lr"), NumberStyles.Float, CultureInfo.InvariantCulture, out lrs[i]))
            {
                throw new ArgumentException($"group '{g.Name}': learning rate '{Meta($"group.{g.Name}.lr")}' is not a number", nameof(state));
            }
        }

        // Parse and validate everything first.
        var parsed = new Dictionary<Tensor, (Tensor? M, Tensor? V, Tensor? X, long? Step)>(ReferenceEqualityComparer.Instance);
        foreach (var (key, t) in state.Tensors)
        {
            string suffix = key.EndsWith(MaxExpAvgSqSuffix, StringComparison.Ordinal) ? MaxExpAvgSqSuffix
                : key.EndsWith(ExpAvgSqSuffix, StringComparison.Ordinal) ? ExpAvgSqSuffix
                : key.EndsWith(ExpAvgSuffix, StringComparison.Ordinal) ? ExpAvgSuffix
                : key.EndsWith(StepSuffix, StringComparison.Ordinal) ? StepSuffix
                : throw new ArgumentException($"optimizer state tensor '{key}' has an unknown suffix (expected {ExpAvgSuffix}, {ExpAvgSqSuffix}, {MaxExpAvgSqSuffix} or {StepSuffix})", nameof(state));
            string name = key[..^suffix.Length];
            if (!_byName.TryGetValue(name, out var p)) throw new ArgumentException($"optimizer state tensor '{key}' names no parameter of this optimizer", nameof(state));
            parsed.TryGetValue(p, out var e);
            if (suffix == StepSuffix)
            {
                if (t.Numel != 1 || t.DType is not (DType.I64 or DType.I32)) throw new ArgumentException($"'{key}' must be a one-element integer tensor, got {t.Describe()}", nameof(state));
                long step = t.ToInt64Array()[0];
                if (step < 1) throw new ArgumentException($"'{key}' = {step}; a saved step count is ≥ 1", nameof(state));
                e.Step = step;
            }
            else
            {
                if (t.DType != DType.F32 || t.Shape != p.Shape) throw new ArgumentException($"'{key}' is {t.Describe()}, expected {p.Shape} F32 to match parameter {p.Describe()}", nameof(state));
                if (suffix == ExpAvgSuffix) e.M = t;
                else if (suffix == ExpAvgSqSuffix) e.V = t;
                else e.X = t;
            }
            parsed[p] = e;
        }
        foreach (var g in _groups)
        {
            foreach (var p in g.Parameters)
            {
                if (!parsed.TryGetValue(p, out var e)) continue;
                if (e.M is null || e.V is null || e.Step is null) throw new ArgumentException($"optimizer state for '{p.Name}' is incomplete: it needs {ExpAvgSuffix}, {ExpAvgSqSuffix} and {StepSuffix}", nameof(state));
                if (g.Options.Amsgrad != e.X is not null) throw new ArgumentException($"optimizer state for '{p.Name}': {MaxExpAvgSqSuffix} is {(e.X is null ? "missing" : "present")} but amsgrad is {g.Options.Amsgrad}", nameof(state));
            }
        }

        // Apply.
        foreach (var s in _state.Values) s.Dispose();
        _state.Clear();
        foreach (var (p, e) in parsed)
        {
            _state.Add(p, new ParameterState(
                TensorScope.Forget(e.M!.Clone()),
                TensorScope.Forget(e.V!.Clone()),
                e.X is null ? null : TensorScope.Forget(e.X.Clone()),
                e.Step!.Value));
        }
        for (int i = 0; i < _groups.Length; i++) _groups[i].LearningRate = lrs[i];
    }

    private static string DescribeOptions(AdamWOptions o) => string.Create(CultureInfo.InvariantCulture,
        $"lr={o.LearningRate:R};beta1={o.Beta1:R};beta2={o.Beta2:R};eps={o.Eps:R};weight_decay={o.WeightDecay:R};amsgrad={o.Amsgrad}");
}
