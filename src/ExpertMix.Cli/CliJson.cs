// JSON output settings shared by every `--json` verb: readable Unicode, no indentation.
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ExpertMix.Cli;

/// <summary>Serializer options for `--json` output.</summary>
internal static class CliJson
{
    /// <summary>Compact, with non-ASCII text written as is.</summary>
    public static JsonSerializerOptions Options { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
