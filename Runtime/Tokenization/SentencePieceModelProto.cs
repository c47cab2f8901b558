using System.Text;

namespace EdgeJamba.Runtime.Tokenization;

/// <summary>Piece types of a SentencePiece model (<c>ModelProto.SentencePiece.Type</c>).</summary>
internal enum SentencePieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>
/// The parts of a SentencePiece <c>tokenizer.model</c> (a serialized <c>sentencepiece.ModelProto</c>) that
/// decoding and normalization need: every piece with its type, the trainer's model type, special ids and
/// whitespace options, and the normalizer flags. Unlisted fields are skipped. Field numbers and defaults are
/// those of <c>sentencepiece_model.proto</c>.
/// </summary>
internal sealed class SentencePieceModelProto
{
    public const int ModelTypeBpe = 2;

    public List<(string Piece, SentencePieceType Type)> Pieces { get; } = [];

    public int ModelType { get; private set; } = 1; // UNIGRAM

    public int UnkId { get; private set; }

    public int BosId { get; private set; } = 1;

    public int EosId { get; private set; } = 2;

    public bool TreatWhitespaceAsSuffix { get; private set; }

    public string UnkSurface { get; private set; } = " \u2047 ";

    public string NormalizerName { get; private set; } = "";

    public bool HasPrecompiledCharsmap { get; private set; }

    public bool AddDummyPrefix { get; private set; } = true;

    public bool RemoveExtraWhitespaces { get; private set; } = true;

    public bool EscapeWhitespaces { get; private set; } = true;

    /// <exception cref="FormatException">The bytes are not a well-formed protobuf message.</exception>
    public static SentencePieceModelProto Parse(ReadOnlySpan<byte> data)
    {
        var model = new SentencePieceModelProto();
        var reader = new ProtoReader(data);
        while (reader.Next(out int field, out int wireType))
        {
            switch (field)
            {
                case 1 when wireType == ProtoReader.LengthDelimited:
                    model.Pieces.Add(ParsePiece(reader.ReadBytes()));
                    break;
                case 2 when wireType == ProtoReader.LengthDelimited:
                    model.ParseTrainerSpec(reader.ReadBytes());
                    break;
                case 3 when wireType == ProtoReader.LengthDelimited:
                    model.ParseNormalizerSpec(reader.ReadBytes());
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
        return model;
    }

    private static (string, SentencePieceType) ParsePiece(ReadOnlySpan<byte> data)
    {
        string piece = "";
        var type = SentencePieceType.Normal;
        var reader = new ProtoReader(data);
        while (reader.Next(out int field, out int wireType))
        {
            if (field == 1 && wireType == ProtoReader.LengthDelimited)
            {
                piece = Encoding.UTF8.GetString(reader.ReadBytes());
            }
            else if (field == 3 && wireType == ProtoReader.Varint)
            {
                type = (SentencePieceType)(int)reader.ReadVarint();
            }
            else
            {
                reader.Skip(wireType);
            }
        }
        return (piece, type);
    }

    private void ParseTrainerSpec(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        while (reader.Next(out int field, out int wireType))
        {
            switch (field)
            {
                case 3 when wireType == ProtoReader.Varint:
                    ModelType = (int)reader.ReadVarint();
                    break;
                case 24 when wireType == ProtoReader.Varint:
                    TreatWhitespaceAsSuffix = reader.ReadVarint() != 0;
                    break;
                case 40 when wireType == ProtoReader.Varint:
                    UnkId = (int)reader.ReadVarint();
                    break;
                case 41 when wireType == ProtoReader.Varint:
                    BosId = (int)reader.ReadVarint();
                    break;
                case 42 when wireType == ProtoReader.Varint:
                    EosId = (int)reader.ReadVarint();
                    break;
                case 44 when wireType == ProtoReader.LengthDelimited:
                    UnkSurface = Encoding.UTF8.GetString(reader.ReadBytes());
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
    }

    private void ParseNormalizerSpec(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        while (reader.Next(out int field, out int wireType))
        {
            switch (field)
            {
                case 1 when wireType == ProtoReader.LengthDelimited:
                    NormalizerName = Encoding.UTF8.GetString(reader.ReadBytes());
                    break;
                case 2 when wireType == ProtoReader.LengthDelimited:
                    HasPrecompiledCharsmap = reader.ReadBytes().Length > 0;
                    break;
                case 3 when wireType == ProtoReader.Varint:
                    AddDummyPrefix = reader.ReadVarint() != 0;
                    break;
                case 4 when wireType == ProtoReader.Varint:
                    RemoveExtraWhitespaces = reader.ReadVarint() != 0;
                    break;
                case 5 when wireType == ProtoReader.Varint:
                    EscapeWhitespaces = reader.ReadVarint() != 0;
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
    }

    /// <summary>Minimal protobuf wire-format reader (varint, 64-bit, length-delimited and 32-bit fields).</summary>
    private ref struct ProtoReader(ReadOnlySpan<byte> data)
    {
        public const int Varint = 0;
        public const int LengthDelimited = 2;
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public bool Next(out int field, out int wireType)
        {
            if (_position >= _data.Length)
            {
                field = wireType = 0;
                return false;
            }
            ulong key = ReadVarint();
            field = (int)(key >> 3);
            wireType = (int)(key & 7);
            return true;
        }

        /// <summary>A varint; negative int32 values arrive sign-extended to 64 bits, so <c>(int)</c> of the result is exact.</summary>
        public ulong ReadVarint()
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_position >= _data.Length)
                {
                    throw new FormatException("truncated varint");
                }
                byte b = _data[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }
            throw new FormatException("varint longer than 10 bytes");
        }

        public ReadOnlySpan<byte> ReadBytes()
        {
            ulong length = ReadVarint();
            if (length > (ulong)(_data.Length - _position))
            {
                throw new FormatException("length-delimited field runs past the end of its message");
            }
            ReadOnlySpan<byte> bytes = _data.Slice(_position, (int)length);
            _position += (int)length;
            return bytes;
        }

        public void Skip(int wireType)
        {
            switch (wireType)
            {
                case Varint:
                    ReadVarint();
                    break;
                case 1:
                    Advance(8);
                    break;
                case LengthDelimited:
                    ReadBytes();
                    break;
                case 5:
                    Advance(4);
                    break;
                default:
                    throw new FormatException($"unsupported protobuf wire type {wireType}");
            }
        }

        private void Advance(int count)
        {
            if (count > _data.Length - _position)
            {
                throw new FormatException("field runs past the end of its message");
            }
            _position += count;
        }
    }
}
