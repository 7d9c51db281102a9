// Sharded safetensors checkpoints (index + shards) and atomic writes.
using System.Text;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Tensors.Tests;

public sealed class SafetensorsShardedTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (string, Tensor)[] MakeTensors(int count, int elements)
    {
        var list = new (string, Tensor)[count];
        for (int i = 0; i < count; i++)
        {
            var values = Enumerable.Range(0, elements).Select(j => (float)(i * 1000 + j)).ToArray();
            list[i] = ($"layers.{i}.weight", Tensor.FromArray(values, new Shape(elements)));
        }
        return list;
    }

    private string WriteIndex(string json)
    {
        string path = _dir.File(SafetensorsIndex.DefaultFileName);
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Sharded_write_splits_by_size_and_reads_back_through_the_index()
    {
        var tensors = MakeTensors(5, 10); // 40 bytes each
        try
        {
            var files = SafetensorsWriter.WriteSharded(_dir.Path, tensors, maxShardBytes: 100, new Dictionary<string, string> { ["format"] = "pt" });
            Assert.Equal(["model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors", SafetensorsIndex.DefaultFileName],
                files.Select(Path.GetFileName));
            using var src = SafetensorsSource.Open(_dir.Path);
            var sharded = Assert.IsType<ShardedSafetensors>(src);
            Assert.Equal("200", src.Metadata["total_size"]);
            Assert.Equal("pt", src.Metadata["format"]);
            Assert.Equal(tensors.Select(t => t.Item1), src.Names);
            Assert.Equal("model-00002-of-00003.safetensors", sharded.Index.WeightMap["layers.2.weight"]);
            foreach (var (name, t) in tensors)
            {
                using var r = src.GetTensor(name);
                Assert.Equal(t.ToArray(), r.ToArray());
                Assert.EndsWith(sharded.Index.WeightMap[name], src.GetInfo(name).File, StringComparison.Ordinal);
            }
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
    }

    [Fact]
    public void A_checkpoint_that_fits_one_shard_is_a_single_file()
    {
        var tensors = MakeTensors(2, 4);
        var files = SafetensorsWriter.WriteSharded(_dir.Path, tensors, maxShardBytes: 1 << 20);
        Assert.Equal([SafetensorsSource.SingleFileName], files.Select(Path.GetFileName));
        using var src = SafetensorsSource.Open(_dir.Path);
        Assert.IsType<SafetensorsFile>(src);
        Assert.Equal(2, src.Names.Count);
        foreach (var (_, t) in tensors) t.Dispose();
    }

    [Fact]
    public void Missing_shard_names_index_tensor_and_shard()
    {
        var tensors = MakeTensors(3, 10);
        SafetensorsWriter.WriteSharded(_dir.Path, tensors, maxShardBytes: 40);
        File.Delete(_dir.File("model-00002-of-00003.safetensors"));
        using var src = ShardedSafetensors.Open(_dir.File(SafetensorsIndex.DefaultFileName));
        using (var ok = src.GetTensor("layers.0.weight")) Assert.Equal(10, ok.Numel);
        var e = Assert.Throws<InvalidDataException>(() => src.GetTensor("layers.1.weight"));
        Assert.StartsWith(src.Path + ": ", e.Message, StringComparison.Ordinal);
        Assert.Contains("tensor 'layers.1.weight'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'model-00002-of-00003.safetensors', which does not exist", e.Message, StringComparison.Ordinal);
        foreach (var (_, t) in tensors) t.Dispose();
    }

    [Fact]
    public void Tensor_not_in_the_weight_map_is_a_key_error_naming_the_index()
    {
        string index = WriteIndex("""{"metadata":{},"weight_map":{"a":"s.safetensors"}}""");
        using var src = ShardedSafetensors.Open(index);
        Assert.False(src.Contains("b"));
        var e = Assert.Throws<KeyNotFoundException>(() => src.GetInfo("b"));
        Assert.Contains(index, e.Message, StringComparison.Ordinal);
        Assert.Contains("'b'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tensor_missing_from_its_shard_names_the_shard()
    {
        using (var x = Tensor.Zeros(new Shape(2))) SafetensorsWriter.Write(_dir.File("s.safetensors"), [("x", x)]);
        string index = WriteIndex("""{"weight_map":{"x":"s.safetensors","y":"s.safetensors"}}""");
        using var src = ShardedSafetensors.Open(index);
        Assert.Equal(2, src.GetInfo("x").Numel);
        var e = Assert.Throws<InvalidDataException>(() => src.GetInfo("y"));
        Assert.Contains("tensor 'y' is mapped to shard 's.safetensors', but that shard has no such tensor", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_shard_errors_name_the_index_and_the_shard_problem()
    {
        File.WriteAllBytes(_dir.File("s.safetensors"), [1, 2, 3]);
        string index = WriteIndex("""{"weight_map":{"x":"s.safetensors"}}""");
        using var src = ShardedSafetensors.Open(index);
        var e = Assert.Throws<InvalidDataException>(() => src.GetTensor("x"));
        Assert.StartsWith(index + ": tensor 'x' is mapped to shard 's.safetensors', which is malformed", e.Message, StringComparison.Ordinal);
        Assert.Contains("file is 3 bytes", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"metadata":{}}""", "no 'weight_map'")]
    [InlineData("""{"weight_map":{"x":1}}""", "value of 'x' must be a string")]
    [InlineData("""{"weight_map":{"x":"a","x":"b"}}""", "duplicate key 'x'")]
    [InlineData("""{"weight_map":{"x":"../other.safetensors"}}""", "not a file name inside the index's folder")]
    [InlineData("""{"weight_map":{"x":"/etc/passwd"}}""", "not a file name inside the index's folder")]
    [InlineData("""{"weight_map":[]}""", "weight_map must be an object")]
    [InlineData("""{"weight_map":{}""", "not valid JSON")]
    [InlineData("""[]""", "index must be a JSON object")]
    public void Malformed_indexes_are_rejected(string json, string problem)
    {
        string index = WriteIndex(json);
        var e = Assert.Throws<InvalidDataException>(() => ShardedSafetensors.Open(index));
        Assert.StartsWith(index + ": ", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Index_metadata_keeps_non_string_values_as_json_text()
    {
        string index = WriteIndex("""{"metadata":{"total_size":1234,"nested":{"a":[1, 2]},"s":"x"},"weight_map":{},"other":[1,{"k":2}]}""");
        using var src = ShardedSafetensors.Open(index);
        Assert.Equal("1234", src.Metadata["total_size"]);
        Assert.Equal("""{"a":[1, 2]}""", src.Metadata["nested"]);
        Assert.Equal("x", src.Metadata["s"]);
    }

    [Fact]
    public void Failed_write_leaves_the_previous_file_intact_and_no_temp_files()
    {
        string path = _dir.File("model.safetensors");
        using (var a = Tensor.FromArray([1f, 2, 3])) SafetensorsWriter.Write(path, [("a", a)]);
        var before = File.ReadAllBytes(path);

        Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(Encoding.UTF8.GetBytes("partial garbage"));
            throw new IOException("disk full (simulated)");
        }));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_dir.Path));

        using var disposed = Tensor.FromArray([4f]);
        disposed.Dispose();
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [("a", disposed)]));
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [("a", Tensor.Scalar(1)), ("a", Tensor.Scalar(2))]));
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, [("__metadata__", Tensor.Scalar(1))]));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void Overwriting_a_mapped_file_keeps_old_tensors_valid()
    {
        string path = _dir.File("model.safetensors");
        using (var a = Tensor.FromArray([1f, 2, 3])) SafetensorsWriter.Write(path, [("a", a)]);
        using var f = SafetensorsFile.Open(path);
        using var old = f.GetTensor("a");
        using (var b = Tensor.FromArray([7f, 8])) SafetensorsWriter.Write(path, [("a", b)]);
        Assert.Equal([1f, 2, 3], old.ToArray());
        using var g = SafetensorsFile.Open(path);
        using var fresh = g.GetTensor("a");
        Assert.Equal([7f, 8], fresh.ToArray());
        Assert.Equal([path], Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void Writing_into_a_missing_folder_fails_without_leftovers()
    {
        string path = Path.Combine(_dir.Path, "missing", "m.safetensors");
        using var a = Tensor.FromArray([1f]);
        Assert.ThrowsAny<IOException>(() => SafetensorsWriter.Write(path, [("a", a)]));
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));
    }
}
