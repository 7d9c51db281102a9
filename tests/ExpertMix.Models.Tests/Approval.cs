// Approval files: compare text with tests/ExpertMix.Models.Tests/Approvals/<name>.approved.txt; write .received.txt on mismatch.
using ExpertMix.Testing;
using Xunit.Sdk;

namespace ExpertMix.Models.Tests;

internal static class Approval
{
    public static string Folder => Path.Combine(RepoPaths.Root, "tests", "ExpertMix.Models.Tests", "Approvals");

    public static void Verify(string name, string received)
    {
        string approved = Path.Combine(Folder, name + ".approved.txt");
        string receivedPath = Path.Combine(Folder, name + ".received.txt");
        received = received.ReplaceLineEndings("\n");
        string? expected = File.Exists(approved) ? File.ReadAllText(approved).ReplaceLineEndings("\n") : null;
        if (expected == received)
        {
            if (File.Exists(receivedPath)) File.Delete(receivedPath);
            return;
        }
        Directory.CreateDirectory(Folder);
        File.WriteAllText(receivedPath, received);
        string firstDiff = expected is null ? "(no approved file)" : FirstDifference(expected, received);
        throw new XunitException($"{name}: output differs from {approved}; wrote {receivedPath}. First difference: {firstDiff}. If the change is intended, rename the received file to .approved.txt.");
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
