// Which task examples an SVF policy run trains and selects on (never the task's reported test split where it has one).
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Adapters.Training.Data;

namespace ExpertMix.Cli.Commands.Svf;

/// <summary>
/// The training pool of <c>--data</c> for a task: gsm8k directory → even rows of train.jsonl (reference train; dev =
/// odd rows); pubmedqa and mbpp → only the non-test part the loader offers (pubmedqa: the 500 PMIDs outside
/// test_ground_truth.json; mbpp: task ids 511–600); any other file → every example (both hold-out parts).
/// Dev = the pool of <c>--dev</c> when given, else the gsm8k odd rows, else a seeded 10% of the pool (removed from training).
/// </summary>
internal static class SvfTrainData
{
    public static (IReadOnlyList<EvalExample> Train, IReadOnlyList<EvalExample> Dev) Load(EvalTask task, string data, string? dev, ulong seed)
    {
        var pool = Pool(task, data);
        if (dev is not null) return (pool, Pool(task, dev));
        if (task.Name == "gsm8k" && Directory.Exists(data)) return (pool, task.Load(data, EvalSplit.Dev));
        var (train, held) = DataSplit.Split(pool, ValidationSize.OfFraction(0.1), seed);
        return (train, held);
    }

    private static IReadOnlyList<EvalExample> Pool(EvalTask task, string data)
    {
        if (!File.Exists(data) && !Directory.Exists(data)) throw new UserErrorException($"data not found: {data}");
        if (task.Name == "gsm8k" && Directory.Exists(data))
        {
            string train = Path.Combine(data, "train.jsonl");
            if (!File.Exists(train)) throw new UserErrorException($"{data}: gsm8k training needs train.jsonl");
            return [.. All(task, train).Where(e => int.Parse(e.Id[(e.Id.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture) % 2 == 0)];
        }
        return task.Name is "pubmedqa" or "mbpp" ? task.Load(data, EvalSplit.Dev) : All(task, data);
    }

    private static List<EvalExample> All(EvalTask task, string file) =>
        [.. task.Load(file, EvalSplit.Dev).Concat(task.Load(file, EvalSplit.Test)).OrderBy(e => e.Id, StringComparer.Ordinal)];
}
