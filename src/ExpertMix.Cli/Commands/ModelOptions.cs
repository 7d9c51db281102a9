// Options shared by the verbs that load a model directory (--model, --dtype, --threads) and the loading itself.
using System.CommandLine;
using ExpertMix.Adapters.Lora;
using ExpertMix.Adapters.Svf;
using ExpertMix.Adapters.XLora;
using ExpertMix.Models;
using ExpertMix.Models.Generation;
using ExpertMix.Models.Tokenization;
using ExpertMix.Tensors;

namespace ExpertMix.Cli.Commands;

/// <summary>The `--model`, `--dtype` and `--threads` options and what they load.</summary>
internal sealed class ModelOptions
{
    public Option<string> Model { get; } = new("--model", "-m") { Description = "A Hugging Face model directory (config.json, safetensors, tokenizer.json).", Required = true };

    public Option<string> DType { get; } = new("--dtype")
    {
        Description = "Weight storage: keep the checkpoint's dtype (bf16/f16 stay 16-bit) or convert to f32.",
        DefaultValueFactory = _ => "keep",
    };

    public Option<int?> Threads { get; } = new("--threads", "-t") { Description = "Worker threads (default: all cores)." };

    public Option<string[]> Adapter { get; } = new("--adapter", "-a")
    {
        Description = "A PEFT LoRA adapter directory, optionally with a weight: DIR or DIR:SCALE (repeatable; all are active at once, unmerged).",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> XLora { get; } = new("--xlora")
    {
        Description = "An X-LoRA directory (original xlora layout or PEFT's XLORA adapter) whose gate mixes its LoRA experts per token and layer.",
    };

    public Option<string> XLoraCache { get; } = new("--xlora-cache")
    {
        Description = "X-LoRA generation: dual (two KV caches, exact) or none (re-run both passes over the whole sequence every step, as the references).",
        DefaultValueFactory = _ => "dual",
    };

    public Option<int?> XLoraFreezeAfter { get; } = new("--xlora-freeze-after")
    {
        Description = "X-LoRA approximation: after K generated tokens keep the last scalings and skip the scaling pass.",
    };

    public Option<string?> Svf { get; } = new("--svf")
    {
        Description = "An SVF expert directory (svf_expert.safetensors) or an svf_mixture.json (or its directory) to install on the model's SVF targets.",
    };

    public Option<string?> SvfBasis { get; } = new("--svf-basis")
    {
        Description = "The SVF basis cache (svf-basis.safetensors): loaded when present, else decomposed and saved there. Default: <model>/svf-basis.safetensors if present, else decomposed in memory.",
    };

    public ModelOptions()
    {
        DType.AcceptOnlyFromAmong("keep", "f32");
        XLoraCache.AcceptOnlyFromAmong("dual", "none");
    }

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Add(Model);
        command.Add(DType);
        command.Add(Threads);
        command.Add(Adapter);
        command.Add(XLora);
        command.Add(XLoraCache);
        command.Add(XLoraFreezeAfter);
        command.Add(Svf);
        command.Add(SvfBasis);
    }

    /// <summary>The typed values of one parse.</summary>
    public ModelArgs Bind(ParseResult parse) =>
        new(parse.GetValue(Model)!, parse.GetValue(DType) == "f32" ? DTypePolicy.F32 : DTypePolicy.Keep, parse.GetValue(Threads))
        {
            Adapters = (parse.GetValue(Adapter) ?? []).Select(ParseAdapter).ToArray(),
            XLora = parse.GetValue(XLora),
            Svf = parse.GetValue(Svf),
            SvfBasis = parse.GetValue(SvfBasis),
            XLoraRuntime = new XLoraRuntimeOptions
            {
                Cache = parse.GetValue(XLoraCache) == "none" ? XLoraCacheMode.None : XLoraCacheMode.Dual,
                FreezeScalingsAfter = parse.GetValue(XLoraFreezeAfter),
            },
        };

    /// <summary>Splits <c>DIR[:SCALE]</c>; a suffix that is not a number belongs to the path.</summary>
    internal static (string Directory, float Weight) ParseAdapter(string value)
    {
        int colon = value.LastIndexOf(':');
        if (colon > 0 && float.TryParse(value.AsSpan(colon + 1), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out float w))
        {
            if (!float.IsFinite(w)) throw new ArgumentException($"--adapter {value}: the weight must be finite");
            return (value[..colon], w);
        }
        return (value, 1f);
    }
}

/// <summary>Where the model is and how to load it.</summary>
internal sealed record ModelArgs(string Directory, DTypePolicy DType, int? Threads)
{
    /// <summary>LoRA adapters to attach (directory, weight).</summary>
    public IReadOnlyList<(string Directory, float Weight)> Adapters { get; init; } = [];

    /// <summary>An X-LoRA directory to load on top of the model, or null.</summary>
    public string? XLora { get; init; }

    /// <summary>An SVF expert directory or svf_mixture.json to install, or null.</summary>
    public string? Svf { get; init; }

    /// <summary>The SVF basis cache file, or null (model directory's cache, else decomposed in memory).</summary>
    public string? SvfBasis { get; init; }

    /// <summary>Runtime options of the X-LoRA model.</summary>
    public XLoraRuntimeOptions XLoraRuntime { get; init; } = new();

    /// <summary>Applies --threads and loads the model (with its LoRA adapters or X-LoRA, if any).</summary>
    public ICausalLm LoadModel()
    {
        if (XLora is not null && Adapters.Count > 0) throw new ArgumentException("--adapter and --xlora cannot be combined (the X-LoRA directory names its own experts)");
        if (Svf is not null && (XLora is not null || Adapters.Count > 0)) throw new ArgumentException("--svf cannot be combined with --adapter or --xlora (each wraps the same projections)");
        if (Threads is { } t)
        {
            if (t < 1) throw new ArgumentException($"--threads must be ≥ 1 (got {t})");
            Engine.Threads = t;
        }
        if (!System.IO.Directory.Exists(Directory)) throw new DirectoryNotFoundException($"model directory not found: {Directory}");
        var model = CausalLm.Load(Directory, LoadOptions.Default with { DType = DType });
        if (XLora is { } xlora)
        {
            try
            {
                var xl = XLoraFormat.Load(model, xlora, new XLoraLoadOptions { Runtime = XLoraRuntime });
                foreach (var w in xl.Warnings) Console.Error.WriteLine($"warning: {w}");
                return xl;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        if (Svf is { } svf)
        {
            if (!System.IO.Directory.Exists(svf) && !File.Exists(svf)) throw new DirectoryNotFoundException($"--svf not found: {svf}");
            try
            {
                return SvfAdaptedModel.Load(model, svf, SvfBasis, Directory, p => SvfProgressLine(p));
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        if (Adapters.Count == 0) return model;
        try
        {
            foreach (var (dir, _) in Adapters) WarnOnBaseMismatch(dir);
            return new AdaptedModel(model, Adapters);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Prints SVD progress to stderr (one line per matrix, overwritten on a terminal).</summary>
    internal static void SvfProgressLine(SvfProgress p)
    {
        if (Console.IsErrorRedirected) return;
        Console.Error.Write($"\rSVD {p.Done}/{p.Total} {p.ParamName} ({p.Elapsed.TotalSeconds:F1} s)");
        if (p.Done == p.Total) Console.Error.WriteLine();
    }

    private void WarnOnBaseMismatch(string adapterDir)
    {
        string config = Path.Combine(adapterDir, PeftConfigJson.FileName);
        if (!File.Exists(config)) return;
        var declared = PeftConfigJson.Parse(File.ReadAllText(config), config).BaseModelNameOrPath;
        string ours = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(Directory)));
        if (declared is { Length: > 0 } && !string.Equals(declared.TrimEnd('/').Split('/')[^1], ours, StringComparison.OrdinalIgnoreCase))
        {
            Console.Error.WriteLine($"warning: adapter {adapterDir} was trained on '{declared}', not '{ours}' (shapes are checked; results may differ)");
        }
    }

    /// <summary>The model's tokenizer (tokenizer.json, or vocab.json + merges.txt).</summary>
    public Tokenizer LoadTokenizer() => Tokenizer.FromDirectory(Directory);

    /// <summary>Loads model, tokenizer and chat template (if any) into a generator.</summary>
    public Generator LoadGenerator()
    {
        var model = LoadModel();
        try
        {
            return Generator.ForDirectory(model, Directory);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
