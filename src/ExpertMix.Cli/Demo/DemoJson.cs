// results.json and the `demo --json` object: the demo's records with snake_case names, read back with clear errors.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ExpertMix.Cli.Demo;

/// <summary>Whitespace of serialized JSON.</summary>
internal enum DemoJsonLayout
{
    /// <summary>One line (the `--json` convention of the CLI).</summary>
    Compact,

    /// <summary>Indented (results.json).</summary>
    Indented,
}

/// <summary>
/// Serializes <see cref="DemoResults"/> with snake_case property names (as <c>study summation</c>'s report.json), enums as
/// snake_case strings, NaN/±Infinity as strings, and non-ASCII text as is (<see cref="CliJson.Options"/>). Derived values
/// (each score's <c>interval</c> {accuracy, low, high}, <c>total_seconds</c>, the orthogonality ratios to the random floor)
/// are written for readers and ignored when reading back.
/// </summary>
internal static class DemoJson
{
    private static readonly JsonSerializerOptions Compact = Create(indented: false);
    private static readonly JsonSerializerOptions Indented = Create(indented: true);

    /// <summary>The whole of <paramref name="results"/> as one JSON object.</summary>
    public static string Serialize(DemoResults results, DemoJsonLayout layout)
    {
        ArgumentNullException.ThrowIfNull(results);
        return JsonSerializer.Serialize(results, Options(layout).GetTypeInfo(typeof(DemoResults)));
    }

    /// <summary>The console summary with the same settings.</summary>
    internal static string SerializeSummary(DemoSummary value, DemoJsonLayout layout) => JsonSerializer.Serialize(value, Options(layout).GetTypeInfo(typeof(DemoSummary)));

    /// <summary>Reads what <see cref="Serialize"/> wrote and validates it (<see cref="DemoResults.Validate"/>).</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">Where it came from (a file name), for error messages.</param>
    /// <exception cref="InvalidDataException">The text is not valid JSON of demo results, or a field is missing.</exception>
    /// <exception cref="ArgumentException">The results break an invariant of <see cref="DemoResults.Validate"/>.</exception>
    public static DemoResults Deserialize(string json, string source = "results.json")
    {
        ArgumentNullException.ThrowIfNull(json);
        DemoResults? results;
        try
        {
            results = (DemoResults?)JsonSerializer.Deserialize(json, Indented.GetTypeInfo(typeof(DemoResults)));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid demo results JSON ({e.Message})", e);
        }
        if (results is null) throw new InvalidDataException($"{source}: expected a JSON object of demo results, found null");
        if (results.Run is null || results.EvaluationSets is null || results.Rows is null || results.Timings is null || results.Curves is null || results.Interference is null)
        {
            throw new InvalidDataException($"{source}: missing one of run, evaluation_sets, rows, timings, curves, interference");
        }
        results.Validate();
        return results;
    }

    private static JsonSerializerOptions Options(DemoJsonLayout layout) => layout == DemoJsonLayout.Indented ? Indented : Compact;

    private static JsonSerializerOptions Create(bool indented)
    {
        var o = new JsonSerializerOptions(CliJson.Options)
        {
            WriteIndented = indented,
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            RespectNullableAnnotations = true,
            TypeInfoResolver = DemoJsonContext.Default,
        };
        o.Converters.Add(new JsonStringEnumConverter<DemoMode>(JsonNamingPolicy.SnakeCaseLower));
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }
}

/// <summary>Source-generated metadata of the demo records, so results.json is written and read in the NativeAOT build too.</summary>
[JsonSerializable(typeof(DemoResults))]
[JsonSerializable(typeof(DemoSummary))]
internal sealed partial class DemoJsonContext : JsonSerializerContext;

/// <summary>The console's JSON summary (<see cref="DemoConsole.SummaryJson"/>).</summary>
internal sealed record DemoSummary(DemoRunInfo Run, IReadOnlyList<string> EvaluationSets, IReadOnlyList<DemoRow> Rows, IReadOnlyList<DemoTiming> Timings, double TotalSeconds, string? Report);
