using System.Buffers;
using System.Text;

namespace EdgeJamba.Runtime.Tokenization;

/// <summary>
/// The tokenizer of models trained on raw bytes, and the fallback for a model folder without a tokenizer
/// file: ids 0..255 are the byte values, and ids 256, 257, ... are the special tokens given to the
/// constructor, in order (vocabulary size 256 + their count).
/// <see cref="Encode"/> returns the UTF-8 bytes of the text (special-token names in the text are not
/// recognized); special tokens decode to nothing. Without settings there is no BOS or EOS.
/// </summary>
public sealed class ByteTextTokenizer : ITextTokenizer
{
    private static readonly byte[][] s_byteTable = Enumerable.Range(0, 256).Select(b => new[] { (byte)b }).ToArray();
    private readonly string[] _specialNames;
    private readonly TokenBytes _bytes;
    private readonly SpecialTokens _special;

    /// <param name="specialTokens">Names of the special tokens, which get ids 256, 257, ...</param>
    /// <param name="settings">BOS/EOS choices; a token string is looked up among <paramref name="specialTokens"/>.</param>
    public ByteTextTokenizer(IReadOnlyList<string>? specialTokens = null, TokenizerSettings? settings = null)
    {
        _specialNames = specialTokens?.ToArray() ?? [];
        var table = new byte[256 + _specialNames.Length][];
        s_byteTable.CopyTo(table, 0);
        Array.Fill(table, [], 256, _specialNames.Length);
        _bytes = new TokenBytes(table);
        _special = (settings ?? new TokenizerSettings()).Resolve(
            t => Array.IndexOf(_specialNames, t) is int i and >= 0 ? 256 + i : null, SpecialTokens.None, VocabSize, "byte tokenizer");
    }

    /// <summary>Names of the ids from 256 on.</summary>
    public IReadOnlyList<string> SpecialTokenNames => _specialNames;

    public int VocabSize => _bytes.Count;

    public int? BosId => _special.BosId;

    public int? EosId => _special.EosId;

    public IReadOnlyList<int> EosIds => _special.EosIds;

    public bool AddBos => _special.AddBos;

    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        var ids = new int[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            ids[i] = bytes[i];
        }
        return ids;
    }

    public void DecodeToken(int id, IBufferWriter<byte> destination) => _bytes.Write(id, destination);

    public string Decode(IEnumerable<int> ids) => _bytes.Decode(ids);
}
