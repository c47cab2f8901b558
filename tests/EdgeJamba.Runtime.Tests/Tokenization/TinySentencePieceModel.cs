using System.Text;

namespace EdgeJamba.Runtime.Tests.Tokenization;

/// <summary>
/// Writes a small SentencePiece BPE <c>ModelProto</c> by hand (field numbers of sentencepiece_model.proto), so
/// tests can check piece types and normalizer options that the stories260K model does not exercise.
/// Ids: 0 &lt;unk&gt;, 1 &lt;s&gt;, 2 &lt;/s&gt;, 3 &lt;sep&gt; (user-defined), 4..259 the byte pieces &lt;0x00&gt;..&lt;0xFF&gt;,
/// then the normal pieces of <see cref="NormalPieces"/> from id 260.
/// </summary>
internal static class TinySentencePieceModel
{
    public const int Unk = 0;
    public const int Bos = 1;
    public const int Eos = 2;
    public const int Sep = 3;
    public const int FirstByte = 4;

    /// <summary>Normal pieces and scores; a higher score merges first.</summary>
    public static readonly (string Piece, float Score)[] NormalPieces =
    [
        ("\u2581", 0f),       // 260
        ("a", 0f),            // 261
        ("b", 0f),            // 262
        ("\u2581a", -1f),     // 263
        ("ab", -2f),          // 264
        ("\u2581b", -3f),     // 265
        ("\u2581\u2581", -4f), // 266
    ];

    public static byte[] Build(
        bool addDummyPrefix = true,
        bool removeExtraWhitespaces = true,
        int modelType = 2,
        bool withCharsmap = false)
    {
        var model = new MemoryStream();
        Piece(model, "<unk>", 0f, 2);
        Piece(model, "<s>", 0f, 3);
        Piece(model, "</s>", 0f, 3);
        Piece(model, "<sep>", 0f, 4);
        for (int b = 0; b < 256; b++)
        {
            Piece(model, $"<0x{b:X2}>", 0f, 6);
        }
        foreach ((string piece, float score) in NormalPieces)
        {
            Piece(model, piece, score, 1);
        }

        var trainer = new MemoryStream();
        Varint(trainer, 3, (ulong)modelType);
        Varint(trainer, 4, (ulong)(260 + NormalPieces.Length));
        Varint(trainer, 35, 1); // byte_fallback
        Message(model, 2, trainer);

        var normalizer = new MemoryStream();
        Bytes(normalizer, 1, Encoding.UTF8.GetBytes(withCharsmap ? "nmt_nfkc" : "identity"));
        Bytes(normalizer, 2, withCharsmap ? [1, 2, 3, 4] : []);
        Varint(normalizer, 3, addDummyPrefix ? 1UL : 0UL);
        Varint(normalizer, 4, removeExtraWhitespaces ? 1UL : 0UL);
        Message(model, 3, normalizer);
        return model.ToArray();
    }

    private static void Piece(Stream model, string piece, float score, int type)
    {
        var message = new MemoryStream();
        Bytes(message, 1, Encoding.UTF8.GetBytes(piece));
        Key(message, 2, 5);
        message.Write(BitConverter.GetBytes(score));
        Varint(message, 3, (ulong)type);
        Message(model, 1, message);
    }

    private static void Message(Stream stream, int field, MemoryStream message) => Bytes(stream, field, message.ToArray());

    private static void Bytes(Stream stream, int field, byte[] bytes)
    {
        Key(stream, field, 2);
        RawVarint(stream, (ulong)bytes.Length);
        stream.Write(bytes);
    }

    private static void Varint(Stream stream, int field, ulong value)
    {
        Key(stream, field, 0);
        RawVarint(stream, value);
    }

    private static void Key(Stream stream, int field, int wireType) => RawVarint(stream, ((ulong)field << 3) | (uint)wireType);

    private static void RawVarint(Stream stream, ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        stream.WriteByte((byte)value);
    }
}
