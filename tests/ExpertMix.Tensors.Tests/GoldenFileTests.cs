// The test-only golden reader: version check with the regenerate hint, and the structure of the committed goldens.
using System.Text;
using System.Text.Json;
using ExpertMix.Testing;

namespace ExpertMix.Tensors.Tests;

public class GoldenFileTests
{
    private static byte[] SafeTensors(string headerJson, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(headerJson);
        var r = new byte[8 + h.Length + data.Length];
        BitConverter.GetBytes((ulong)h.Length).CopyTo(r, 0);
        h.CopyTo(r, 8);
        data.CopyTo(r, 8 + h.Length);
        return r;
    }

    [Fact]
    public void Version_mismatch_fails_with_the_regenerate_command()
    {
        var path = Path.Combine(Path.GetTempPath(), $"golden-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, SafeTensors(
            "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"__metadata__\":{\"format_version\":\"0\",\"command\":\"python3 tools/golden/x.py\"}}",
            BitConverter.GetBytes(1.5f)));
        try
        {
            var ex = Assert.Throws<InvalidDataException>(() => GoldenFile.Load(path));
            Assert.Contains("regenerate with: python3 tools/golden/x.py", ex.Message, StringComparison.Ordinal);
            Assert.Equal(1.5f, GoldenFile.Load(path, expectedFormatVersion: "0")["x"].Data[0]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("ops.safetensors", "tools/golden/ops.py")]
    [InlineData("adamw.safetensors", "tools/golden/adamw.py")]
    [InlineData("block-trajectory.safetensors", "tools/golden/trajectory.py")]
    public void Committed_goldens_carry_their_provenance(string file, string script)
    {
        var gf = GoldenFile.LoadTensorsGolden(file);
        Assert.Equal(script, gf.Meta("script"));
        Assert.Equal("OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 " + script, gf.Meta("command"));
        Assert.StartsWith("1.13", gf.Meta("torch_version"), StringComparison.Ordinal);
        Assert.True(long.TryParse(gf.Meta("seed"), out _));
    }

    [Fact]
    public void Every_op_case_has_output_and_a_gradient_per_differentiable_input()
    {
        var gf = GoldenFile.LoadTensorsGolden("ops.safetensors");
        var cases = gf.Meta("cases").Split(',');
        Assert.True(cases.Length >= 50, $"only {cases.Length} cases");
        foreach (var c in cases)
        {
            using var info = JsonDocument.Parse(gf.Meta("case." + c));
            var diff = info.RootElement.GetProperty("differentiable").EnumerateArray().Select(e => e.GetBoolean()).ToArray();
            var shapes = info.RootElement.GetProperty("inputs").EnumerateArray().ToArray();
            Assert.Equal(shapes.Length, diff.Length);
            Assert.True(gf.Tensors.ContainsKey($"{c}.out") || gf.Tensors.ContainsKey($"{c}.out0"), $"{c}: no output");
            for (int i = 0; i < diff.Length; i++)
            {
                var input = gf[$"{c}.in{i}"];
                Assert.Equal(shapes[i].EnumerateArray().Select(e => e.GetInt32()), input.Shape);
                Assert.Equal(diff[i], gf.Tensors.ContainsKey($"{c}.grad{i}"));
                if (diff[i]) Assert.Equal(input.Shape, gf[$"{c}.grad{i}"].Shape);
            }
        }
    }

    [Fact]
    public void Trajectory_golden_holds_initial_and_final_weights_and_ten_losses()
    {
        var gf = GoldenFile.LoadTensorsGolden("block-trajectory.safetensors");
        var losses = gf["losses"].Data;
        Assert.Equal(10, losses.Length);
        Assert.True(losses[9] < losses[0], "training should reduce the loss");
        Assert.True(Math.Abs(losses[0] - Math.Log(64)) < 0.3, $"initial loss {losses[0]} should be near ln(64)");
        foreach (var name in gf.Meta("params").Split(','))
        {
            Assert.Equal(gf["init." + name].Shape, gf["final." + name].Shape);
            Assert.Equal(gf["init." + name].Shape, gf["grad0." + name].Shape);
        }
        Assert.Equal(new[] { 2, 8 }, gf["input_ids"].Shape);
        Assert.Equal("I64", gf["targets"].DType);
    }
}
