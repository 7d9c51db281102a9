// `expertmix logits`: every position's logits for given token ids, written as safetensors for parity checks.
using System.CommandLine;
using System.Globalization;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Cli.Commands;

/// <summary>The `logits` verb.</summary>
internal static class LogitsCommand
{
    /// <summary>Creates `logits`.</summary>
    public static Command Create()
    {
        var model = new ModelOptions();
        var ids = new Option<string>("--token-ids") { Description = "Comma-separated token ids, e.g. 1,403,407.", Required = true };
        var output = new Option<string>("--out") { Description = "Output .safetensors file: tensor `logits` [T, V] float32 (and `token_ids` [T] int64).", Required = true };
        var cmd = new Command("logits", "Write the logits of every position for given token ids (parity checks against PyTorch).");
        model.AddTo(cmd);
        cmd.Add(ids);
        cmd.Add(output);
        cmd.SetAction(pr => Run(model.Bind(pr), ParseIds(pr.GetValue(ids)!), pr.GetValue(output)!));
        return cmd;
    }

    /// <summary>Parses "1,2,3" into ids.</summary>
    /// <exception cref="UserErrorException">Empty list or a non-integer entry (named).</exception>
    internal static int[] ParseIds(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new UserErrorException("--token-ids is empty; give comma-separated ids like 1,2,3");
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out ids[i]) || ids[i] < 0)
            {
                throw new UserErrorException($"--token-ids entry {i} '{parts[i]}' is not a non-negative integer");
            }
        }
        return ids;
    }

    private static int Run(ModelArgs args, int[] ids, string output)
    {
        using var model = args.LoadModel();
        int vocab = model.Info.VocabSize;
        int bad = Array.FindIndex(ids, id => id >= vocab);
        if (bad >= 0) throw new UserErrorException($"--token-ids entry {bad} = {ids[bad]} is outside the vocabulary [0, {vocab})");
        using var noGrad = Autograd.NoGrad();
        using var input = Tensor.FromInts(ids, new Shape(1, ids.Length));
        using var logits = model.Forward(input, new ForwardContext()); // [1, T, V]
        using var flat = logits.Reshape(ids.Length, vocab);           // [T, V]
        using var tokenIds = Tensor.Empty(new Shape(ids.Length), DType.I64);
        for (int i = 0; i < ids.Length; i++) tokenIds.AsSpan<long>()[i] = ids[i];
        SafetensorsWriter.Write(output, [("logits", flat), ("token_ids", tokenIds)], new Dictionary<string, string>
        {
            ["model"] = Path.GetFullPath(args.Directory),
            ["architecture"] = model.Info.Architecture,
        });
        Console.WriteLine($"wrote logits [{ids.Length}, {vocab}] to {output}");
        return 0;
    }
}
