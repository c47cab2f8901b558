namespace EdgeJamba.Runtime.Tokenization;

/// <summary>
/// GPT-2's reversible byte-to-character table (<c>bytes_to_unicode</c>), used by byte-level BPE
/// vocabularies: the printable bytes <c>'!'..'~'</c>, <c>'¡'..'¬'</c> and <c>'®'..'ÿ'</c> map to the character
/// with the same code; the other 68 bytes map, in increasing byte order, to U+0100, U+0101, ... (so space,
/// byte 0x20, is <c>'Ġ'</c> U+0120 and newline is <c>'Ċ'</c> U+010A).
/// </summary>
internal static class ByteLevelMapping
{
    private static readonly char[] s_byteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> s_charToByte = BuildCharToByte();

    public static char ToChar(byte value) => s_byteToChar[value];

    public static bool TryToByte(char c, out byte value) => s_charToByte.TryGetValue(c, out value);

    /// <summary>The vocabulary spelling of a byte string.</summary>
    public static string ToVocabularyString(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = bytes.Length <= 256 ? stackalloc char[bytes.Length] : new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            chars[i] = s_byteToChar[bytes[i]];
        }
        return new string(chars);
    }

    private static char[] BuildByteToChar()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    private static Dictionary<char, byte> BuildCharToByte()
    {
        var map = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++)
        {
            map[s_byteToChar[b]] = (byte)b;
        }
        return map;
    }
}
