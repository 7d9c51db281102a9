// One negative test per safetensors validation rule: InvalidDataException naming the file and the problem.
using System.Text;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Tensors.Tests;

public sealed class SafetensorsValidationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string Good = """{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}""";

    /// <summary>Opens a file made of <paramref name="header"/> + <paramref name="dataBytes"/> and expects a failure mentioning every fragment.</summary>
    private void Rejects(string header, int dataBytes, params string[] fragments) => RejectsBytes(RawSafetensors.Build(header, dataBytes), fragments);

    private void RejectsBytes(byte[] bytes, params string[] fragments)
    {
        string path = RawSafetensors.WriteTo(_dir.File("bad.safetensors"), bytes);
        var e = Assert.Throws<InvalidDataException>(() =>
        {
            using var f = SafetensorsFile.Open(path);
        });
        Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
        foreach (var s in fragments) Assert.Contains(s, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_file_opens()
    {
        string path = RawSafetensors.WriteTo(_dir.File("ok.safetensors"), RawSafetensors.Build(Good, 24));
        using var f = SafetensorsFile.Open(path);
        Assert.Equal(new Shape(2, 3), f.GetInfo("a").Shape);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    public void Files_shorter_than_8_bytes_are_rejected(int length) => RejectsBytes(new byte[length], $"file is {length} bytes", "at least 8");

    [Fact]
    public void Header_length_over_the_cap_is_rejected() => RejectsBytes(RawSafetensors.Build(Encoding.UTF8.GetBytes(Good), new byte[24], 200_000_000), "header length 200000000", "limit");

    [Fact]
    public void Header_length_past_the_end_of_the_file_is_rejected() =>
        RejectsBytes(RawSafetensors.Build(Encoding.UTF8.GetBytes(Good), new byte[24], (ulong)Good.Length + 25), "runs past the end of the file");

    [Fact]
    public void Huge_header_length_does_not_overflow() => RejectsBytes(RawSafetensors.Build(Encoding.UTF8.GetBytes(Good), new byte[24], ulong.MaxValue), "limit");

    [Fact]
    public void Invalid_utf8_is_rejected()
    {
        var header = Encoding.UTF8.GetBytes("""{"a\xFF":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}""".Replace("\\xFF", "?", StringComparison.Ordinal));
        header[3] = 0xFF;
        RejectsBytes(RawSafetensors.Build(header, new byte[4]), "not valid UTF-8", "offset 3");
    }

    [Fact]
    public void Invalid_json_is_rejected() => Rejects("""{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}""", 24, "not valid JSON");

    [Fact]
    public void Trailing_garbage_after_the_object_is_rejected() => Rejects(Good + " x", 24, "not valid JSON");

    [Fact]
    public void Header_must_be_an_object() => Rejects("""[1, 2]""", 0, "must be a JSON object", "an array");

    [Fact]
    public void Empty_header_is_rejected() => Rejects("", 0, "not valid JSON");

    [Fact]
    public void Entry_must_be_an_object() => Rejects("""{"a":[1]}""", 0, "tensor 'a'", "entry must be an object");

    [Theory]
    [InlineData("""{"a":{"shape":[1],"data_offsets":[0,4]}}""", "missing 'dtype'")]
    [InlineData("""{"a":{"dtype":"F32","data_offsets":[0,4]}}""", "missing 'shape'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1]}}""", "missing 'data_offsets'")]
    public void Missing_fields_are_rejected(string header, string problem) => Rejects(header, 4, "tensor 'a'", problem);

    [Fact]
    public void Unknown_fields_are_rejected() => Rejects("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}""", 4, "tensor 'a'", "unknown key 'extra'");

    [Fact]
    public void Duplicate_fields_are_rejected() => Rejects("""{"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'a'", "duplicate key 'dtype'");

    [Fact]
    public void Dtype_must_be_a_string() => Rejects("""{"a":{"dtype":7,"shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'a'", "dtype must be a string", "the number 7");

    [Theory]
    [InlineData("F8_E4M3")]
    [InlineData("f32")]
    [InlineData("")]
    public void Unknown_dtype_names_the_tensor_and_dtype(string dtype) =>
        Rejects("{\"w.q\":{\"dtype\":\"" + dtype + "\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "tensor 'w.q'", $"unsupported dtype \"{dtype}\"");

    [Theory]
    [InlineData("[-1]", "the number -1")]
    [InlineData("[2147483648]", "the number 2147483648")]
    [InlineData("[1.5]", "the number 1.5")]
    [InlineData("[1e2]", "the number 1e2")]
    [InlineData("[\"2\"]", "the string \"2\"")]
    [InlineData("[null]", "null")]
    [InlineData("[[1]]", "an array")]
    [InlineData("99999999999999999999999", "the number 99999999999999999999999")]
    public void Shape_must_be_non_negative_int32s(string shape, string found) =>
        Rejects("{\"a\":{\"dtype\":\"U8\",\"shape\":" + shape + ",\"data_offsets\":[0,0]}}", 0, "tensor 'a'", "shape must", found);

    [Fact]
    public void Shape_whose_byte_count_overflows_is_rejected() =>
        Rejects("""{"a":{"dtype":"F64","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,0]}}""", 0, "tensor 'a'", "too large");

    [Theory]
    [InlineData("[0]", "must have 2 entries", "found 1")]
    [InlineData("[0,4,8]", "must have 2 entries", "found 3")]
    [InlineData("[-4,0]", "data_offsets must contain non-negative", "the number -4")]
    [InlineData("[0,18446744073709551616]", "data_offsets must contain non-negative", "18446744073709551616")]
    [InlineData("{}", "data_offsets must be an array", "an object")]
    public void Data_offsets_must_be_two_non_negative_integers(string offsets, string problem, string found) =>
        Rejects("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":" + offsets + "}}", 8, "tensor 'a'", problem, found);

    [Fact]
    public void Begin_after_end_is_rejected() => Rejects("""{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}""", 8, "tensor 'a'", "[8, 4] has begin > end");

    [Fact]
    public void Byte_count_must_match_shape_and_dtype() =>
        Rejects("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 12, "tensor 'a'", "span 8 bytes", "shape [3] of F32 needs 12");

    [Fact]
    public void Ranges_must_lie_inside_the_data_section() =>
        Rejects("""{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}""", 23, "tensor 'a'", "run past the data section (23 bytes");

    [Fact]
    public void Overlapping_tensors_are_rejected() =>
        Rejects("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}""", 8, "tensors 'a' [0, 8) and 'b' [4, 8) overlap");

    [Fact]
    public void Tensor_inside_another_is_rejected_even_when_listed_later() =>
        Rejects("""{"big":{"dtype":"U8","shape":[16],"data_offsets":[0,16]},"x":{"dtype":"U8","shape":[2],"data_offsets":[12,14]},"small":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}""", 16, "overlap", "'big'");

    [Fact]
    public void Empty_tensors_may_share_an_offset()
    {
        string path = RawSafetensors.WriteTo(_dir.File("e.safetensors"),
            RawSafetensors.Build("""{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8));
        using var f = SafetensorsFile.Open(path);
        Assert.Equal(2, f.Names.Count);
    }

    [Fact]
    public void Duplicate_tensor_names_are_rejected() =>
        Rejects("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}""", 2, "duplicate entry 'a'");

    [Fact]
    public void Duplicate_metadata_blocks_are_rejected() => Rejects("""{"__metadata__":{},"__metadata__":{}}""", 0, "duplicate entry '__metadata__'");

    [Theory]
    [InlineData("""{"__metadata__":{"k":1}}""", "value of 'k' must be a string", "the number 1")]
    [InlineData("""{"__metadata__":{"k":null}}""", "value of 'k' must be a string", "null")]
    [InlineData("""{"__metadata__":{"k":{"x":"y"}}}""", "value of 'k' must be a string", "an object")]
    [InlineData("""{"__metadata__":["k"]}""", "__metadata__ must be an object", "an array")]
    [InlineData("""{"__metadata__":{"k":"a","k":"b"}}""", "__metadata__: duplicate key 'k'")]
    public void Metadata_must_map_strings_to_strings(string header, params string[] fragments) => Rejects(header, 0, fragments);

    [Fact]
    public void Lone_surrogate_escapes_are_rejected() => Rejects("""{"\ud800":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", 1, "not valid JSON");

    [Fact]
    public void Deep_nesting_is_rejected() => Rejects("{\"__metadata__\":" + new string('[', 100_000) + new string(']', 100_000) + "}", 0, "__metadata__ must be an object", "an array");

    [Fact]
    public void Missing_files_throw_file_not_found() =>
        Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Open(_dir.File("nope.safetensors")));

    [Fact]
    public void Unknown_names_throw_key_not_found_naming_the_file()
    {
        string path = RawSafetensors.WriteTo(_dir.File("ok.safetensors"), RawSafetensors.Build(Good, 24));
        using var f = SafetensorsFile.Open(path);
        var e = Assert.Throws<KeyNotFoundException>(() => f.GetTensor("b"));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("'b'", e.Message, StringComparison.Ordinal);
    }
}
