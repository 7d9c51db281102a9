// Locates ../shared; tests that need it skip with a message, unless EXPERTMIX_REQUIRE_SHARED=1 makes absence a failure.
using Xunit;

namespace ExpertMix.Testing;

/// <summary>Access to the project's shared folder (models, tokenizers, data).</summary>
public static class SharedData
{
    /// <summary>The shared folder, found by walking up from the test binary; null when absent.</summary>
    public static string? Root { get; } = Find();

    /// <summary>True when CI demands the shared folder (EXPERTMIX_REQUIRE_SHARED=1).</summary>
    public static bool Required => Environment.GetEnvironmentVariable("EXPERTMIX_REQUIRE_SHARED") == "1";

    private static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("EXPERTMIX_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return Path.GetFullPath(env);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "docs"))) return candidate;
        }
        return null;
    }

    /// <summary>The path of <paramref name="relative"/> inside shared/; skips (or fails when required) if missing.</summary>
    public static string Require(string relative)
    {
        var path = Root is null ? null : Path.Combine(Root, relative);
        if (path is not null && (File.Exists(path) || Directory.Exists(path))) return path;
        var msg = $"shared/{relative} not found (set EXPERTMIX_SHARED or place shared/ beside the repository)";
        if (Required) throw new InvalidOperationException(msg + "; EXPERTMIX_REQUIRE_SHARED=1 makes this a failure");
        Skip.If(true, msg);
        return path!;
    }
}
