// The whole pipeline in one call: read JSONL, split by seed, tokenise, arrange; then batch sources.
using ExpertMix.Models.Chat;
using ExpertMix.Models.Tokenization;

namespace ExpertMix.Adapters.Training.Data;

/// <summary>
/// Training and validation sequences ready to batch. <see cref="Load"/> reads the rows of one or more JSONL
/// files (concatenated in order), splits them into train/validation by seed (<see cref="DataSplit.Split{T}"/>,
/// on rows, so packing never mixes the sets), tokenises them (<see cref="ExampleTokenizer"/>) and applies the
/// length policy to each set (<see cref="SequenceLayout.Arrange"/>); sequences without any loss position are
/// dropped (<see cref="DroppedWithoutLoss"/>).
/// </summary>
internal sealed class TrainingData
{
    private TrainingData(IReadOnlyList<TokenizedExample> train, IReadOnlyList<TokenizedExample> validation, DataOptions options, int padId)
    {
        Train = train.Where(s => s.LossTokens > 0).ToArray();
        Validation = validation.Where(s => s.LossTokens > 0).ToArray();
        DroppedWithoutLoss = train.Count - Train.Count + validation.Count - Validation.Count;
        Options = options;
        PadId = padId;
    }

    /// <summary>
    /// Sequences dropped because no position takes loss (e.g. a prompt longer than MaxLength cut on the right):
    /// a batch of them would make the mean loss 0/0.
    /// </summary>
    public int DroppedWithoutLoss { get; }

    /// <summary>Training sequences (after the length policy).</summary>
    public IReadOnlyList<TokenizedExample> Train { get; }

    /// <summary>Validation sequences (after the length policy).</summary>
    public IReadOnlyList<TokenizedExample> Validation { get; }

    /// <summary>The options used.</summary>
    public DataOptions Options { get; }

    /// <summary>The resolved padding id (<see cref="PadTokens.Resolve"/>).</summary>
    public int PadId { get; }

    /// <summary>Loads, splits, tokenises and arranges.</summary>
    /// <param name="paths">JSONL files (see <see cref="JsonlDataReader"/>).</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="options">Tokenisation and length options.</param>
    /// <param name="validation">Validation size.</param>
    /// <param name="splitSeed">Seed of the split.</param>
    /// <param name="chatTemplate">Template for messages rows; when null and such rows exist, the one in the tokenizer_config.json beside the tokenizer.</param>
    /// <param name="templateVariables">Extra chat-template variables, or null.</param>
    /// <exception cref="InvalidDataException">A row is malformed or cannot be tokenised (names file:line).</exception>
    public static TrainingData Load(IReadOnlyList<string> paths, Tokenizer tokenizer, DataOptions options, ValidationSize validation,
        ulong splitSeed, ChatTemplate? chatTemplate = null, IReadOnlyDictionary<string, object?>? templateVariables = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var rows = new List<DataRow>();
        foreach (string p in paths) rows.AddRange(JsonlDataReader.Read(p));
        if (rows.Count == 0) throw new InvalidDataException($"{string.Join(", ", paths)}: no training rows");
        return FromRows(rows, tokenizer, options, validation, splitSeed, chatTemplate, templateVariables);
    }

    /// <summary>
    /// Splits, tokenises and arranges rows already in memory exactly as <see cref="Load"/> does with the rows of its
    /// files (same split, same tokens).
    /// </summary>
    /// <param name="rows">The rows, in order (e.g. <see cref="DataRow.FromPromptCompletion"/>).</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="options">Tokenisation and length options.</param>
    /// <param name="validation">Validation size.</param>
    /// <param name="splitSeed">Seed of the split.</param>
    /// <param name="chatTemplate">Template for messages rows; when null and such rows exist, the one in the tokenizer_config.json beside the tokenizer.</param>
    /// <param name="templateVariables">Extra chat-template variables, or null.</param>
    /// <exception cref="ArgumentException">No rows.</exception>
    /// <exception cref="InvalidDataException">A row cannot be tokenised (names its source).</exception>
    public static TrainingData FromRows(IReadOnlyList<DataRow> rows, Tokenizer tokenizer, DataOptions options, ValidationSize validation,
        ulong splitSeed, ChatTemplate? chatTemplate = null, IReadOnlyDictionary<string, object?>? templateVariables = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (rows.Count == 0) throw new ArgumentException("no training rows", nameof(rows));
        if (chatTemplate is null && rows.Any(r => r.Kind == DataRowKind.Messages))
        {
            string config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizer.SourcePath)) ?? ".", "tokenizer_config.json");
            chatTemplate = File.Exists(config) ? ChatTemplate.FromTokenizerConfig(config) : null;
        }
        var (trainRows, validationRows) = DataSplit.Split(rows, validation, splitSeed);
        var tok = new ExampleTokenizer(tokenizer, options, chatTemplate, templateVariables);
        int? eos = tokenizer.EosId;
        return new TrainingData(
            SequenceLayout.Arrange(tok.TokenizeAll(trainRows), options, eos),
            SequenceLayout.Arrange(tok.TokenizeAll(validationRows), options, eos),
            options,
            PadTokens.Resolve(tokenizer, options.PadId));
    }

    /// <summary>Batch options for this data: FixedLength per the length policy, the resolved pad id.</summary>
    public BatchOptions BatchOptions(int batchSize, ulong seed) => Data.BatchOptions.For(Options, batchSize, seed, PadId);

    /// <summary>An endless shuffled source over <see cref="Train"/>.</summary>
    public JsonlBatchSource CreateTrainSource(int batchSize, ulong seed) => new(Train, BatchOptions(batchSize, seed));

    /// <summary>The validation sequences once, in order, <paramref name="batchSize"/> at a time.</summary>
    public IEnumerable<TrainingBatch> ValidationBatches(int batchSize) => JsonlBatchSource.InOrder(Validation, BatchOptions(batchSize, 0));
}
