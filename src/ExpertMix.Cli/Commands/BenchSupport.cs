// What the bench verbs share: greedy KV-cached decode timing and printing one result object as JSON or a table.
using System.Diagnostics;
using System.Globalization;
using ExpertMix.Models;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using Spectre.Console;

namespace ExpertMix.Cli.Commands;

/// <summary>Decode timing and result output used by `bench model` and `bench lora`.</summary>
internal static class BenchSupport
{
    /// <summary>
    /// Resets <paramref name="cache"/>, prefills <paramref name="prompt"/> (untimed), then times <paramref name="steps"/>
    /// greedy one-token steps (next = argmax of the last logits); returns their milliseconds.
    /// </summary>
    public static double DecodeMs(ICausalLm model, KvCache cache, int[] prompt, int steps)
    {
        cache.Reset();
        var ctx = new ForwardContext { Cache = cache, Logits = LogitsSelection.LastPosition };
        int next = NextToken(model, prompt, ctx);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) next = NextToken(model, [next], ctx);
        return sw.Elapsed.TotalMilliseconds;
    }

    /// <summary>Forwards <paramref name="ids"/> (one sequence) through <paramref name="ctx"/> and returns argmax of the last-position logits.</summary>
    public static int NextToken(ICausalLm model, int[] ids, ForwardContext ctx)
    {
        using var scope = TensorScope.Begin();
        using var input = Tensor.FromInts(ids, new Shape(1, ids.Length));   // [1, T]
        using var logits = model.Forward(input, ctx);                         // [1, 1, V]
        return System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.Span);
    }

    /// <summary>
    /// Prints <paramref name="result"/> as one JSON object (<paramref name="output"/> Json) or a two-column table (a
    /// name → seconds dictionary value as "name 1.234, …"); returns exit code 0.
    /// </summary>
    public static int Write(Dictionary<string, object?> result, BenchOutput output)
    {
        if (output == BenchOutput.Json)
        {
            Console.WriteLine(CliJson.Serialize(result));
            return 0;
        }
        var table = new Table().Border(TableBorder.Rounded).AddColumns("", "");
        table.ShowHeaders = false;
        foreach (var (k, v) in result)
        {
            string text = v is Dictionary<string, double> d
                ? string.Join(", ", d.Select(p => $"{p.Key} {p.Value.ToString("G4", CultureInfo.InvariantCulture)}"))
                : Convert.ToString(v, CultureInfo.InvariantCulture) ?? "";
            table.AddRow(Markup.Escape(k), Markup.Escape(text));
        }
        AnsiConsole.Write(table);
        return 0;
    }
}

/// <summary>How a bench verb prints its result.</summary>
internal enum BenchOutput
{
    /// <summary>A two-column table for people.</summary>
    Table,

    /// <summary>Exactly one JSON object.</summary>
    Json,
}
