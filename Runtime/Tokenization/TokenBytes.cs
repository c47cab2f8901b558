using System.Buffers;
using System.Text;

namespace EdgeJamba.Runtime.Tokenization;

/// <summary>The raw bytes of every token id, built once when a tokenizer loads so decoding never converts strings.</summary>
internal sealed class TokenBytes(byte[][] table)
{
    public int Count => table.Length;

    public ReadOnlySpan<byte> this[int id]
        => (uint)id < (uint)table.Length
            ? table[id]
            : throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id outside the vocabulary of {table.Length}.");

    public void Write(int id, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        destination.Write(this[id]);
    }

    /// <summary>UTF-8 text of the concatenated bytes, skipping the first <paramref name="skipBytes"/> (invalid sequences become U+FFFD).</summary>
    public string Decode(IEnumerable<int> ids, int skipBytes = 0)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var buffer = new ArrayBufferWriter<byte>();
        foreach (int id in ids)
        {
            Write(id, buffer);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan[skipBytes..]);
    }
}
