// The NumPy .npy v1.0 format for little-endian float32 arrays (what numpy.load reads).
using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace ExpertMix.Adapters.XLora;

/// <summary>
/// Writes .npy version 1.0: the magic <c>\x93NUMPY</c>, bytes 1 and 0, a little-endian uint16 header length H, then H
/// bytes of ASCII header dict <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (d0, d1, …), }</c> padded with
/// spaces and ended by '\n' so that 10 + H is a multiple of 64, then the C-order float32 data.
/// </summary>
internal static class NpyFormat
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0];

    /// <summary>The 10-byte preamble plus padded header for a float32 array of <paramref name="shape"/>.</summary>
    public static byte[] Header(IReadOnlyList<long> shape)
    {
        string dims = shape.Count == 1 ? $"{shape[0]}," : string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        int unpadded = Magic.Length + 2 + dict.Length + 1;
        int total = (unpadded + 63) / 64 * 64;
        string header = dict + new string(' ', total - unpadded) + "\n";
        if (header.Length > ushort.MaxValue) throw new ArgumentException($"a .npy v1.0 header holds at most 65535 bytes; shape ({dims}) needs {header.Length}");
        var bytes = new byte[total];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        Encoding.ASCII.GetBytes(header, bytes.AsSpan(10));
        return bytes;
    }

    /// <summary>Writes <paramref name="values"/> as little-endian float32.</summary>
    public static void WriteFloats(Stream stream, ReadOnlySpan<float> values)
    {
        Span<byte> buffer = stackalloc byte[4096];
        while (!values.IsEmpty)
        {
            int k = Math.Min(values.Length, buffer.Length / 4);
            for (int i = 0; i < k; i++) BinaryPrimitives.WriteSingleLittleEndian(buffer[(4 * i)..], values[i]);
            stream.Write(buffer[..(4 * k)]);
            values = values[k..];
        }
    }
}
