// trainer_state.json: everything besides tensors that a resumed run needs to continue exactly.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExpertMix.Adapters.Training;

/// <summary>
/// The loop position saved with every checkpoint (<c>trainer_state.json</c>): steps done, micro-batches consumed,
/// the batch source's state, the model's random state, the schedule position, best validation loss, patience
/// counter, elapsed time and the options fingerprint (<see cref="TrainerOptions.Fingerprint"/>).
/// </summary>
internal sealed record TrainerState
{
    /// <summary>The file name inside a checkpoint folder.</summary>
    public const string FileName = "trainer_state.json";

    /// <summary>Layout version written to <c>format_version</c>.</summary>
    public const int FormatVersion = 1;

    /// <summary>Optimizer steps applied.</summary>
    public required int Step { get; init; }

    /// <summary>Planned steps of the run.</summary>
    public required int TotalSteps { get; init; }

    /// <summary>Micro-batches drawn from the training source.</summary>
    public required long MicroBatches { get; init; }

    /// <summary>MicroBatches ÷ batches per epoch.</summary>
    public required double Epoch { get; init; }

    /// <summary><see cref="IBatchSource.SaveState"/> after the last step.</summary>
    public required string BatchSourceState { get; init; }

    /// <summary><see cref="ExpertMix.Tensors.Rng.GetState"/> of the model's stream (null if it has none).</summary>
    public ulong[]? RngState { get; init; }

    /// <summary>The schedule position of the next update (= <see cref="Step"/>).</summary>
    public required int SchedulePosition { get; init; }

    /// <summary>Lowest validation loss so far.</summary>
    public double? BestValidationLoss { get; init; }

    /// <summary>Step of <see cref="BestValidationLoss"/>.</summary>
    public int? BestStep { get; init; }

    /// <summary>Evaluations since the last improvement (early-stopping counter).</summary>
    public int EvalsWithoutImprovement { get; init; }

    /// <summary>Training wall time so far.</summary>
    public double ElapsedSeconds { get; init; }

    /// <summary>Loss of the last applied step.</summary>
    public double LastLoss { get; init; } = double.NaN;

    /// <summary><see cref="TrainerOptions.Fingerprint"/> of the run.</summary>
    public required string OptionsFingerprint { get; init; }

    /// <summary>Serialises to indented JSON (snake_case keys; doubles round-trip; Rng words as hex strings).</summary>
    public string ToJson()
    {
        var root = new JsonObject
        {
            ["format_version"] = FormatVersion,
            ["step"] = Step,
            ["total_steps"] = TotalSteps,
            ["micro_batches"] = MicroBatches,
            ["epoch"] = Epoch,
            ["batch_source_state"] = BatchSourceState,
            ["rng_state"] = RngState is null ? null : new JsonArray(RngState.Select(w => (JsonNode?)JsonValue.Create(w.ToString("x16", CultureInfo.InvariantCulture))).ToArray()),
            ["schedule_position"] = SchedulePosition,
            ["best_validation_loss"] = BestValidationLoss,
            ["best_step"] = BestStep,
            ["evals_without_improvement"] = EvalsWithoutImprovement,
            ["elapsed_seconds"] = ElapsedSeconds,
            ["last_loss"] = double.IsFinite(LastLoss) ? LastLoss : null,
            ["options_fingerprint"] = OptionsFingerprint,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Parses <paramref name="json"/> read from <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">Malformed JSON, a wrong version, or a missing / ill-typed field (named).</exception>
    public static TrainerState Parse(string json, string path)
    {
        ArgumentNullException.ThrowIfNull(json);
        var root = JsonText.ParseObject(json, path);
        T Get<T>(string key)
        {
            try
            {
                var node = root[key] ?? throw new InvalidDataException($"{path}: missing \"{key}\"");
                return node.GetValue<T>();
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{path}: \"{key}\" is not a {typeof(T).Name}", e);
            }
        }
        T? Opt<T>(string key) where T : struct => root[key] is null ? null : Get<T>(key);
        int version = Get<int>("format_version");
        if (version != FormatVersion) throw new InvalidDataException($"{path}: format_version {version} is not supported (expected {FormatVersion})");
        ulong[]? rng = null;
        if (root["rng_state"] is JsonArray words)
        {
            rng = new ulong[words.Count];
            for (int i = 0; i < rng.Length; i++)
            {
                string? w = words[i]?.GetValue<string>();
                if (w is null || !ulong.TryParse(w, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out rng[i]))
                {
                    throw new InvalidDataException($"{path}: rng_state[{i}] is not a hex word");
                }
            }
        }
        return new TrainerState
        {
            Step = Get<int>("step"),
            TotalSteps = Get<int>("total_steps"),
            MicroBatches = Get<long>("micro_batches"),
            Epoch = Get<double>("epoch"),
            BatchSourceState = Get<string>("batch_source_state"),
            RngState = rng,
            SchedulePosition = Get<int>("schedule_position"),
            BestValidationLoss = Opt<double>("best_validation_loss"),
            BestStep = Opt<int>("best_step"),
            EvalsWithoutImprovement = Get<int>("evals_without_improvement"),
            ElapsedSeconds = Get<double>("elapsed_seconds"),
            LastLoss = Opt<double>("last_loss") ?? double.NaN,
            OptionsFingerprint = Get<string>("options_fingerprint"),
        };
    }
}
