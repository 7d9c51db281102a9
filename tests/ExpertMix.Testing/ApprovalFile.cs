// Approval files: compare text with <folder>/<name>.approved.txt; on mismatch write <name>.received.txt beside it and fail.
using Xunit.Sdk;

namespace ExpertMix.Testing;

/// <summary>Approval testing against committed <c>.approved.txt</c> files (line endings normalised to \n).</summary>
public static class ApprovalFile
{
    /// <summary>
    /// Passes when <paramref name="received"/> equals <paramref name="folder"/>/<paramref name="name"/>.approved.txt
    /// (deleting a stale .received.txt); otherwise writes <paramref name="name"/>.received.txt and throws a failure that
    /// names both files, the first differing line and how to approve the change.
    /// </summary>
    public static void Verify(string folder, string name, string received)
    {
        string approved = Path.Combine(folder, name + ".approved.txt");
        string receivedPath = Path.Combine(folder, name + ".received.txt");
        received = received.ReplaceLineEndings("\n");
        string? expected = File.Exists(approved) ? File.ReadAllText(approved).ReplaceLineEndings("\n") : null;
        if (expected == received)
        {
            if (File.Exists(receivedPath)) File.Delete(receivedPath);
            return;
        }
        Directory.CreateDirectory(folder);
        File.WriteAllText(receivedPath, received);
        string firstDiff = expected is null ? "(no approved file)" : FirstDifference(expected, received);
        throw new XunitException(
            $"{name}: output differs from {approved}; wrote {receivedPath}. First difference: {firstDiff}. "
            + $"If the change is intended, approve it: cp '{receivedPath}' '{approved}'");
    }

    private static string FirstDifference(string expected, string received)
    {
        var e = expected.Split('\n');
        var r = received.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, r.Length); i++)
        {
            string a = i < e.Length ? e[i] : "(end)", b = i < r.Length ? r[i] : "(end)";
            if (a != b) return $"line {i + 1}: approved '{a}', received '{b}'";
        }
        return "(none)";
    }
}
