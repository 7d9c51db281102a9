// The demo's base LM: a tiny byte-level Llama built at random and pretrained on the world's general sentences.
using System.Diagnostics;
using System.Text.Json;
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Adapters.Training;
using ExpertMix.Adapters.Training.Data;
using ExpertMix.Models;
using ExpertMix.Models.Tokenization;
using ExpertMix.Tensors;

namespace ExpertMix.Cli.Demo;

/// <summary>What <see cref="DemoBaseModel.Pretrain"/> produced.</summary>
/// <param name="ModelDirectory">The Hugging Face model directory (config.json, model.safetensors, tokenizer.json, tokenizer_config.json).</param>
/// <param name="Summary">How the trainer ended (steps, last loss, status).</param>
/// <param name="Seconds">Wall time of the training loop and export.</param>
internal sealed record DemoPretrainResult(string ModelDirectory, TrainingSummary Summary, double Seconds);

/// <summary>Builds, pretrains and saves the demo's base model.</summary>
internal static class DemoBaseModel
{
    /// <summary>The model folder's name under the output directory.</summary>
    public const string ModelFolder = "base";

    /// <summary>The config.json of the tiny Llama of <paramref name="options"/> (vocabulary <see cref="ByteTokenizerJson.VocabSizeWithBosEos"/>, BOS 256, EOS 257, tied).</summary>
    public static HfConfigJson Config(DemoBaseModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new HfConfigJson
        {
            Architectures = ["LlamaForCausalLM"], ModelType = "llama", VocabSize = ByteTokenizerJson.VocabSizeWithBosEos,
            HiddenSize = options.HiddenSize, IntermediateSize = options.IntermediateSize, NumHiddenLayers = options.Layers,
            NumAttentionHeads = options.Heads, NumKeyValueHeads = options.Heads, MaxPositionEmbeddings = options.MaxPositions,
            RmsNormEps = 1e-5, RopeTheta = 10000, HiddenAct = "silu", TieWordEmbeddings = true, AttentionBias = false, MlpBias = false,
            TorchDType = "float32",
            BosTokenId = JsonSerializer.SerializeToElement(ByteTokenizerJson.BosId), EosTokenId = JsonSerializer.SerializeToElement(ByteTokenizerJson.EosId),
        };
    }

    /// <summary>
    /// Builds the model of <paramref name="options"/> with seeded N(0, 0.02²) matrices and unit norm gains
    /// (<see cref="FullModelTrainable.InitializeNorms"/>), trains every parameter on <paramref name="world"/>'s
    /// <see cref="DemoWorld.Corpus"/> (each sentence one sequence: BOS + bytes + EOS, loss on every token) with the
    /// shared <see cref="Trainer"/>, and exports it to <paramref name="outputDirectory"/>/<see cref="ModelFolder"/>
    /// with the byte tokenizer and the chat template <see cref="DemoTransformer2.BaseChatTemplate"/> (for Transformer²'s
    /// classification chat; training and evaluation use raw prompts). Trainer checkpoints and metrics go to <paramref name="outputDirectory"/>/pretrain.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    /// <exception cref="InvalidOperationException">The output already holds a pretraining run's checkpoints.</exception>
    public static DemoPretrainResult Pretrain(DemoWorld world, DemoBaseModelOptions options, string outputDirectory, ITrainingObserver? observer = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(outputDirectory);
        var config = Config(options);
        string runDir = Path.Combine(outputDirectory, "pretrain"), modelDir = Path.Combine(outputDirectory, ModelFolder);
        Directory.CreateDirectory(runDir);
        ByteTokenizerJson.WriteWithBosEos(runDir);
        var tokenizer = Tokenizer.FromDirectory(runDir);
        var data = new DataOptions { MaxLength = options.MaxPositions, Loss = LossScope.All, Length = LengthPolicy.Truncate, PadId = ByteTokenizerJson.PadId };
        var sequences = new ExampleTokenizer(tokenizer, data).TokenizeAll([.. world.Corpus.Select(s => DataRow.FromText(s))]);
        var source = new JsonlBatchSource(SequenceLayout.Arrange(sequences, data, tokenizer.EosId), BatchOptions.For(data, options.BatchSize, options.Seed, ByteTokenizerJson.PadId));

        using var model = CausalLm.BuildRandom(config, DType.F32, options.Seed);
        FullModelTrainable.InitializeNorms(model);
        var trainable = new FullModelTrainable(model, config, dir => ByteTokenizerJson.WriteWithBosEos(dir, DemoTransformer2.BaseChatTemplate));
        var trainer = new TrainerOptions
        {
            OutputDirectory = runDir, ArtifactDirectory = modelDir, MaxSteps = options.Steps, LearningRate = options.LearningRate,
            Schedule = LrScheduleKind.Cosine, WarmupSteps = options.WarmupSteps, MinLrRatio = options.MinLrRatio, MaxGradNorm = 1.0,
            BestCheckpoint = BestCheckpointPolicy.None, Export = ArtifactExport.Final, KeepLastCheckpoints = 1, Seed = options.Seed,
        };
        var clock = Stopwatch.StartNew();
        var summary = Trainer.Run(trainable, source, null, trainer, observer, ct);
        return new DemoPretrainResult(modelDir, summary, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Exact-match accuracy of <paramref name="model"/> on <paramref name="examples"/> exactly as <c>eval --task
    /// qa-jsonl</c> scores them: greedy generation from the prompt until a newline (at most 32 tokens), answer-prefix
    /// match against the gold answer.
    /// </summary>
    public static EvalReport Evaluate(ICausalLm model, Tokenizer tokenizer, IReadOnlyList<DemoExample> examples, int batchSize = 16)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var task = EvalTasks.Get("qa-jsonl") with
        {
            SplitRule = "in-memory demo examples",
            Load = (_, _) => [.. examples.Select(e => new EvalExample(e.Id, e.Prompt, e.Answer) { Question = e.Question })],
        };
        return new EvalHarness(model, tokenizer).Run(task, "(demo)", new EvalOptions { Split = EvalSplit.Dev, BatchSize = batchSize, Resamples = 100 });
    }

    /// <summary>
    /// Cloze recall of the corpus: each sentence is cut before its last word, the model completes it greedily (at
    /// most 24 tokens, enough for the longest name and its period), and the completion must start with that word (final period removed), e.g. "Sodium has the
    /// symbol Na and atomic number" → "11". Measures how much of the corpus the base has memorised.
    /// </summary>
    public static EvalReport CorpusRecall(ICausalLm model, Tokenizer tokenizer, IEnumerable<string> sentences, int batchSize = 16)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var rows = sentences.Select((s, i) =>
        {
            int cut = s.LastIndexOf(' ');
            return new EvalExample($"corpus/{i}", s[..cut], s[(cut + 1)..].TrimEnd('.'));
        }).ToArray();
        var task = EvalTasks.Get("qa-jsonl") with { SplitRule = "corpus cloze", MaxNewTokens = 24, Load = (_, _) => rows };
        return new EvalHarness(model, tokenizer).Run(task, "(corpus)", new EvalOptions { Split = EvalSplit.Dev, BatchSize = batchSize, Resamples = 100 });
    }
}
