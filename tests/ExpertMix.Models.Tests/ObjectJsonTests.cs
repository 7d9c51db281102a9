// ObjectJson must write what System.Text.Json's reflection serializer writes for report objects (it replaces it for NativeAOT).
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ExpertMix.Models.Tests;

public sealed class ObjectJsonTests
{
    public enum Kind
    {
        FirstKind,
        SecondKindOfThing,
    }

    public record Inner(int? Maybe, double Value, float Single, IReadOnlyList<int> Ids);

    public record Outer(string Name, Kind Kind, Inner Inner, Dictionary<string, double> Scores, long Big, ulong Huge, bool Flag, string? Missing)
    {
        [JsonPropertyName("renamed_key")] public int Renamed { get; init; } = 7;

        [JsonIgnore] public int Hidden => 99;

        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Optional { get; init; }
    }

    public class BaseReport
    {
        public int BaseField { get; init; } = 1;
    }

    public sealed class DerivedReport : BaseReport
    {
        public string DerivedField { get; init; } = "d";
    }

    private static Outer Sample() => new("naïve <&> \"q\"", Kind.SecondKindOfThing, new Inner(null, 0.1, 1.5f, [1, 2, 3]),
        new() { ["a"] = 1.25, ["b"] = -3e-9 }, long.MaxValue, ulong.MaxValue, true, null);

    public static TheoryData<string> Cases() => ["record", "anonymous", "derived", "list", "dictionary", "node"];

    private static object Case(string name) => name switch
    {
        "record" => Sample(),
        "anonymous" => new { tokens = 11, nll = 1.7333614734604, nested = new[] { new { a = (int?)null, b = "x" } }, kind = Kind.FirstKind },
        "derived" => new DerivedReport(),
        "list" => new List<object?> { 1, "two", 3.5, null, new[] { 1.0, 2.0 } },
        "dictionary" => new Dictionary<string, object?> { ["model"] = "m", ["threads"] = 2, ["ratio"] = 0.123456789, ["nested"] = new Dictionary<string, double> { ["x"] = 1 } },
        "node" => new { element = JsonDocument.Parse("{\"k\":[1,2]}").RootElement, node = JsonNode.Parse("[true,null]") },
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheReflectionSerializer(string name)
    {
        var value = Case(name);
        var stj = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        Assert.Equal(JsonSerializer.Serialize(value, stj), ObjectJson.Serialize(value, new ObjectJsonOptions(Encoder: JavaScriptEncoder.UnsafeRelaxedJsonEscaping)));
        Assert.Equal(JsonSerializer.Serialize(value), ObjectJson.Serialize(value));
    }

    [Fact]
    public void SnakeCaseNamingEnumNamesNamedLiteralsAndIndentationMatchTheirConverterOptions()
    {
        var value = new { FirstValue = double.NaN, SecondValue = double.NegativeInfinity, TheKind = Kind.SecondKindOfThing, Rows = new[] { new { InnerValue = 2 } } };
        var stj = new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        };
        var ours = new ObjectJsonOptions(JsonNamingPolicy.SnakeCaseLower, EnumJson.SnakeCaseNames, NonFiniteJson.NamedLiterals, Indented: true);
        Assert.Equal(JsonSerializer.Serialize(value, stj), ObjectJson.Serialize(value, ours));
    }

    [Fact]
    public void NonFiniteNumbersAndCyclesAreErrorsByDefault()
    {
        Assert.Throws<ArgumentException>(() => JsonSerializer.Serialize(new { x = double.NaN }));
        Assert.Throws<ArgumentException>(() => ObjectJson.Serialize(new { x = double.NaN }));
        var cycle = new List<object>();
        cycle.Add(cycle);
        var e = Assert.Throws<ArgumentException>(() => ObjectJson.Serialize(cycle));
        Assert.Contains("cycle", e.Message, StringComparison.Ordinal);
    }
}
