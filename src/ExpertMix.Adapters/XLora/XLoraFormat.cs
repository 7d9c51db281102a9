// Loads, saves and converts X-LoRA checkpoints in the original (xlora / lamm-mit, ExpertMix bundle) and PEFT layouts.
using ExpertMix.Adapters.Lora;
using ExpertMix.Models;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Adapters.XLora;

/// <summary>
/// X-LoRA checkpoints (spec §7). <see cref="Load"/> detects the layout (<c>xlora_config.json</c> → original;
/// <c>adapter_config.json</c> with <c>peft_type</c> "XLORA" → PEFT), resolves the experts (a list of names → the
/// sub-folders of exactly those names; an object name → path → relative to the checkpoint first, then as given, then
/// the sub-folder of exactly the expert's name),
/// loads them under their user names in column order, reads the gate and checks it against the base model, the
/// experts, <c>xlora_manifest.json</c> and an optional mistral.rs ordering file. <see cref="Save"/> writes either
/// layout with the experts as sub-folders; <see cref="Convert"/> rewrites a checkpoint without a model. Every file is
/// written atomically (temp + rename).
/// </summary>
internal static class XLoraFormat
{
    /// <summary>The layout of the checkpoint in <paramref name="dir"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">No such directory.</exception>
    /// <exception cref="FileNotFoundException">Neither <c>xlora_config.json</c> nor <c>adapter_config.json</c>.</exception>
    public static XLoraLayout DetectLayout(string dir) => ReadConfig(dir).Layout;

    /// <summary>Reads the config of the checkpoint in <paramref name="dir"/> (either layout).</summary>
    /// <exception cref="DirectoryNotFoundException">No such directory.</exception>
    /// <exception cref="FileNotFoundException">Neither config file.</exception>
    /// <exception cref="InvalidDataException">A malformed config, or an <c>adapter_config.json</c> that is not X-LoRA.</exception>
    public static XLoraConfigDocument ReadConfig(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"X-LoRA checkpoint directory not found: {dir}");
        string original = Path.Combine(dir, XLoraConfigJson.OriginalFileName);
        if (File.Exists(original)) return XLoraConfigJson.ParseOriginal(File.ReadAllText(original), original);
        string peft = Path.Combine(dir, XLoraConfigJson.PeftFileName);
        if (File.Exists(peft)) return XLoraConfigJson.ParsePeft(File.ReadAllText(peft), peft);
        throw new FileNotFoundException($"{dir}: not an X-LoRA checkpoint (no {XLoraConfigJson.OriginalFileName} and no {XLoraConfigJson.PeftFileName})", original);
    }

    /// <summary>The experts of the checkpoint in <paramref name="dir"/>: name → resolved directory, in column order (§7.2 resolution).</summary>
    /// <exception cref="DirectoryNotFoundException">An expert directory that does not resolve.</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> ResolveExperts(string dir, XLoraLoadOptions? options = null) =>
        ResolveAdapters(ReadConfig(dir), dir, options?.Adapters);

    /// <summary>The gate's safetensors file in <paramref name="dir"/> (<c>xlora_classifier.safetensors</c> or PEFT's <c>adapter_model.safetensors</c>).</summary>
    /// <exception cref="FileNotFoundException">No classifier file (or only a pickled one).</exception>
    public static string ClassifierPath(string dir) => XLoraClassifierFile.Locate(dir, ReadConfig(dir).Layout);

    /// <summary>
    /// Loads the X-LoRA checkpoint in <paramref name="dir"/> onto <paramref name="model"/>. On success the returned
    /// model owns <paramref name="model"/>; on failure the caller still owns it, unchanged, and everything created
    /// here is released.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// A malformed file; <c>hidden_size</c> ≠ the base's; an expert that does not fit the base (named); a classifier
    /// whose rows are not n·Lx (the message gives the L the experts wrap), with a wrong shape or unknown key; a pickled
    /// classifier; a difference from <c>xlora_manifest.json</c> or the ordering file (the first one, named).
    /// </exception>
    /// <exception cref="DirectoryNotFoundException">An expert directory that does not resolve.</exception>
    /// <exception cref="FileNotFoundException">No config or classifier file.</exception>
    /// <exception cref="ArgumentException">Override names that are not the configured experts, or a base that already carries LoRA.</exception>
    public static XLoraModel Load(ICausalLm model, string dir, XLoraLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new XLoraLoadOptions();
        var doc = ReadConfig(dir);
        var config = doc.Config;
        if (config.HiddenSize != model.Info.HiddenSize)
        {
            throw new InvalidDataException($"{doc.Path}: hidden_size {config.HiddenSize} does not match the base model's hidden size {model.Info.HiddenSize} "
                + $"(the gate was trained on another base model{(config.BaseModelId is { } id ? $", {id}" : "")})");
        }
        if (model.Linears.Any(s => s.Module is LoraLinear)) throw new ArgumentException("the base model already carries LoRA adapters; load X-LoRA onto a plain base model", nameof(model));
        config = config with { Adapters = ResolveAdapters(doc, dir, options.Adapters) };

        var experts = new List<LoraAdapter>();
        Dictionary<string, Tensor>? tensors = null;
        XLoraClassifier? classifier = null;
        try
        {
            foreach (var (name, path) in config.Adapters) experts.Add(LoadExpert(path, name));
            CheckFit(model, experts, config);
            var layers = DerivedLayers(model, experts);
            string classifierPath = XLoraClassifierFile.Locate(dir, doc.Layout);
            tensors = XLoraClassifierFile.Read(classifierPath, doc.Layout, config);
            CheckRows(tensors, config, layers.Count, experts, classifierPath);
            try
            {
                classifier = new XLoraClassifier(config, layers.Count, tensors, classifierPath);
                tensors = null;
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException(e.Message, e);
            }
            string manifestPath = Path.Combine(dir, XLoraManifest.FileName);
            if (File.Exists(manifestPath)) XLoraManifest.Parse(File.ReadAllText(manifestPath), manifestPath).Verify(config, layers, manifestPath);
            if (options.OrderingFile is { } ordering) XLoraManifest.VerifyOrderingFile(ordering, config.AdapterNames, layers);
            return Build(model, config, experts, classifier, options.Runtime);
        }
        catch
        {
            classifier?.Dispose();
            if (tensors is not null)
            {
                foreach (var t in tensors.Values) t.Dispose();
            }
            foreach (var e in experts) e.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="dir"/> (created if needed). Both layouts put each expert in a
    /// sub-folder (PEFT LoRA layout, named after the expert) and list them as an object name → relative sub-folder, and
    /// add <c>xlora_manifest.json</c>. <see cref="XLoraLayout.Original"/>: <c>xlora_config.json</c> +
    /// <c>xlora_classifier.safetensors</c> (keys <c>inner.{j}</c> / <c>last</c>, F32), the ExpertMix bundle of §7.5.
    /// <see cref="XLoraLayout.Peft"/>: <c>adapter_config.json</c> (peft_type "XLORA") + <c>adapter_model.safetensors</c>
    /// with only the classifier under PEFT's keys. The config file is written last.
    /// </summary>
    /// <exception cref="ArgumentException">PEFT layout for a gate PEFT cannot express (a linear stack of depth ≥ 2, or no bias).</exception>
    public static void Save(XLoraModel model, string dir, XLoraLayout layout = XLoraLayout.Original)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(dir);
        if (layout == XLoraLayout.Peft) XLoraConfigJson.EnsurePeftExpressible(model.Config, "X-LoRA model");
        Directory.CreateDirectory(dir);
        var folders = SubFolders(model.Config.AdapterNames);
        foreach (var name in model.Config.AdapterNames)
        {
            var expert = model.Host.Adapters.First(a => a.Adapter.Name == name).Adapter;
            PeftFormat.Save(expert, Path.Combine(dir, folders[name]));
        }
        var config = model.Config with { Adapters = [.. model.Config.AdapterNames.Select(n => KeyValuePair.Create(n, folders[n]))] };
        WriteCheckpoint(dir, layout, config, model.Classifier.NamedParameters(), XLoraManifest.Of(config, model.Layers));
    }

    /// <summary>
    /// Rewrites the checkpoint in <paramref name="srcDir"/> into <paramref name="dstDir"/> in layout
    /// <paramref name="target"/> without a model: the config (adapters become an object name → relative sub-folder),
    /// the classifier under the target's keys, a copy of every expert folder, and the manifest when there is one.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// Original → PEFT of a purely linear stack of depth ≥ 2 or a gate without bias (PEFT would change the function);
    /// <paramref name="dstDir"/> is <paramref name="srcDir"/>.
    /// </exception>
    /// <exception cref="InvalidDataException">A malformed source, an unknown classifier key, a pickled classifier.</exception>
    public static void Convert(string srcDir, string dstDir, XLoraLayout target)
    {
        ArgumentNullException.ThrowIfNull(srcDir);
        ArgumentNullException.ThrowIfNull(dstDir);
        if (Path.GetFullPath(srcDir).TrimEnd(Path.DirectorySeparatorChar) == Path.GetFullPath(dstDir).TrimEnd(Path.DirectorySeparatorChar))
        {
            throw new ArgumentException($"convert writes a new directory; {dstDir} is the source", nameof(dstDir));
        }
        var doc = ReadConfig(srcDir);
        if (target == XLoraLayout.Peft) XLoraConfigJson.EnsurePeftExpressible(doc.Config, doc.Path);
        var sources = ResolveAdapters(doc, srcDir, null);
        string classifierPath = XLoraClassifierFile.Locate(srcDir, doc.Layout);
        var tensors = XLoraClassifierFile.Read(classifierPath, doc.Layout, doc.Config);
        try
        {
            foreach (var key in tensors.Keys) XLoraClassifierFile.PeftKey(doc.Config, key);   // every key is a Linear of this gate
        }
        catch (ArgumentException e)
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw new InvalidDataException($"{classifierPath}: {e.Message}", e);
        }
        try
        {
            Directory.CreateDirectory(dstDir);
            var folders = SubFolders(doc.Config.AdapterNames);
            foreach (var (name, path) in sources) CopyFolder(path, Path.Combine(dstDir, folders[name]));
            var config = doc.Config with { Adapters = [.. doc.Config.AdapterNames.Select(n => KeyValuePair.Create(n, folders[n]))] };
            string manifestPath = Path.Combine(srcDir, XLoraManifest.FileName);
            var manifest = File.Exists(manifestPath) ? XLoraManifest.Parse(File.ReadAllText(manifestPath), manifestPath) : null;
            WriteCheckpoint(dstDir, target, config, tensors.Select(kv => (kv.Key, kv.Value)), manifest);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    private static void WriteCheckpoint(string dir, XLoraLayout layout, XLoraConfig config, IEnumerable<(string Key, Tensor Tensor)> classifier, XLoraManifest? manifest)
    {
        string weights = Path.Combine(dir, layout == XLoraLayout.Original ? XLoraClassifierFile.OriginalFileName : XLoraClassifierFile.PeftFileName);
        XLoraClassifierFile.Write(weights, classifier, layout, config);
        if (manifest is not null) WriteText(Path.Combine(dir, XLoraManifest.FileName), manifest.ToJson());
        if (layout == XLoraLayout.Original) WriteText(Path.Combine(dir, XLoraConfigJson.OriginalFileName), XLoraConfigJson.WriteOriginal(config));
        else WriteText(Path.Combine(dir, XLoraConfigJson.PeftFileName), XLoraConfigJson.WritePeft(config));
    }

    private static void WriteText(string path, string text) => AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text + "\n"));

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            AtomicFile.Write(Path.Combine(to, Path.GetFileName(file)), s =>
            {
                using var input = File.OpenRead(file);
                input.CopyTo(s);
            });
        }
    }

    /// <summary>A sub-folder name per expert: the name itself when it is one plain path segment, else a sanitised, unique variant.</summary>
    private static Dictionary<string, string> SubFolders(IReadOnlyList<string> names)
    {
        var invalid = Path.GetInvalidFileNameChars().Concat(['/', '\\', ':']).ToHashSet();
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { XLoraConfigJson.OriginalFileName, XLoraConfigJson.PeftFileName };
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            string folder = new([.. name.Select(c => invalid.Contains(c) ? '_' : c)]);
            if (folder is "." or "..") folder = "_" + folder;
            string candidate = folder;
            for (int i = 1; !used.Add(candidate); i++) candidate = $"{folder}_{i}";
            result[name] = candidate;
        }
        return result;
    }

    /// <summary>Expert name → full directory, in the config's column order (spec §7.2 adapter resolution).</summary>
    private static IReadOnlyList<KeyValuePair<string, string>> ResolveAdapters(XLoraConfigDocument doc, string dir, IReadOnlyList<KeyValuePair<string, string>>? overrides)
    {
        var names = doc.Config.AdapterNames;
        var listing = doc.Listing;
        var map = doc.Config.Adapters;
        if (overrides is not null)
        {
            var given = overrides.Select(o => o.Key).ToList();
            if (given.Count != names.Count || given.Distinct(StringComparer.Ordinal).Count() != given.Count || !given.ToHashSet(StringComparer.Ordinal).SetEquals(names))
            {
                throw new ArgumentException($"the adapter override [{string.Join(", ", given)}] must name exactly the configured experts [{string.Join(", ", names)}] of {doc.Path} "
                    + "(the gate's columns are bound to them)");
            }
            var byName = overrides.ToDictionary(o => o.Key, o => o.Value, StringComparer.Ordinal);
            map = [.. names.Select(n => KeyValuePair.Create(n, byName[n]))];
            listing = XLoraAdapterListing.Paths;
        }
        var result = new List<KeyValuePair<string, string>>();
        foreach (var (name, path) in map)
        {
            result.Add(KeyValuePair.Create(name, listing == XLoraAdapterListing.Names ? SubFolder(dir, name, doc.Path) : ResolvePath(dir, name, path, doc.Path)));
        }
        return result;
    }

    private static string SubFolder(string dir, string name, string configPath)
    {
        var folders = Directory.EnumerateDirectories(dir).Select(Path.GetFileName).ToList();
        if (folders.Contains(name, StringComparer.Ordinal)) return Path.GetFullPath(Path.Combine(dir, name));
        throw new DirectoryNotFoundException($"{configPath}: expert '{name}' is listed but {dir} has no sub-folder named exactly '{name}' "
            + $"(sub-folders: {(folders.Count == 0 ? "none" : string.Join(", ", folders.Order(StringComparer.Ordinal)))})");
    }

    /// <summary>
    /// A dict entry: <paramref name="path"/> relative to the checkpoint, then as given; when neither exists (e.g. the
    /// training machine's absolute path), the checkpoint's sub-folder of exactly the expert's name, which is where the
    /// references save experts and what PEFT loads in place of the stored paths.
    /// </summary>
    private static string ResolvePath(string dir, string name, string path, string configPath)
    {
        string relative = Path.GetFullPath(Path.Combine(dir, path));
        if (Directory.Exists(relative)) return relative;
        if (Directory.Exists(path)) return Path.GetFullPath(path);
        if (Directory.EnumerateDirectories(dir).Select(Path.GetFileName).Contains(name, StringComparer.Ordinal)) return Path.GetFullPath(Path.Combine(dir, name));
        throw new DirectoryNotFoundException($"{configPath}: expert '{name}' points to '{path}', found neither {relative} (relative to the checkpoint), "
            + $"{Path.GetFullPath(path)} (as given) nor a sub-folder named exactly '{name}'");
    }

    private static LoraAdapter LoadExpert(string path, string name)
    {
        try
        {
            return PeftFormat.Load(path, name);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
        {
            throw new InvalidDataException($"X-LoRA expert '{name}': {e.Message}", e);
        }
    }

    /// <summary>Every expert module exists on <paramref name="model"/> with the factors' shapes (checked before anything is attached).</summary>
    private static void CheckFit(ICausalLm model, IReadOnlyList<LoraAdapter> experts, XLoraConfig config)
    {
        var slots = model.Linears.ToDictionary(s => s.ModulePath, StringComparer.Ordinal);
        for (int i = 0; i < experts.Count; i++)
        {
            var e = experts[i];
            string dir = config.Adapters[i].Value;
            foreach (var m in e.Modules.Values)
            {
                if (!slots.TryGetValue(m.ModulePath, out var slot))
                {
                    throw new InvalidDataException($"X-LoRA expert '{e.Name}' ({dir}) does not fit this base model: it adapts module {m.ModulePath}, which this "
                        + $"{model.Info.Architecture} does not have (its linear modules look like {model.Linears[0].ModulePath}); was it trained on another base?");
                }
                if (slot.Module.InFeatures != m.InFeatures || slot.Module.OutFeatures != m.OutFeatures)
                {
                    throw new InvalidDataException($"X-LoRA expert '{e.Name}' ({dir}) does not fit this base model: module {m.ModulePath} has W [{slot.Module.OutFeatures}, {slot.Module.InFeatures}] "
                        + $"but lora_A is {m.A.Shape} and lora_B {m.B.Shape} (expected [r, {slot.Module.InFeatures}] and [{slot.Module.OutFeatures}, r])");
                }
            }
        }
    }

    /// <summary>The modules any expert wraps, in the model's module order: gate index ℓ = 0..L−1 (spec §3).</summary>
    private static List<string> DerivedLayers(ICausalLm model, IReadOnlyList<LoraAdapter> experts) =>
        [.. model.Linears.Select(s => s.ModulePath).Where(p => experts.Any(e => e.Modules.ContainsKey(p)))];

    private static void CheckRows(Dictionary<string, Tensor> tensors, XLoraConfig config, int layerCount, IReadOnlyList<LoraAdapter> experts, string path)
    {
        if (!tensors.TryGetValue("last.weight", out var last) || last.Rank != 2) return;   // the classifier's own check names the missing tensor
        int n = config.ExpertCount, rows = last.Size(0), expected = n * (config.LayerwiseScalings ? layerCount : 1);
        if (rows == expected) return;
        string wraps = string.Join(", ", experts.Select(e => $"{e.Name}: {e.Modules.Count}"));
        if (!config.LayerwiseScalings)
        {
            throw new InvalidDataException($"{path}: last.weight has {rows} rows but a gate that is not layerwise outputs one scaling per expert: n = {n}");
        }
        string trained = rows % n == 0 ? $"the gate was trained for L = {rows / n} modules" : $"{rows} is not a multiple of n = {n}";
        throw new InvalidDataException($"{path}: last.weight has {rows} rows but n·Lx = {n}·{layerCount} = {expected}: the {n} experts wrap L = {layerCount} modules of this model "
            + $"(modules per expert: {wraps}); {trained}");
    }

    private static XLoraModel Build(ICausalLm model, XLoraConfig config, List<LoraAdapter> experts, XLoraClassifier classifier, XLoraRuntimeOptions? runtime)
    {
        try
        {
            return new XLoraModel(model, config, experts, classifier, runtime);
        }
        catch
        {
            foreach (var slot in model.Linears)
            {
                if (slot.Module is LoraLinear l) slot.Module = l.Base;   // undo a partial attach: the caller gets its model back
            }
            throw;
        }
    }
}
