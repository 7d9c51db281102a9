// Temporary directories for tests that are removed with the test process, whether or not the test cleans up.
namespace ExpertMix.Testing;

/// <summary>
/// Fresh directories under one per-process root in the system temp directory (<c>expertmix-tests-PID</c>), which is
/// deleted when the test process exits; roots left by processes that are gone (a test host killed by its runner does
/// not run exit handlers) are deleted when the next test process creates its own. Tests that keep their outputs for
/// inspection so do not fill /tmp.
/// </summary>
public static class TestTempDirectory
{
    private static readonly Lazy<string> Root = new(() =>
    {
        DeleteStaleRoots();
        string root = Path.Combine(Path.GetTempPath(), $"{Prefix}{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a file still open at exit stays behind.
            }
        };
        return root;
    });

    private const string Prefix = "expertmix-tests-";

    private static void DeleteStaleRoots()
    {
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            if (!int.TryParse(Path.GetFileName(dir).AsSpan(Prefix.Length), out int pid) || IsAlive(pid)) continue;
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // Another test process may be deleting it at the same time.
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Creates and returns a new empty directory named <paramref name="prefix"/> + a GUID.</summary>
    public static string Create(string prefix)
    {
        string dir = Path.Combine(Root.Value, prefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
