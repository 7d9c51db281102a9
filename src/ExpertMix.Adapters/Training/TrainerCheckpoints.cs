// Checkpoint folders of the trainer: written into a temp folder then renamed into place, listed, pruned, restored.
using System.Security.Cryptography;
using System.Text;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;
using ExpertMix.Tensors.Optim;

namespace ExpertMix.Adapters.Training;

/// <summary>
/// Layout of <c>OutputDirectory/checkpoints/</c>: <c>step-00000N/</c> (periodic and final) and <c>best/</c>, each with
/// <see cref="ParametersFile"/> (trainable parameters by name), <see cref="OptimizerFile"/> (AdamW state),
/// <see cref="TrainerState.FileName"/> and <see cref="ArtifactFolder"/> (<see cref="ITrainable.SaveArtifact"/>).
/// A folder is built under a <c>.tmp-*</c> name and renamed into place, so a crash mid-write leaves the previous
/// checkpoints intact and only a temp folder, which the next run deletes. Replacing an existing folder (e.g.
/// <c>best/</c>) moves the old one to <c>NAME.old-*</c> first; a crash between the two renames is repaired by moving it back.
/// </summary>
internal static class TrainerCheckpoints
{
    /// <summary>Trainable parameters, by their <see cref="ITrainable.TrainableParameters"/> names.</summary>
    public const string ParametersFile = "trainable.safetensors";

    /// <summary>Optimizer state (<see cref="AdamW.GetState"/>).</summary>
    public const string OptimizerFile = "optimizer.safetensors";

    /// <summary>The trainable's own export (<see cref="ITrainable.SaveArtifact"/>).</summary>
    public const string ArtifactFolder = "artifact";

    /// <summary>The best-validation-loss checkpoint folder name.</summary>
    public const string BestFolder = "best";

    private const string StepPrefix = "step-";
    private const string TempPrefix = ".tmp-";
    private const string OldMarker = ".old-";

    /// <summary>The checkpoints folder of a run.</summary>
    public static string Root(string outputDirectory) => Path.Combine(outputDirectory, "checkpoints");

    /// <summary>The folder of the step-<paramref name="step"/> checkpoint.</summary>
    public static string StepFolder(string outputDirectory, int step) => Path.Combine(Root(outputDirectory), $"{StepPrefix}{step:D8}");

    /// <summary>Complete step checkpoints (folders with a state file), oldest first.</summary>
    public static IReadOnlyList<(int Step, string Directory)> List(string outputDirectory)
    {
        string root = Root(outputDirectory);
        if (!Directory.Exists(root)) return [];
        var found = new List<(int, string)>();
        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            string name = Path.GetFileName(dir);
            if (!name.StartsWith(StepPrefix, StringComparison.Ordinal) || !int.TryParse(name.AsSpan(StepPrefix.Length), out int step)) continue;
            if (File.Exists(Path.Combine(dir, TrainerState.FileName))) found.Add((step, dir));
        }
        return found.OrderBy(e => e.Item1).ToList();
    }

    /// <summary>The newest complete step checkpoint, or null.</summary>
    public static string? Latest(string outputDirectory) => List(outputDirectory) is { Count: > 0 } all ? all[^1].Directory : null;

    /// <summary>
    /// Deletes leftover <c>.tmp-*</c> folders of an interrupted write and restores a <c>NAME.old-*</c> folder whose
    /// replacement never arrived (deleting it when the replacement is in place).
    /// </summary>
    public static void Recover(string outputDirectory)
    {
        string root = Root(outputDirectory);
        if (!Directory.Exists(root)) return;
        foreach (var dir in Directory.EnumerateDirectories(root).ToList())
        {
            string name = Path.GetFileName(dir);
            if (name.StartsWith(TempPrefix, StringComparison.Ordinal))
            {
                Directory.Delete(dir, recursive: true);
                continue;
            }
            int old = name.IndexOf(OldMarker, StringComparison.Ordinal);
            if (old <= 0) continue;
            string target = Path.Combine(root, name[..old]);
            if (Directory.Exists(target)) Directory.Delete(dir, recursive: true);
            else Directory.Move(dir, target);
        }
    }

    /// <summary>Reads and parses the state file of <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">The folder is not a checkpoint or its state is malformed.</exception>
    public static TrainerState ReadState(string directory)
    {
        string path = Path.Combine(directory, TrainerState.FileName);
        if (!File.Exists(path)) throw new InvalidDataException($"{directory} is not a trainer checkpoint: {TrainerState.FileName} is missing");
        return TrainerState.Parse(File.ReadAllText(path), path);
    }

    /// <summary>Writes a complete checkpoint to <paramref name="directory"/> (temp folder, then rename; replaces an existing one).</summary>
    internal static void Write(string directory, ITrainable model, AdamW optimizer, TrainerState state)
    {
        string full = Path.GetFullPath(directory);
        string parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, TempPrefix + Path.GetFileName(full) + "-" + RandomSuffix());
        Directory.CreateDirectory(temp);
        try
        {
            SafetensorsWriter.Write(Path.Combine(temp, ParametersFile), model.TrainableParameters.Select(p => (p.Name, p.Param)),
                new Dictionary<string, string> { ["format"] = "expertmix-trainer", ["step"] = state.Step.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            using (var os = optimizer.GetState())
            {
                SafetensorsWriter.Write(Path.Combine(temp, OptimizerFile), os.Tensors, os.Metadata);
            }
            string artifact = Path.Combine(temp, ArtifactFolder);
            Directory.CreateDirectory(artifact);
            model.SaveArtifact(artifact);
            AtomicFile.WriteAllBytes(Path.Combine(temp, TrainerState.FileName), Encoding.UTF8.GetBytes(state.ToJson()));
            MoveIntoPlace(temp, full);
        }
        catch
        {
            TryDeleteFolder(temp);
            throw;
        }
    }

    /// <summary>Moves a finished folder to <paramref name="target"/>, replacing an existing one via a <c>.old-*</c> rename.</summary>
    internal static void MoveIntoPlace(string source, string target)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(source, target);
            return;
        }
        string old = target + OldMarker + RandomSuffix();
        Directory.Move(target, old);
        Directory.Move(source, target);
        TryDeleteFolder(old);
    }

    /// <summary>Deletes all but the newest <paramref name="keep"/> step checkpoints.</summary>
    internal static void Prune(string outputDirectory, int keep)
    {
        var all = List(outputDirectory);
        for (int i = 0; i < all.Count - keep; i++) TryDeleteFolder(all[i].Directory);
    }

    /// <summary>Deletes step checkpoints after <paramref name="step"/> (the abandoned future of a resumed run).</summary>
    internal static void DeleteAfter(string outputDirectory, int step)
    {
        foreach (var (s, dir) in List(outputDirectory))
        {
            if (s > step) Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Copies the checkpoint's parameters into the model and loads the optimizer state, after checking that the
    /// checkpoint holds exactly the model's trainable parameter names and shapes.
    /// </summary>
    /// <exception cref="InvalidDataException">Names or shapes differ (all listed), or a file is missing or malformed.</exception>
    internal static void RestoreTensors(string directory, ITrainable model, AdamW optimizer)
    {
        string paramsPath = Path.Combine(directory, ParametersFile);
        string optPath = Path.Combine(directory, OptimizerFile);
        if (!File.Exists(paramsPath)) throw new InvalidDataException($"{directory}: checkpoint lacks {ParametersFile}");
        if (!File.Exists(optPath)) throw new InvalidDataException($"{directory}: checkpoint lacks {OptimizerFile}");
        using (var file = SafetensorsFile.Open(paramsPath))
        {
            CheckParameters(paramsPath, file, model.TrainableParameters);
            using var noGrad = Autograd.NoGrad();
            foreach (var (name, param) in model.TrainableParameters)
            {
                using var saved = file.GetTensor(name);
                param.CopyFrom(saved);
            }
        }
        using var optFile = SafetensorsFile.Open(optPath);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var name in optFile.Names) tensors[name] = optFile.GetTensor(name);
        using var state = new OptimizerState(tensors, optFile.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal));
        try
        {
            optimizer.LoadState(state);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{optPath}: {e.Message}", e);
        }
    }

    private static void CheckParameters(string path, SafetensorsFile file, IReadOnlyList<(string Name, Tensor Param)> expected)
    {
        var problems = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, p) in expected)
        {
            names.Add(name);
            if (!file.TryGetInfo(name, out var info)) problems.Add($"missing '{name}' {p.Shape}");
            else if (info.Shape != p.Shape) problems.Add($"'{name}' is {info.Shape} in the checkpoint but {p.Shape} in the model");
            else if (info.DType != DType.F32) problems.Add($"'{name}' is {info.DType} in the checkpoint, expected F32");
        }
        foreach (var name in file.Names)
        {
            if (!names.Contains(name)) problems.Add($"unexpected '{name}' {file.GetInfo(name).Shape} (not a trainable parameter of this model)");
        }
        if (problems.Count > 0)
        {
            throw new InvalidDataException($"{path}: the checkpoint does not match the model's trainable parameters: {string.Join("; ", problems)}");
        }
    }

    private static string RandomSuffix() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    private static void TryDeleteFolder(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover is cleaned by Recover on the next run.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
