// Safetensors write → read round trips, zero-copy lifetime, determinism and the PyTorch-written golden fixture.
using System.Buffers.Binary;
using System.Text.Json;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Tensors.Tests;

public sealed unsafe class SafetensorsRoundTripTests
{
    private static Tensor RandomTensor(DType dtype, int[] shape, int seed)
    {
        var rng = new Random(seed);
        var t = Tensor.Empty(new Shape(shape), dtype);
        var bytes = new Span<byte>(t.RawPointer, checked((int)(t.Numel * dtype.SizeOf())));
        rng.NextBytes(bytes);
        if (dtype == DType.Bool) foreach (ref var b in bytes) b &= 1;
        return t;
    }

    private static byte[] RawBytes(Tensor t)
    {
        using var c = t.Contiguous();
        return new ReadOnlySpan<byte>(c.RawPointer, checked((int)(c.Numel * c.DType.SizeOf()))).ToArray();
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    [InlineData(DType.F64)]
    [InlineData(DType.I64)]
    [InlineData(DType.I32)]
    [InlineData(DType.U8)]
    [InlineData(DType.Bool)]
    public void Every_dtype_round_trips_bit_exactly(DType dtype)
    {
        using var dir = new TempDir();
        string path = dir.File("a.safetensors");
        using var a = RandomTensor(dtype, [3, 5, 2], 1);
        using var b = RandomTensor(dtype, [7], 2);
        SafetensorsWriter.Write(path, [("a", a), ("b", b)]);

        using var f = SafetensorsFile.Open(path);
        Assert.Equal(["a", "b"], f.Names);
        using var ra = f.GetTensor("a");
        using var rb = f.GetTensor("b");
        Assert.Equal(dtype, ra.DType);
        Assert.Equal(new Shape(3, 5, 2), ra.Shape);
        Assert.Equal(RawBytes(a), RawBytes(ra));
        Assert.Equal(RawBytes(b), RawBytes(rb));
        Assert.Equal("a", ra.Name);
    }

    [Fact]
    public void Random_checkpoints_round_trip_exactly()
    {
        var rng = new Random(77);
        DType[] dtypes = [DType.F32, DType.F16, DType.BF16, DType.F64, DType.I64, DType.I32, DType.U8, DType.Bool];
        using var dir = new TempDir();
        string path = dir.File("r.safetensors");
        for (int round = 0; round < 100; round++)
        {
            var tensors = new List<(string, Tensor)>();
            for (int i = rng.Next(0, 6); i > 0; i--)
            {
                var shape = Enumerable.Range(0, rng.Next(0, 4)).Select(_ => rng.Next(0, 5)).ToArray();
                tensors.Add(($"t{round}.{i}.{(char)rng.Next('a', 'z')}", RandomTensor(Pick(rng, dtypes), shape, rng.Next())));
            }
            var meta = rng.Next(2) == 0 ? null : new Dictionary<string, string> { ["r"] = round.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            SafetensorsWriter.Write(path, tensors, meta);
            using var f = SafetensorsFile.Open(path);
            Assert.Equal(tensors.Select(t => t.Item1).Order(StringComparer.Ordinal), f.Names);
            Assert.Equal(meta?.Count ?? 0, f.Metadata.Count);
            foreach (var (name, t) in tensors)
            {
                using var r = f.GetTensor(name);
                Assert.Equal(t.DType, r.DType);
                Assert.Equal(t.Shape, r.Shape);
                Assert.Equal(RawBytes(t), RawBytes(r));
                Assert.Equal(RawBytes(t), f.ReadBytes(name));
                t.Dispose();
            }
        }
    }

    private static T Pick<T>(Random rng, IReadOnlyList<T> items) => items[rng.Next(items.Count)];

    [Fact]
    public void Bf16_and_f16_special_values_keep_their_bits()
    {
        ushort[] bf = [0x0000, 0x8000, 0x7F80, 0xFF80, 0x7FC1, 0xFFFF, 0x0001, 0x3F80, 0x7F7F];
        ushort[] hf = [0x0000, 0x8000, 0x7C00, 0xFC00, 0x7E01, 0x0001, 0x03FF, 0x3C00, 0x7BFF];
        using var tb = Tensor.FromBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(bf.AsSpan()), new Shape(bf.Length), DType.BF16);
        using var th = Tensor.FromBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(hf.AsSpan()), new Shape(hf.Length), DType.F16);
        using var dir = new TempDir();
        string path = dir.File("bits.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["bf"] = tb, ["hf"] = th });
        using var f = SafetensorsFile.Open(path);
        using var rb = f.GetTensor("bf");
        using var rh = f.GetTensor("hf");
        Assert.Equal(bf, rb.AsSpan<ushort>().ToArray());
        Assert.Equal(hf, rh.AsSpan<ushort>().ToArray());
    }

    [Fact]
    public void Scalars_empty_tensors_and_metadata_round_trip()
    {
        using var dir = new TempDir();
        string path = dir.File("m.safetensors");
        using var scalar = Tensor.Scalar(2.5f);
        using var empty = Tensor.Zeros(new Shape(0, 4));
        using var emptyBf = Tensor.Zeros(new Shape(3, 0), DType.BF16);
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "grüße \"quoted\" <tag> ✓", ["empty"] = "" };
        SafetensorsWriter.Write(path, [("s", scalar), ("e", empty), ("e2", emptyBf)], meta);

        using var f = SafetensorsFile.Open(path);
        Assert.Equal(meta, f.Metadata);
        using var s = f.GetTensor("s");
        Assert.Equal(0, s.Rank);
        Assert.Equal(2.5f, s.Item());
        using var e = f.GetTensor("e");
        Assert.Equal(new Shape(0, 4), e.Shape);
        Assert.Equal(0, e.Numel);
        Assert.Equal(0, f.GetInfo("e").ByteLength);
        Assert.Equal(DType.BF16, f.GetInfo("e2").DType);
    }

    [Fact]
    public void Layout_is_deterministic_aligned_and_sorted()
    {
        using var dir = new TempDir();
        using var x = RandomTensor(DType.F32, [3, 3], 3);
        using var y = RandomTensor(DType.U8, [5], 4);
        using var z = RandomTensor(DType.BF16, [1], 5);
        string p1 = dir.File("1.safetensors"), p2 = dir.File("2.safetensors");
        SafetensorsWriter.Write(p1, [("z", z), ("x", x), ("y", y)], new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" });
        SafetensorsWriter.Write(p2, [("y", y), ("x", x), ("z", z)], new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });
        var b1 = File.ReadAllBytes(p1);
        Assert.Equal(b1, File.ReadAllBytes(p2));
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(b1);
        Assert.Equal(0UL, (8 + n) % 8);
        Assert.Equal((byte)'{', b1[8]);
        Assert.Equal(8 + (long)n + 36 + 5 + 2, b1.Length);
        using var f = SafetensorsFile.Open(p1);
        Assert.Equal(["x", "y", "z"], f.Names);
        Assert.Equal(0, f.GetInfo("x").DataBegin);
        Assert.Equal(36, f.GetInfo("y").DataBegin);
        Assert.Equal(41, f.GetInfo("z").DataBegin);
    }

    [Fact]
    public void Non_contiguous_tensors_are_written_row_major()
    {
        using var dir = new TempDir();
        string path = dir.File("t.safetensors");
        using var a = Tensor.FromArray([1f, 2, 3, 4, 5, 6], new Shape(2, 3));
        using var at = a.Transpose(0, 1);
        SafetensorsWriter.Write(path, [("at", at)]);
        using var f = SafetensorsFile.Open(path);
        using var r = f.GetTensor("at");
        Assert.Equal(new Shape(3, 2), r.Shape);
        Assert.Equal([1f, 4, 2, 5, 3, 6], r.ToArray());
    }

    [Fact]
    public void Tensors_are_zero_copy_read_only_and_keep_the_mapping_alive()
    {
        using var dir = new TempDir();
        string path = dir.File("z.safetensors");
        using (var w = Tensor.FromArray([1f, 2, 3, 4], new Shape(2, 2))) SafetensorsWriter.Write(path, [("w", w)]);
        var f = SafetensorsFile.Open(path);
        var t = f.GetTensor("w");
        var t2 = f.GetTensor("w");
        Assert.True(t.Storage.IsReadOnly);
        var ext = Assert.IsType<ExternalStorage>(t.Storage);
        Assert.NotNull(ext.Owner);
        using (var src = Tensor.Zeros(new Shape(2, 2))) Assert.Throws<InvalidOperationException>(() => t.CopyFrom(src));

        f.Dispose();
        Assert.False(f.IsUnmapped);
        Assert.Throws<ObjectDisposedException>(() => f.GetTensor("w"));
        Assert.Equal([1f, 2, 3, 4], t.ToArray());
        using (var view = t.Transpose(0, 1))
        {
            t.Dispose();
            Assert.Equal([1f, 3, 2, 4], view.ToArray());
        }
        Assert.False(f.IsUnmapped);
        t2.Dispose();
        Assert.True(f.IsUnmapped);
    }

    [Fact]
    public void Reads_the_file_written_by_pytorch_bit_for_bit()
    {
        string golden = Path.Combine(AppContext.BaseDirectory, "Golden");
        using var f = SafetensorsFile.Open(Path.Combine(golden, "torch-fixture.safetensors"));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(golden, "torch-fixture.expected.json")));
        var expectedMeta = doc.RootElement.GetProperty("metadata").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal(expectedMeta, f.Metadata);
        Assert.Equal("1", f.Metadata["format_version"]);
        var expected = doc.RootElement.GetProperty("tensors");
        Assert.Equal(expected.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal), f.Names.Order(StringComparer.Ordinal));
        foreach (var entry in expected.EnumerateObject())
        {
            using var t = f.GetTensor(entry.Name);
            var e = entry.Value;
            Assert.Equal(e.GetProperty("dtype").GetString(), t.DType.SafetensorsName());
            Assert.Equal(e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray(), t.Shape.ToArray());
            var bits = e.GetProperty("bits").EnumerateArray().Select(x => x.TryGetUInt64(out var u) ? u : unchecked((ulong)x.GetInt64())).ToArray();
            Assert.Equal(bits, ElementBits(t));
            if (e.TryGetProperty("f32_bits", out var f32))
            {
                var want = f32.EnumerateArray().Select(x => (uint)x.GetUInt64()).ToArray();
                var got = t.ToArray().Select(BitConverter.SingleToUInt32Bits).ToArray();
                for (int i = 0; i < want.Length; i++)
                {
                    bool bothNan = float.IsNaN(BitConverter.UInt32BitsToSingle(want[i])) && float.IsNaN(BitConverter.UInt32BitsToSingle(got[i]));
                    Assert.True(bothNan || want[i] == got[i], $"{entry.Name}[{i}]: torch f32 bits {want[i]:X8}, ours {got[i]:X8}");
                }
            }
        }
    }

    private static ulong[] ElementBits(Tensor t) => t.DType switch
    {
        DType.F32 => t.AsSpan<uint>().ToArray().Select(x => (ulong)x).ToArray(),
        DType.F16 or DType.BF16 => t.AsSpan<ushort>().ToArray().Select(x => (ulong)x).ToArray(),
        DType.F64 => t.AsSpan<ulong>().ToArray(),
        DType.I64 => t.AsSpan<long>().ToArray().Select(x => unchecked((ulong)x)).ToArray(),
        DType.I32 => t.AsSpan<int>().ToArray().Select(x => unchecked((ulong)(long)x)).ToArray(),
        _ => t.AsSpan<byte>().ToArray().Select(x => (ulong)x).ToArray(),
    };

    [Fact]
    public void Golden_fixture_has_expected_provenance()
    {
        using var f = SafetensorsFile.Open(Path.Combine(AppContext.BaseDirectory, "Golden", "torch-fixture.safetensors"));
        Assert.True(f.Metadata.TryGetValue("format_version", out var v) && v == "1",
            "regenerate with: " + (f.Metadata.TryGetValue("command", out var c) ? c : "tools/golden/safetensors_fixture.py"));
        Assert.StartsWith("1.13", f.Metadata["torch_version"], StringComparison.Ordinal);
    }
}
