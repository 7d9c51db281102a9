// Test doubles for the trainer: a tiny embedding + linear LM with dropout from its Rng, an in-memory batch source, a recording observer.
using System.Text.Json.Nodes;
using ExpertMix.Adapters.Training;
using ExpertMix.Nn;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Adapters.Tests;

/// <summary>logits = Linear(Dropout(Embedding(ids)), W, b) [B, T, V]; loss = Σ CE(logits[:, t], labels[:, t + 1]) / loss tokens.</summary>
internal sealed class TinyLm : ITrainable, IDisposable
{
    private readonly (string Name, Tensor Param)[] _params;
    private int _trainCalls;
    private int _evalCalls;

    public TinyLm(int vocab = 11, int dim = 6, ulong initSeed = 1, float dropout = 0f, bool extraParameter = false)
    {
        var init = new Rng(initSeed);
        Vocab = vocab;
        Dropout = dropout;
        var list = new List<(string, Tensor)>
        {
            ("embed.weight", Tensor.Randn(new Shape(vocab, dim), init, 0.5f)),
            ("head.weight", Tensor.Randn(new Shape(vocab, dim), init, 0.5f)),
            ("head.bias", Tensor.Zeros(new Shape(vocab))),
        };
        if (extraParameter) list.Add(("extra.scale", Tensor.Ones(new Shape(1))));
        foreach (var (_, p) in list) p.RequiresGrad = true;
        _params = list.ToArray();
        Rng = new Rng(12345);
    }

    public int Vocab { get; }

    public float Dropout { get; }

    /// <summary>Train-mode Loss call (1-based) whose loss is multiplied by NaN.</summary>
    public int PoisonLossAtCall { get; init; }

    /// <summary>Train-mode Loss call (1-based) whose loss gets a term with finite value 0 and a NaN gradient.</summary>
    public int PoisonGradAtCall { get; init; }

    /// <summary>Scripted eval losses by eval call (0-based); null = the real loss.</summary>
    public float[]? ScriptedEvalLosses { get; init; }

    /// <summary>SaveArtifact call (1-based) that throws, simulating a crash mid-checkpoint.</summary>
    public int FailArtifactAtCall { get; set; }

    public int ArtifactCalls { get; private set; }

    public IReadOnlyList<(string Name, Tensor Param)> TrainableParameters => _params;

    public Rng? Rng { get; }

    public Tensor Loss(TrainingBatch batch, ForwardMode mode)
    {
        if (mode == ForwardMode.Eval && ScriptedEvalLosses is { } script) return Tensor.Scalar(script[_evalCalls++]);
        int call = mode == ForwardMode.Train ? ++_trainCalls : 0;
        // No scope of its own: the intermediates stay alive for backward in the caller's scope (the trainer opens one per micro-batch).
        int b = batch.BatchSize, t = batch.Length;
        var x = Ops.Embedding(_params[0].Param, batch.InputIds);                        // [B, T, D]
        if (mode == ForwardMode.Train && Dropout > 0) x = Ops.Dropout(x, Dropout, Rng!);    // [B, T, D]
        var logits = Ops.Linear(x, _params[1].Param, _params[2].Param);                  // [B, T, V]
        var flat = logits.Narrow(1, 0, t - 1).Contiguous().Reshape(b * (t - 1), Vocab);   // [B·(T−1), V]
        var labels = batch.Labels.ToInt64Array();
        var targets = new int[b * (t - 1)];
        for (int i = 0; i < b; i++)
        {
            for (int j = 1; j < t; j++) targets[i * (t - 1) + j - 1] = (int)labels[i * t + j];
        }
        var targetT = Tensor.FromInts(targets, new Shape(b * (t - 1)));                   // [B·(T−1)]
        var sum = Ops.CrossEntropy(flat, targetT, LossReduction.Sum);                    // []
        var loss = Ops.Mul(sum, 1f / batch.LossTokens);                                   // []
        if (call > 0 && call == PoisonLossAtCall) loss = Ops.Mul(loss, float.NaN);
        if (call > 0 && call == PoisonGradAtCall)
        {
            var zero = Ops.Sum(Ops.Mul(_params[1].Param, 0f));                           // [] value 0
            loss = Ops.Add(loss, Ops.Sqrt(zero));                                         // d√0 = ∞ → ∞·0 = NaN gradient
        }
        return loss;
    }

    public void SaveArtifact(string dir)
    {
        ArtifactCalls++;
        if (ArtifactCalls == FailArtifactAtCall) throw new IOException("simulated crash while writing the artifact");
        SafetensorsWriter.Write(Path.Combine(dir, "weights.safetensors"), _params.Select(p => (p.Name, p.Param)));
    }

    public float[][] Snapshot() => _params.Select(p => p.Param.ToArray()).ToArray();

    public void Dispose()
    {
        foreach (var (_, p) in _params)
        {
            p.ZeroGrad();
            p.Dispose();
        }
    }
}

/// <summary>
/// Sequences over a small vocabulary following next = (3·cur + 1) mod V, with varying lengths (padding labels −100)
/// and a masked "prompt" token, so batches have different loss-token counts. Optional per-epoch shuffle by seed.
/// </summary>
internal sealed class ListBatchSource : IBatchSource
{
    private readonly int[][] _sequences;
    private readonly int _batchSize;
    private readonly int _length;
    private readonly ulong? _shuffleSeed;
    private int _epoch;
    private int _cursor;
    private int[] _order;

    public ListBatchSource(int[][] sequences, int batchSize, ulong? shuffleSeed = 7)
    {
        _sequences = sequences;
        _batchSize = batchSize;
        _length = sequences.Max(s => s.Length);
        _shuffleSeed = shuffleSeed;
        _order = Order(0);
    }

    public int BatchesPerEpoch => _sequences.Length / _batchSize;

    public static int[][] Sequences(int count, int vocab = 11, ulong seed = 3)
    {
        var rng = new Rng(seed);
        var result = new int[count][];
        for (int i = 0; i < count; i++)
        {
            var s = new int[4 + rng.NextInt(5)];
            s[0] = rng.NextInt(vocab);
            for (int j = 1; j < s.Length; j++) s[j] = (3 * s[j - 1] + 1) % vocab;
            result[i] = s;
        }
        return result;
    }

    public TrainingBatch Next()
    {
        if (_cursor == BatchesPerEpoch)
        {
            _epoch++;
            _cursor = 0;
            _order = Order(_epoch);
        }
        var rows = Enumerable.Range(0, _batchSize).Select(i => _sequences[_order[_cursor * _batchSize + i]]).ToArray();
        _cursor++;
        return Build(rows, _length);
    }

    public static TrainingBatch Build(int[][] rows, int length)
    {
        int b = rows.Length;
        var ids = new int[b * length];
        var labels = new int[b * length];
        var mask = new float[b * length];
        for (int i = 0; i < b; i++)
        {
            for (int j = 0; j < length; j++)
            {
                bool real = j < rows[i].Length;
                ids[i * length + j] = real ? rows[i][j] : 0;
                labels[i * length + j] = real && j != 1 ? rows[i][j] : TrainingBatch.IgnoreIndex;   // position 1 is "prompt"
                mask[i * length + j] = real ? 1f : 0f;
            }
        }
        return new TrainingBatch(Tensor.FromInts(ids, new Shape(b, length)), Tensor.FromInts(labels, new Shape(b, length)),
            Tensor.FromArray(mask, new Shape(b, length)));
    }

    public string SaveState() => new JsonObject { ["epoch"] = _epoch, ["cursor"] = _cursor }.ToJsonString();

    public void RestoreState(string state)
    {
        var o = JsonNode.Parse(state)!.AsObject();
        _epoch = o["epoch"]!.GetValue<int>();
        _cursor = o["cursor"]!.GetValue<int>();
        _order = Order(_epoch);
    }

    private int[] Order(int epoch)
    {
        var order = Enumerable.Range(0, _sequences.Length).ToArray();
        if (_shuffleSeed is { } seed)
        {
            var rng = new Rng(seed + (ulong)epoch);
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = rng.NextInt(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }
        return order;
    }
}

/// <summary>Records every callback; can cancel or throw at a step.</summary>
internal sealed class RecordingObserver : ITrainingObserver
{
    public List<StepMetrics> Steps { get; } = [];
    public List<EvalResult> Evals { get; } = [];
    public List<(int Step, string Dir, CheckpointKind Kind)> Checkpoints { get; } = [];
    public Dictionary<int, float[][]> Snapshots { get; } = [];
    public TrainingSummary? Summary { get; private set; }
    public int StartStep { get; private set; } = -1;
    public CancellationTokenSource? CancelAt { get; init; }
    public int CancelAtStep { get; init; }
    public int ThrowAtStep { get; init; }
    public TinyLm? SnapshotModel { get; init; }

    public void OnStart(int startStep, int totalSteps) => StartStep = startStep;

    public void OnStep(StepMetrics metrics)
    {
        Steps.Add(metrics);
        if (SnapshotModel is not null) Snapshots[metrics.Step] = SnapshotModel.Snapshot();
        if (metrics.Step == CancelAtStep) CancelAt?.Cancel();
        if (metrics.Step == ThrowAtStep) throw new InvalidOperationException("simulated crash");
    }

    public void OnEval(EvalResult result) => Evals.Add(result);

    public void OnCheckpoint(int step, string directory, CheckpointKind kind) => Checkpoints.Add((step, directory, kind));

    public void OnEnd(TrainingSummary summary) => Summary = summary;
}

/// <summary>A fresh temp folder deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "xm-trainer-" + Guid.NewGuid().ToString("N")[..10]));

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
