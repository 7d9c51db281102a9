// Parsing a JSON file's text into an object with errors that name the file (configs, manifests, trainer state).
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExpertMix.Adapters;

/// <summary>The one place that turns JSON text into a <see cref="JsonObject"/> for the Adapters' file formats.</summary>
internal static class JsonText
{
    /// <summary>The top-level object of <paramref name="json"/>, read from <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">Malformed JSON or not an object; the message names <paramref name="path"/>.</exception>
    public static JsonObject ParseObject(string json, string path)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"{path}: expected a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: malformed JSON: {e.Message}", e);
        }
    }
}
