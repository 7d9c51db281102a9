// StopCriteria: EOS ids (options override the model's), stop strings, the token limit, and the streamed text.
using System.Text;
using ExpertMix.Models.Generation;

namespace ExpertMix.Models.Tests.Generation;

public class StopCriteriaTests
{
    private static (string Text, FinishReason? Finish, int Generated) Run(StopCriteria c, params (int Id, string Piece)[] tokens)
    {
        var sb = new StringBuilder();
        foreach (var (id, piece) in tokens)
        {
            var o = c.Step(id, piece);
            sb.Append(o.Text);
            if (o.Finish is not null) break;
        }
        return (sb.ToString(), c.Finish, c.Generated);
    }

    [Fact]
    public void An_eos_token_ends_the_sequence_without_its_text_and_releases_held_text()
    {
        var c = new StopCriteria(new GenerationOptions { StopStrings = ["###"] }, modelEosIds: [2]);
        Assert.Equal(("Hi #", FinishReason.Eos, 3), Run(c, (10, "Hi "), (11, "#"), (2, "</s>"), (12, "never")));
        Assert.True(c.IsFinished);
        Assert.Throws<InvalidOperationException>(() => c.Step(1, "x"));
    }

    [Fact]
    public void Options_eos_ids_override_the_model_ones()
    {
        var c = new StopCriteria(new GenerationOptions { EosIds = [7] }, modelEosIds: [2]);
        Assert.Equal([7], c.EosIds);
        Assert.False(c.IsEos(2));
        Assert.Equal(("a</s>b", FinishReason.Eos, 4), Run(c, (1, "a"), (2, "</s>"), (3, "b"), (7, ""), (4, "c")));
    }

    [Fact]
    public void A_stop_string_ends_the_sequence_before_it()
    {
        var c = new StopCriteria(new GenerationOptions { StopStrings = ["\nUser:"] }, []);
        Assert.Equal(("Sure.", FinishReason.StopString, 4), Run(c, (1, "Sure."), (2, "\n"), (3, "User"), (4, ":"), (5, " more")));
        Assert.Equal("\nUser:", c.MatchedStopString);
    }

    [Fact]
    public void The_token_limit_ends_the_sequence_and_flushes_held_text()
    {
        var c = new StopCriteria(new GenerationOptions { MaxNewTokens = 2, StopStrings = ["###"] }, [0]);
        Assert.Equal(("ab#", FinishReason.MaxTokens, 2), Run(c, (1, "a"), (2, "b#"), (3, "c")));
    }

    [Fact]
    public void Invalid_options_and_eos_ids_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StopCriteria(new GenerationOptions { MaxNewTokens = 0 }, []));
        Assert.Throws<ArgumentException>(() => new StopCriteria(new GenerationOptions(), [-1]));
    }
}
