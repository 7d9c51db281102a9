// `expertmix inspect`: JSON and table output for good files, one `error:` line and exit code 2 for bad ones.
using System.Text.Json;
using ExpertMix.Tensors;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Cli.Tests;

[CollectionDefinition("Console", DisableParallelization = true)]
public sealed class ConsoleCollection;

[Collection("Console")]
public sealed class InspectCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "expertmix-inspect-" + Guid.NewGuid().ToString("N")[..12]);

    public InspectCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    private string WriteModel(string name = "model.safetensors")
    {
        string path = Path.Combine(_dir, name);
        using var w = Tensor.FromArray([1f, 2, 3, 4, 5, 6], new Shape(2, 3));
        using var b = Tensor.Zeros(new Shape(4), DType.BF16);
        using var ids = Tensor.FromInts([1, 2], new Shape(2));
        using var s = Tensor.Scalar(1f);
        SafetensorsWriter.Write(path, [("layer.weight", w), ("layer.bias", b), ("ids", ids), ("scale", s)],
            new Dictionary<string, string> { ["format"] = "pt", ["note"] = "[not markup]" });
        return path;
    }

    [Fact]
    public void Json_output_lists_tensors_metadata_and_total()
    {
        string path = WriteModel();
        var (code, stdout, stderr) = Run("inspect", path, "--json");
        Assert.True(code == 0, stderr);
        Assert.Equal("", stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(path, root.GetProperty("file").GetString());
        var tensors = root.GetProperty("tensors").EnumerateArray().ToList();
        Assert.Equal(["ids", "layer.bias", "layer.weight", "scale"], tensors.Select(t => t.GetProperty("name").GetString()));
        var weight = tensors[2];
        Assert.Equal("F32", weight.GetProperty("dtype").GetString());
        Assert.Equal([2, 3], weight.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()));
        Assert.Equal(24, weight.GetProperty("bytes").GetInt64());
        Assert.Equal("BF16", tensors[1].GetProperty("dtype").GetString());
        Assert.Equal(8, tensors[1].GetProperty("bytes").GetInt64());
        Assert.Empty(tensors[3].GetProperty("shape").EnumerateArray());
        Assert.Equal(8 + 8 + 24 + 4, root.GetProperty("total_bytes").GetInt64());
        Assert.Equal("pt", root.GetProperty("metadata").GetProperty("format").GetString());
        Assert.Equal("[not markup]", root.GetProperty("metadata").GetProperty("note").GetString());
    }

    [Fact]
    public void Table_output_shows_names_sizes_and_metadata()
    {
        string path = WriteModel();
        var (code, stdout, stderr) = Run("inspect", path);
        Assert.True(code == 0, stderr);
        Assert.Contains("layer.weight", stdout, StringComparison.Ordinal);
        Assert.Contains("[2, 3]", stdout, StringComparison.Ordinal);
        Assert.Contains("BF16", stdout, StringComparison.Ordinal);
        Assert.Contains("4 tensors, 13 elements, 44 bytes", stdout, StringComparison.Ordinal);
        Assert.Contains("[not markup]", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_file_prints_one_error_line_and_exits_2()
    {
        string path = WriteModel();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 3)]);
        var (code, stdout, stderr) = Run("inspect", path, "--json");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: " + path + ": ", lines[0], StringComparison.Ordinal);
        Assert.Contains("run past the data section", lines[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Tiny_files_print_one_error_line_and_exit_2(int length)
    {
        string path = Path.Combine(_dir, "tiny.safetensors");
        File.WriteAllBytes(path, new byte[length]);
        var (code, _, stderr) = Run("inspect", path);
        Assert.Equal(2, code);
        Assert.Equal($"error: {path}: file is {length} bytes; a safetensors file needs at least 8 (the header length)", stderr.TrimEnd('\n'));
    }

    [Fact]
    public void Missing_file_is_a_user_error()
    {
        var (code, _, stderr) = Run("inspect", Path.Combine(_dir, "nope.safetensors"));
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Sharded_directory_is_inspected_through_its_index()
    {
        using var a = Tensor.Zeros(new Shape(10));
        using var b = Tensor.Zeros(new Shape(10));
        SafetensorsWriter.WriteSharded(_dir, [("a", a), ("b", b)], maxShardBytes: 40);
        var (code, stdout, stderr) = Run("inspect", _dir, "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var tensors = doc.RootElement.GetProperty("tensors").EnumerateArray().ToList();
        Assert.Equal(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"], tensors.Select(t => t.GetProperty("shard").GetString()));
        Assert.Equal(80, doc.RootElement.GetProperty("total_bytes").GetInt64());
        Assert.Equal("80", doc.RootElement.GetProperty("metadata").GetProperty("total_size").GetString());

        File.Delete(Path.Combine(_dir, "model-00002-of-00002.safetensors"));
        var (code2, _, err2) = Run("inspect", _dir);
        Assert.Equal(2, code2);
        Assert.Contains("which does not exist", err2, StringComparison.Ordinal);
        Assert.Single(err2.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
