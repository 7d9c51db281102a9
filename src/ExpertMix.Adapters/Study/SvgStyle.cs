// Shared pieces of the dependency-free SVG plots: XML-safe text, the white → blue value ramp, categorical colours.
using System.Globalization;
using System.Net;
using System.Text;

namespace ExpertMix.Adapters.Study;

/// <summary>Colours and text escaping shared by <see cref="SvgHeatmap"/>, <see cref="SvgScatter"/> and the X-LoRA scalings plot.</summary>
internal static class SvgStyle
{
    /// <summary>Categorical colours (matplotlib tab10 order first, then lighter companions).</summary>
    public static readonly string[] Palette =
    [
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
        "#bcbd22", "#7f7f7f", "#aec7e8", "#ff9896", "#98df8a", "#ffbb78", "#c5b0d5", "#c49c94",
        "#f7b6d2", "#9edae5", "#dbdb8d", "#393b79",
    ];

    /// <summary>The ramp's colour at t = 0 (white).</summary>
    public const string RampLow = "rgb(255,255,255)";

    /// <summary>The ramp's colour at t = 1 (blue).</summary>
    public const string RampHigh = "rgb(31,95,180)";

    /// <summary>
    /// The value ramp at t ∈ [0, 1]: rgb(255 − 224t, 255 − 160t, 255 − 75t) (white → blue), truncated to integers;
    /// NaN gives grey (#ccc).
    /// </summary>
    public static string Ramp(double t) =>
        double.IsNaN(t) ? "#ccc" : $"rgb({(int)(255 - 224 * t)},{(int)(255 - 160 * t)},{(int)(255 - 75 * t)})";

    /// <summary>
    /// Colour of category <paramref name="index"/> among <paramref name="count"/>: <see cref="Palette"/> while it lasts,
    /// else hues spaced by the golden angle (h = 137.508°·index mod 360) with alternating lightness.
    /// </summary>
    public static string Categorical(int index, int count) =>
        count <= Palette.Length
            ? Palette[index % Palette.Length]
            : string.Create(CultureInfo.InvariantCulture, $"hsl({index * 137.508 % 360:F1},65%,{(index % 2 == 0 ? 45 : 62)}%)");

    /// <summary>
    /// <paramref name="s"/> as XML character data: HTML-encoded, with characters XML 1.0 forbids (C0 controls other than
    /// tab/newline/return, lone surrogates, U+FFFE/U+FFFF) replaced by U+FFFD.
    /// </summary>
    public static string Escape(string s) => WebUtility.HtmlEncode(XmlSafe(s));

    /// <summary><paramref name="s"/> with the characters XML 1.0 cannot carry replaced by U+FFFD.</summary>
    public static string XmlSafe(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        StringBuilder? sb = null;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            bool ok;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                sb?.Append(c).Append(s[i + 1]);
                i++;
                continue;
            }
            ok = !char.IsSurrogate(c) && (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') && c != '\uFFFE' && c != '\uFFFF';
            if (!ok && sb is null) sb = new StringBuilder(s.Length).Append(s, 0, i);
            sb?.Append(ok ? c : '\uFFFD');
        }
        return sb?.ToString() ?? s;
    }
}
