// The demo JSONL files feed both the training reader (prompt/completion) and the qa-jsonl eval task (prompt/answer/split).
using ExpertMix.Adapters.Evaluation;
using ExpertMix.Adapters.Training.Data;
using ExpertMix.Models.Tokenization;

namespace ExpertMix.Cli.Demo.Tests;

public sealed class DemoWorldWriterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "xm-demo-world-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly DemoWorld _world = DemoWorld.Build(DemoWorldOptions.Quick);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Writes_one_file_per_domain_and_split_plus_the_corpus()
    {
        var written = DemoWorldWriter.Write(_world, _dir);
        var names = written.Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        string[] domains = ["arithmetic", "biology", "chemistry", "cross"];
        string[] expected = [.. domains.SelectMany(d => new[] { $"{d}.dev.jsonl", $"{d}.test.jsonl", $"{d}.train.jsonl" }).Append("corpus.jsonl").Order(StringComparer.Ordinal)];
        Assert.Equal(expected, names);
        Assert.All(written, p => Assert.True(File.Exists(p), p));
    }

    [Fact]
    public void Training_files_read_back_as_the_prompt_completion_pairs_and_the_corpus_as_text_rows()
    {
        DemoWorldWriter.Write(_world, _dir);
        foreach (var domain in _world.Domains.Append(_world.CrossDomain))
        {
            foreach (var split in Enum.GetValues<DemoSplit>())
            {
                var rows = JsonlDataReader.Read(Path.Combine(_dir, DemoWorldWriter.FileName(domain.Name, split)));
                Assert.Equal(domain.Get(split).Select(e => (DataRowKind.PromptCompletion, e.Prompt, e.Completion)), rows.Select(r => (r.Kind, r.Prompt!, r.Completion!)));
            }
        }
        var corpus = JsonlDataReader.Read(Path.Combine(_dir, DemoWorldWriter.CorpusFile));
        Assert.Equal(_world.Corpus, corpus.Select(r => r.Text!));
    }

    [Fact]
    public void The_qa_jsonl_task_reads_dev_and_test_files_into_their_own_split_with_the_gold_answers()
    {
        DemoWorldWriter.Write(_world, _dir);
        var task = EvalTasks.Get("qa-jsonl");
        foreach (var domain in _world.Domains.Append(_world.CrossDomain))
        {
            string dev = Path.Combine(_dir, DemoWorldWriter.FileName(domain.Name, DemoSplit.Dev));
            string test = Path.Combine(_dir, DemoWorldWriter.FileName(domain.Name, DemoSplit.Test));
            Assert.Equal(domain.Test.Select(e => (e.Id, e.Prompt, e.Answer)), task.Load(test, EvalSplit.Test).Select(x => (x.Id, x.Prompt, x.Gold)));
            Assert.Equal(domain.Dev.Select(e => (e.Id, e.Prompt, e.Answer)), task.Load(dev, EvalSplit.Dev).Select(x => (x.Id, x.Prompt, x.Gold)));
            Assert.Empty(task.Load(test, EvalSplit.Dev));
            Assert.Empty(task.Load(dev, EvalSplit.Test));
            Assert.All(domain.Test, e => Assert.True(task.Verifier.Verify(e.Completion, e.Answer).Correct, $"{e.Id}: the gold completion must verify"));
        }
    }

    [Fact]
    public void With_the_byte_tokenizer_loss_falls_exactly_on_the_completion_and_eos()
    {
        DemoWorldWriter.Write(_world, _dir);
        ByteTokenizerJson.WriteWithBosEos(_dir);
        var tokenizer = Tokenizer.FromDirectory(_dir);
        Assert.Equal((ByteTokenizerJson.BosId, ByteTokenizerJson.EosId), (tokenizer.BosId, tokenizer.EosId));
        var data = TrainingData.Load([Path.Combine(_dir, DemoWorldWriter.FileName("chemistry", DemoSplit.Train))], tokenizer, new DataOptions { MaxLength = 256 }, ValidationSize.None, 1);
        Assert.Equal(ByteTokenizerJson.PadId, data.PadId);
        var first = _world.Domain("chemistry").Train[0];
        var example = data.Train.Single(s => tokenizer.Decode(s.InputIds, SkipSpecial.Yes) == first.Prompt + first.Completion);
        Assert.Equal(ByteTokenizerJson.BosId, example.InputIds[0]);
        var trained = example.TrainedIds();
        Assert.Equal(ByteTokenizerJson.EosId, trained[^1]);
        Assert.Equal(first.Completion, tokenizer.Decode(trained[..^1], SkipSpecial.No));
    }
}
