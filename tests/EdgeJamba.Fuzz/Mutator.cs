using System.Buffers.Binary;
using System.Text;
using CsCheck;

namespace EdgeJamba.Fuzz;

/// <summary>One edit of an input; the numbers are reduced modulo the input's length when applied.</summary>
public readonly record struct Mutation(int Kind, int A, int B, int C);

/// <summary>A seed input (by index) and the edits applied to it, in order.</summary>
public sealed record FuzzCase(int Seed, Mutation[] Edits);

/// <summary>
/// Byte-level mutations of valid inputs: bit flips, byte sets, inserts, deletes, truncation, duplication,
/// splices of another seed, interesting integers (1, 2, 4 or 8 bytes, little-endian) in length fields,
/// and interesting numbers written over a digit run of a text input.
/// </summary>
public static class Mutator
{
    private const int Kinds = 9;

    private static readonly long[] s_interesting =
    [
        0, 1, -1, 7, 8, 16, 127, 128, 255, 256, 1023, 4096, 32767, 32768, 65535, 65536,
        int.MaxValue, int.MinValue, uint.MaxValue, 1L << 32, long.MaxValue, long.MinValue, 1L << 62,
    ];

    private static readonly string[] s_numbers =
    [
        "0", "-1", "1", "-0", "2147483647", "2147483648", "4294967296", "-2147483649", "16777217", "99999999999999999999",
        "1e309", "-1e309", "1.5", "1e-400", "9223372036854775808", "65536", "3",
    ];

    /// <summary>Cases over <paramref name="seedCount"/> seeds with 1 to 8 edits each (shrinking drops edits and lowers numbers).</summary>
    public static Gen<FuzzCase> Cases(int seedCount)
    {
        Gen<Mutation> edit = Gen.Select(Gen.Int[0, Kinds - 1], Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue],
            (kind, a, b, c) => new Mutation(kind, a, b, c));
        return Gen.Select(Gen.Int[0, seedCount - 1], edit.Array[1, 8], (seed, edits) => new FuzzCase(seed, edits));
    }

    /// <summary>The seed <paramref name="fuzzCase"/> names with its edits applied (<paramref name="seeds"/> are not changed).</summary>
    public static byte[] Apply(FuzzCase fuzzCase, IReadOnlyList<byte[]> seeds)
    {
        ArgumentNullException.ThrowIfNull(fuzzCase);
        ArgumentNullException.ThrowIfNull(seeds);
        var data = new List<byte>(seeds[fuzzCase.Seed]);
        foreach (var m in fuzzCase.Edits)
        {
            Apply(m, data, seeds);
        }
        return [.. data];
    }

    private static void Apply(Mutation m, List<byte> data, IReadOnlyList<byte[]> seeds)
    {
        int n = data.Count;
        int at = n == 0 ? 0 : m.A % n;
        switch (m.Kind)
        {
            case 0 when n > 0: // bit flip
                data[at] ^= (byte)(1 << (m.B % 8));
                break;
            case 1 when n > 0: // set a byte
                data[at] = (byte)m.B;
                break;
            case 2: // insert 1..16 bytes
                data.InsertRange(at, Enumerable.Range(0, 1 + (m.B % 16)).Select(i => (byte)(m.C >> (i % 4 * 8))));
                break;
            case 3 when n > 0: // delete 1..64 bytes
                data.RemoveRange(at, Math.Min(1 + (m.B % 64), n - at));
                break;
            case 4: // truncate
                data.RemoveRange(at, n - at);
                break;
            case 5 when n > 0: // duplicate a range elsewhere
                {
                    int length = Math.Min(1 + (m.B % 256), n - at);
                    data.InsertRange(m.C % n, data.GetRange(at, length));
                    break;
                }
            case 6: // splice a piece of another seed over the tail
                {
                    byte[] other = seeds[m.B % seeds.Count];
                    if (other.Length > 0)
                    {
                        int from = m.C % other.Length;
                        data.RemoveRange(at, n - at);
                        data.AddRange(other.AsSpan(from).ToArray());
                    }
                    break;
                }
            case 7 when n > 0: // an interesting integer, 1/2/4/8 bytes little-endian
                {
                    long value = s_interesting[m.B % s_interesting.Length];
                    int width = 1 << (m.C % 4);
                    Span<byte> bytes = stackalloc byte[8];
                    BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
                    for (int i = 0; i < width && at + i < n; i++)
                    {
                        data[at + i] = bytes[i];
                    }
                    break;
                }
            case 8: // an interesting number over the digit run at or after the position (text inputs)
                {
                    int start = at;
                    while (start < n && !char.IsAsciiDigit((char)data[start]))
                    {
                        start++;
                    }
                    int end = start;
                    while (end < n && (char.IsAsciiDigit((char)data[end]) || data[end] is (byte)'.' or (byte)'e' or (byte)'E' or (byte)'-'))
                    {
                        end++;
                    }
                    data.RemoveRange(start, end - start);
                    data.InsertRange(start, Encoding.ASCII.GetBytes(s_numbers[m.B % s_numbers.Length]));
                    break;
                }
        }
    }
}
