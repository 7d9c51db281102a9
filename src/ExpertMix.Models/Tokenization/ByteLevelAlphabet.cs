// GPT-2's bytes-to-unicode table: every byte maps to one printable character (e.g. space → 'Ġ', '\n' → 'Ċ').
namespace ExpertMix.Models.Tokenization;

/// <summary>The reversible byte ↔ char table used by byte-level BPE (GPT-2, Llama-3, Qwen).</summary>
internal static class ByteLevelAlphabet
{
    /// <summary>Byte → char (all chars are in the BMP).</summary>
    public static readonly char[] ByteToChar = Build();

    /// <summary>Char → byte, or -1 for chars outside the table; indexed by char code (0..0x143).</summary>
    public static readonly short[] CharToByte = BuildInverse();

    private static char[] Build()
    {
        var table = new char[256];
        var isDirect = new bool[256];
        for (int b = '!'; b <= '~'; b++) isDirect[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) isDirect[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) isDirect[b] = true;
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            if (isDirect[b]) table[b] = (char)b;
            else table[b] = (char)(256 + n++);
        }
        return table;
    }

    private static short[] BuildInverse()
    {
        var inv = new short[512];
        Array.Fill(inv, (short)-1);
        for (int b = 0; b < 256; b++) inv[ByteToChar[b]] = (short)b;
        return inv;
    }

    /// <summary>The byte of <paramref name="c"/>, or -1 when <paramref name="c"/> is not in the table.</summary>
    public static int ToByte(char c) => c < 512 ? CharToByte[c] : -1;

    /// <summary>Maps the UTF-8 bytes of <paramref name="s"/> to table chars.</summary>
    public static string Encode(ReadOnlySpan<char> s)
    {
        int max = System.Text.Encoding.UTF8.GetMaxByteCount(s.Length);
        Span<byte> buffer = max <= 1024 ? stackalloc byte[max] : new byte[max];
        int n = System.Text.Encoding.UTF8.GetBytes(s, buffer);
        Span<char> chars = n <= 1024 ? stackalloc char[n] : new char[n];
        for (int i = 0; i < n; i++) chars[i] = ByteToChar[buffer[i]];
        return new string(chars);
    }
}
