// Seeded fuzzing of the safetensors reader: every mutation of a valid file opens cleanly or throws InvalidDataException.
using System.Buffers.Binary;
using System.Text;
using ExpertMix.Tensors.IO;

namespace ExpertMix.Tensors.Tests;

public sealed unsafe class SafetensorsFuzzTests
{
    /// <summary>A header entry as raw JSON fragments, so mutations can put anything in any slot.</summary>
    private sealed record Entry(string Name, string Dtype, string Shape, string Offsets)
    {
        public string Json(Random rng) => rng.Next(8) == 0
            ? $"{Name}:{{\"data_offsets\":{Offsets},\"shape\":{Shape},\"dtype\":{Dtype}}}"
            : $"{Name}:{{\"dtype\":{Dtype},\"shape\":{Shape},\"data_offsets\":{Offsets}}}";
    }

    private sealed record Sample(List<Entry> Entries, string? Metadata, byte[] Data);

    private static readonly string[] s_dtypes = ["\"F32\"", "\"F16\"", "\"BF16\"", "\"F64\"", "\"I64\"", "\"I32\"", "\"U8\"", "\"BOOL\"",
        "\"F8_E4M3\"", "\"I8\"", "\"U16\"", "\"\"", "\"f32\"", "42", "null", "true", "[\"F32\"]", "{}"];

    private static readonly string[] s_numbers = ["0", "1", "2", "3", "4", "7", "8", "16", "-1", "-8", "1.5", "1e3", "-0", "2147483647", "2147483648",
        "4294967296", "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616", "1e309",
        "99999999999999999999999999999", "\"4\"", "null", "true", "[]", "{}"];

    private static readonly string[] s_wrongValues = ["null", "true", "false", "{}", "[]", "\"x\"", "1.5", "-0", "[[]]", "{\"a\":1}", "\"\\ud800\""];

    private static Sample MakeSample(Random rng, (string Name, DType DType, int[] Shape)[] specs, string? metadata)
    {
        var entries = new List<Entry>();
        long offset = 0;
        foreach (var (name, dtype, shape) in specs)
        {
            long bytes = new Shape(shape).Numel * dtype.SizeOf();
            entries.Add(new Entry($"\"{name}\"", $"\"{dtype.SafetensorsName()}\"", "[" + string.Join(",", shape) + "]", $"[{offset},{offset + bytes}]"));
            offset += bytes;
        }
        var data = new byte[offset + rng.Next(3)];
        rng.NextBytes(data);
        return new Sample(entries, metadata, data);
    }

    private static byte[] Assemble(Sample s, Random rng, bool pad = true)
    {
        var sb = new StringBuilder("{");
        var parts = new List<string>();
        if (s.Metadata is not null) parts.Add("\"__metadata__\":" + s.Metadata);
        parts.AddRange(s.Entries.Select(e => e.Json(rng)));
        if (rng.Next(4) == 0) parts.Reverse();
        sb.Append(string.Join(",", parts)).Append('}');
        var header = Encoding.UTF8.GetBytes(sb.ToString());
        if (pad) header = [.. header, .. Enumerable.Repeat((byte)' ', (8 - header.Length % 8) % 8)];
        return RawSafetensors.Build(header, s.Data);
    }

    private static T Pick<T>(Random rng, IReadOnlyList<T> items) => items[rng.Next(items.Count)];

    private static string Offsets(Random rng, Sample s)
    {
        string N() => rng.Next(3) == 0 ? Pick(rng, s_numbers) : rng.Next(-2, s.Data.Length + 3).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return rng.Next(10) switch
        {
            0 => $"[{N()}]",
            1 => $"[{N()},{N()},{N()}]",
            2 => Pick(rng, s_wrongValues),
            _ => $"[{N()},{N()}]",
        };
    }

    private static string ShapeJson(Random rng)
    {
        int rank = rng.Next(5);
        var dims = Enumerable.Range(0, rank).Select(_ => rng.Next(4) == 0 ? Pick(rng, s_numbers) : rng.Next(0, 6).ToString(System.Globalization.CultureInfo.InvariantCulture));
        return rng.Next(12) == 0 ? Pick(rng, s_wrongValues) : "[" + string.Join(",", dims) + "]";
    }

    /// <summary>Edits the JSON model of the header, then reassembles a file with a consistent header length.</summary>
    private static byte[] JsonMutation(Sample s0, Random rng)
    {
        var entries = new List<Entry>(s0.Entries);
        string? meta = s0.Metadata;
        int i = rng.Next(entries.Count);
        var e = entries[i];
        switch (rng.Next(11))
        {
            case 0: entries[i] = e with { Offsets = Offsets(rng, s0) }; break;
            case 1: entries[i] = e with { Shape = ShapeJson(rng) }; break;
            case 2: entries[i] = e with { Dtype = Pick(rng, s_dtypes) }; break;
            case 3: entries.Add(rng.Next(2) == 0 ? e : e with { Offsets = Offsets(rng, s0) }); break;
            case 4: entries[i] = e with { Dtype = e.Dtype + ",\"dtype\":" + Pick(rng, s_dtypes) }; break;
            case 5: entries[i] = e with { Offsets = Pick(rng, entries).Offsets, Shape = Pick(rng, entries).Shape, Dtype = Pick(rng, entries).Dtype }; break;
            case 6:
                string w = Pick(rng, s_wrongValues);
                entries[i] = rng.Next(3) switch { 0 => e with { Dtype = w }, 1 => e with { Shape = w }, _ => e with { Offsets = w } };
                break;
            case 7: entries[i] = e with { Name = "\"" + (char)rng.Next(0x80, 0x800) + e.Name[1..] }; break;
            case 8: meta = Pick(rng, ["{\"k\":1}", "{\"k\":\"a\",\"k\":\"b\"}", "[]", "null", "\"s\"", "{\"k\":{}}", "{\"ok\":\"v\"}", "{}"]); break;
            case 9: entries[i] = e with { Offsets = e.Offsets + ",\"extra\":" + Pick(rng, s_wrongValues) }; break;
            default:
                string swapped = e.Offsets.StartsWith('[') && e.Offsets.Contains(',', StringComparison.Ordinal)
                    ? "[" + string.Join(",", e.Offsets.Trim('[', ']').Split(',').Reverse()) + "]" : e.Offsets;
                entries[i] = e with { Offsets = swapped };
                break;
        }
        var bytes = Assemble(new Sample(entries, meta, s0.Data), rng, pad: rng.Next(2) == 0);
        if (rng.Next(10) == 0)
        {
            // Garbage UTF-8 somewhere inside the header.
            int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            if (n > 0) bytes[8 + rng.Next(n)] = Pick(rng, new byte[] { 0x80, 0xBF, 0xC0, 0xC1, 0xE0, 0xED, 0xF5, 0xFF });
        }
        return bytes;
    }

    /// <summary>Mutates the raw bytes: flips, truncations, header-length edits, insertions and deletions.</summary>
    private static byte[] ByteMutation(byte[] valid, Random rng)
    {
        var b = (byte[])valid.Clone();
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(b);
        int headerEnd = Math.Max(9, n > (ulong)(b.Length - 8) ? b.Length : 8 + (int)n);
        switch (rng.Next(6))
        {
            case 0:
                for (int k = rng.Next(1, 5); k > 0; k--) b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                return b;
            case 1:
                for (int k = rng.Next(1, 3); k > 0; k--) b[rng.Next(8, headerEnd)] = (byte)"{}[],:\"0123456789-.e \\"[rng.Next(22)];
                return b;
            case 2:
                int cut = rng.Next(5) switch
                {
                    0 => rng.Next(0, 9),
                    1 => rng.Next(8, headerEnd + 1),
                    2 => headerEnd,
                    3 => b.Length - 1,
                    _ => rng.Next(headerEnd, b.Length),
                };
                return b[..cut];
            case 3:
                ulong[] lengths = [0, n - 1, n + 1, n + 8, (ulong)(b.Length - 8), (ulong)(b.Length - 7), (ulong)rng.Next(),
                    (ulong)rng.NextInt64(), ulong.MaxValue, 1UL << 63, 100_000_001, 100_000_000, 2];
                BinaryPrimitives.WriteUInt64LittleEndian(b, Pick(rng, lengths));
                return b;
            case 4:
                int at = rng.Next(8, headerEnd);
                return [.. b[..at], .. new[] { (byte)rng.Next(256) }, .. b[at..]];
            default:
                int del = rng.Next(8, Math.Max(9, headerEnd));
                return del < b.Length ? [.. b[..del], .. b[(del + 1)..]] : b;
        }
    }

    /// <summary>Opens and reads everything; returns true on success (asserting in-range data), false on InvalidDataException.</summary>
    private static bool OpenAndReadAll(string path, byte[] bytes)
    {
        SafetensorsFile f;
        try
        {
            f = SafetensorsFile.Open(path);
        }
        catch (InvalidDataException e)
        {
            Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
            return false;
        }
        using (f)
        {
            foreach (var (k, v) in f.Metadata) Assert.True(k is not null && v is not null);
            foreach (var name in f.Names)
            {
                var info = f.GetInfo(name);
                Assert.InRange(info.FileOffset, f.DataOffset, bytes.Length);
                Assert.InRange(info.FileOffset + info.ByteLength, info.FileOffset, bytes.Length);
                Assert.Equal(info.Numel * info.DType.SizeOf(), info.ByteLength);
                using var t = f.GetTensor(name);
                var got = new ReadOnlySpan<byte>(t.RawPointer, checked((int)info.ByteLength));
                Assert.True(got.SequenceEqual(bytes.AsSpan((int)info.FileOffset, (int)info.ByteLength)), $"tensor {name} bytes differ from the file");
                if (t.Numel is > 0 and < 64) _ = t.ToArray();
            }
        }
        return true;
    }

    [Fact]
    public void Thousands_of_mutations_open_cleanly_or_throw_InvalidDataException()
    {
        var rng = new Random(20_26_11_22);
        var samples = new List<Sample>
        {
            MakeSample(rng, [("model.w", DType.F32, [2, 3]), ("model.b", DType.BF16, [4]), ("ids", DType.I64, [2])], "{\"format\":\"pt\",\"k\":\"v\"}"),
            MakeSample(rng, [("s", DType.F16, []), ("e", DType.U8, [0, 5]), ("m", DType.Bool, [3]), ("d", DType.F64, [1, 2]), ("i", DType.I32, [2, 2])], null),
            MakeSample(rng, [("x", DType.U8, [1])], "{}"),
        };
        using var dir = new TempDir();
        string path = dir.File("fuzz.safetensors");
        foreach (var s in samples) Assert.True(OpenAndReadAll(RawSafetensors.WriteTo(path, Assemble(s, rng)), Assemble(s, rng)), "unmutated sample must open");

        const int iterations = 6000;
        int opened = 0, rejected = 0;
        for (int it = 0; it < iterations; it++)
        {
            var s = Pick(rng, samples);
            byte[] bytes = rng.Next(2) == 0 ? JsonMutation(s, rng) : ByteMutation(Assemble(s, rng), rng);
            if (rng.Next(5) == 0) bytes = ByteMutation(bytes.Length >= 9 ? bytes : Assemble(s, rng), rng);
            File.WriteAllBytes(path, bytes);
            try
            {
                if (OpenAndReadAll(path, bytes)) opened++;
                else rejected++;
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"iteration {it}: {e.GetType().Name} instead of InvalidDataException: {e.Message}\nheader bytes: {Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 400)))}");
            }
        }
        Assert.True(opened > 200, $"only {opened} of {iterations} mutated files opened: the mutations or the validator are too strict");
        Assert.True(rejected > iterations / 2, $"only {rejected} of {iterations} mutated files were rejected");
    }
}
