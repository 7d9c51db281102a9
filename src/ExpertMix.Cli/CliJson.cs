// JSON output settings shared by every `--json` verb: readable Unicode, no indentation.
using System.Text.Encodings.Web;
using System.Text.Json;
using ExpertMix.Models;

namespace ExpertMix.Cli;

/// <summary>Serializer options for `--json` output.</summary>
internal static class CliJson
{
    /// <summary>Compact, with non-ASCII text written as is.</summary>
    public static JsonSerializerOptions Options { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// A report object (record, anonymous type, dictionary) as compact JSON with <see cref="Options"/>' encoder, through
    /// <see cref="ObjectJson"/> so that it also works in the NativeAOT build.
    /// </summary>
    public static string Serialize(object? value) => ObjectJson.Serialize(value, ObjectOptions);

    private static readonly ObjectJsonOptions ObjectOptions = new(Encoder: JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
}
