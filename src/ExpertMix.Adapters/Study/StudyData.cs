// The study's data: per-domain 80/10/10 splits, training items and evaluation sets for both objectives.
using ExpertMix.Adapters.Training;
using ExpertMix.Adapters.Training.Data;
using ExpertMix.Models.Tokenization;
using ExpertMix.Tensors;

namespace ExpertMix.Adapters.Study;

/// <summary>Rows per domain after the split (and caps).</summary>
/// <param name="Name">Domain.</param>
/// <param name="File">Its JSONL file.</param>
/// <param name="Rows">Rows in the file.</param>
/// <param name="Train">Training rows used.</param>
/// <param name="Validation">Validation rows (held out, unused by the study).</param>
/// <param name="Test">Test rows of the standard protocol.</param>
internal sealed record DomainSize(string Name, string File, int Rows, int Train, int Validation, int Test);

/// <summary>One fixed-length example of the faithful objective: ids, labels (no −100) and the input's padding mask.</summary>
internal sealed record PairedExample(int[] InputIds, int[] Labels, float[] Mask);

/// <summary>How a set of evaluation batches becomes one perplexity.</summary>
internal enum PerplexityProtocol
{
    /// <summary>exp(Σ lossᵦ·nᵦ / Σ nᵦ).</summary>
    TokenWeighted,

    /// <summary>exp(mean over batches of lossᵦ) — the paper scripts' Trainer.evaluate.</summary>
    MeanOfBatches,
}

/// <summary>Tokenised training items and test batches of one domain under one objective.</summary>
internal sealed class DomainItems
{
    public required TokenizedExample[] Standard { get; init; }

    public required IReadOnlyList<PairedExample> Faithful { get; init; }

    public required TokenizedExample[] StandardTest { get; init; }

    public required IReadOnlyList<PairedExample> FaithfulTest { get; init; }
}

/// <summary>Splits, tokenises and batches the study's domains.</summary>
internal sealed class StudyData
{
    private readonly SummationStudyOptions _options;
    private readonly Tokenizer _tokenizer;
    private readonly int _eos;
    private readonly Dictionary<string, DomainItems> _items = new(StringComparer.Ordinal);

    public StudyData(SummationStudyOptions options, Tokenizer tokenizer)
    {
        _options = options;
        _tokenizer = tokenizer;
        _eos = tokenizer.EosId ?? throw new ArgumentException($"{tokenizer.SourcePath}: the study pads with EOS but the tokenizer has no EOS token");
        var sizes = new List<DomainSize>();
        var dataOptions = new DataOptions { MaxLength = options.MaxLength, Loss = LossScope.Completion, Length = LengthPolicy.Truncate, Truncation = TruncationSide.Left };
        var standard = new ExampleTokenizer(tokenizer, dataOptions);
        TokenizedExample[] Standardise(IReadOnlyList<DataRow> rows) => SequenceLayout.Arrange(standard.TokenizeAll(rows), dataOptions, _eos).Where(e => e.LossTokens > 0).ToArray();
        foreach (var d in options.Domains)
        {
            var rows = JsonlDataReader.Read(d.File);
            if (rows.Count < 10) throw new InvalidDataException($"domain {d.Name}: {d.File} has {rows.Count} rows; the 80/10/10 split needs at least 10");
            bool faithful = options.Objectives.Contains(StudyObjective.Faithful);
            var bad = rows.FirstOrDefault(r => r.Kind != DataRowKind.PromptCompletion);
            if (faithful && bad is not null)
            {
                throw new InvalidDataException($"domain {d.Name}: {bad.Source} is a {bad.Kind} row; the faithful objective needs prompt/completion rows (convert with `expertmix data convert`, or run --objective standard)");
            }
            var order = DataSplit.Permutation(rows.Count, new Rng(options.SplitSeed));
            int nTrain = rows.Count * 8 / 10, nValidation = rows.Count / 10;
            var train = order.Take(nTrain).Select(i => rows[i]).ToList();
            var test = order.Skip(nTrain + nValidation).Select(i => rows[i]).ToList();
            if (options.MaxTrainRows > 0 && train.Count > options.MaxTrainRows) train = train.Take(options.MaxTrainRows).ToList();
            var standardTest = options.MaxTestRows > 0 ? test.Take(options.MaxTestRows).ToList() : test;
            var faithfulTest = test.Take(options.FaithfulEvalRows).ToList(); // test is already a seeded shuffle
            _items[d.Name] = new DomainItems
            {
                Standard = Standardise(train),
                StandardTest = Standardise(standardTest),
                Faithful = faithful ? train.Select(r => Pair(r, options.MaxLength)).ToArray() : [],
                FaithfulTest = faithful ? faithfulTest.Select(r => Pair(r, options.FaithfulEvalLength)).ToArray() : [],
            };
            if (options.Objectives.Contains(StudyObjective.Standard) && (_items[d.Name].Standard.Length == 0 || _items[d.Name].StandardTest.Length == 0))
            {
                throw new InvalidDataException($"domain {d.Name}: no training or test sequence with completion tokens within {options.MaxLength} tokens");
            }
            if (faithful && _items[d.Name].FaithfulTest.Count < options.EvalBatchSize)
            {
                throw new InvalidDataException($"domain {d.Name}: its test split has {faithfulTest.Count} rows, fewer than one evaluation batch of {options.EvalBatchSize}");
            }
            sizes.Add(new DomainSize(d.Name, d.File, rows.Count, train.Count, nValidation, standardTest.Count));
        }
        Sizes = sizes;
    }

    /// <summary>Rows per domain.</summary>
    public IReadOnlyList<DomainSize> Sizes { get; }

    /// <summary>A shuffled endless source over the training items of <paramref name="domains"/> (concatenated).</summary>
    public IBatchSource TrainSource(StudyObjective objective, IReadOnlyList<string> domains, int batchSize, ulong seed)
    {
        int pad = PadTokens.Resolve(_tokenizer, null);
        if (objective == StudyObjective.Standard)
        {
            var items = domains.SelectMany(d => _items[d].Standard).ToArray();
            return new JsonlBatchSource(items, new BatchOptions { BatchSize = Math.Min(batchSize, items.Length), Seed = seed, PadId = pad });
        }
        var paired = domains.SelectMany(d => _items[d].Faithful).ToArray();
        return new PairedBatchSource(paired, Math.Min(batchSize, paired.Length), seed);
    }

    /// <summary>The test batches of the union of <paramref name="domains"/> and how to reduce them (see <see cref="StudyObjective"/>).</summary>
    public (Func<IEnumerable<TrainingBatch>> Batches, PerplexityProtocol Protocol) TestSet(StudyObjective objective, IReadOnlyList<string> domains)
    {
        int batch = _options.EvalBatchSize;
        if (objective == StudyObjective.Standard)
        {
            var items = domains.SelectMany(d => _items[d].StandardTest).ToArray();
            var options = new BatchOptions { BatchSize = batch, PadId = PadTokens.Resolve(_tokenizer, null), Shuffle = ShuffleMode.None };
            return (() => JsonlBatchSource.InOrder(items, options), PerplexityProtocol.TokenWeighted);
        }
        var paired = domains.SelectMany(d => _items[d].FaithfulTest).ToArray();
        if (domains.Count > 1)
        {
            var perm = DataSplit.Permutation(paired.Length, new Rng(_options.SplitSeed));
            paired = perm.Select(i => paired[i]).ToArray();
        }
        return (() => PairedBatchSource.Batches(paired, batch), PerplexityProtocol.MeanOfBatches);
    }

    /// <summary>tokenizer(prompt) and tokenizer(completion), each truncated and EOS-padded to <paramref name="length"/>.</summary>
    private PairedExample Pair(DataRow row, int length)
    {
        var q = _tokenizer.Encode(row.Prompt!, SpecialTokens.Add);
        var a = _tokenizer.Encode(row.Completion!, SpecialTokens.Add);
        var ids = new int[length];
        var labels = new int[length];
        var mask = new float[length];
        Array.Fill(ids, _eos);
        Array.Fill(labels, _eos);
        int nq = Math.Min(q.Count, length), na = Math.Min(a.Count, length);
        for (int i = 0; i < nq; i++) ids[i] = q[i];
        for (int i = 0; i < na; i++) labels[i] = a[i];
        mask.AsSpan(0, Math.Max(1, nq)).Fill(1f);
        return new PairedExample(ids, labels, mask);
    }
}

/// <summary>An endless, per-epoch reshuffled source of fixed-length <see cref="PairedExample"/> batches.</summary>
internal sealed class PairedBatchSource(IReadOnlyList<PairedExample> items, int batchSize, ulong seed) : IBatchSource
{
    private readonly Rng _rng = new(seed);
    private int[] _order = [];
    private int _cursor = int.MaxValue;
    private int _epoch = -1;

    /// <inheritdoc/>
    public int BatchesPerEpoch => items.Count / batchSize;

    /// <inheritdoc/>
    public TrainingBatch Next()
    {
        if (_cursor >= BatchesPerEpoch)
        {
            _order = DataSplit.Permutation(items.Count, _rng);
            _cursor = 0;
            _epoch++;
        }
        var rows = Enumerable.Range(_cursor++ * batchSize, batchSize).Select(i => items[_order[i]]).ToArray();
        return Collate(rows);
    }

    /// <inheritdoc/>
    public string SaveState() => $"{_epoch};{_cursor};{string.Join(',', _rng.GetState())};{string.Join(',', _order)}";

    /// <inheritdoc/>
    public void RestoreState(string state)
    {
        var parts = state.Split(';');
        if (parts.Length != 4) throw new InvalidDataException($"malformed paired batch source state '{state}'");
        _epoch = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        _cursor = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        _rng.SetState(parts[2].Split(',').Select(s => ulong.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        _order = parts[3].Length == 0 ? [] : parts[3].Split(',').Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>Full batches of <paramref name="batch"/> in order; the last partial batch is dropped (as the paper's evaluation).</summary>
    public static IEnumerable<TrainingBatch> Batches(IReadOnlyList<PairedExample> items, int batch)
    {
        for (int from = 0; from + batch <= items.Count; from += batch) yield return Collate(items.Skip(from).Take(batch).ToArray());
    }

    private static TrainingBatch Collate(IReadOnlyList<PairedExample> rows)
    {
        int b = rows.Count, t = rows[0].InputIds.Length;
        var ids = new int[b * t];
        var labels = new int[b * t];
        var mask = new float[b * t];
        for (int i = 0; i < b; i++)
        {
            rows[i].InputIds.CopyTo(ids, i * t);
            rows[i].Labels.CopyTo(labels, i * t);
            rows[i].Mask.CopyTo(mask, i * t);
        }
        var shape = new Shape(b, t);
        return new TrainingBatch(Tensor.FromInts(ids, shape), Tensor.FromInts(labels, shape), Tensor.FromArray(mask, shape)); // [B, T] ×3
    }
}
