// Finds the repository root (the folder holding ExpertMix.slnx) from a test binary.
namespace ExpertMix.Testing;

/// <summary>Paths inside the repository.</summary>
public static class RepoPaths
{
    /// <summary>The repository root.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ExpertMix.slnx"))) return dir.FullName;
        }
        throw new InvalidOperationException("ExpertMix.slnx not found above " + AppContext.BaseDirectory);
    }
}
