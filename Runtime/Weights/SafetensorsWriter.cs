using System.Runtime.InteropServices;
using System.Text.Json;

namespace EdgeJamba.Runtime;

/// <summary>
/// Writes float32 values as a safetensors file of F32, F16 or BF16 tensors (rounded to nearest even): 8-byte
/// little-endian header length, a JSON header (<c>dtype</c>, <c>shape</c>, <c>data_offsets</c> per tensor, in the
/// given order), then the data.
/// The file appears complete or not at all (see <see cref="AtomicFile"/>).
/// </summary>
public static class SafetensorsWriter
{
    public static void Write(string path, IReadOnlyList<(string Name, long[] Shape, float[] Data)> tensors, TensorDType dtype = TensorDType.F32)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (dtype is not (TensorDType.F32 or TensorDType.F16 or TensorDType.BF16))
        {
            throw new ArgumentException($"tensors are written as F32, F16 or BF16, not {dtype}", nameof(dtype));
        }
        int size = dtype == TensorDType.F32 ? sizeof(float) : sizeof(ushort);
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            long offset = 0;
            foreach (var (name, shape, data) in tensors)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype.ToString());
                json.WriteStartArray("shape");
                foreach (long dim in shape)
                {
                    json.WriteNumberValue(dim);
                }
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += (long)data.Length * size;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // Pad the header with spaces so the data area starts 8-byte aligned (as the reference writer does).
        while ((header.Length + 8) % 8 != 0)
        {
            header.WriteByte((byte)' ');
        }
        AtomicFile.Write(path, file =>
        {
            Span<byte> length = stackalloc byte[8];
            BitConverter.TryWriteBytes(length, (ulong)header.Length);
            file.Write(length);
            file.Write(header.GetBuffer(), 0, (int)header.Length);
            foreach (var (_, _, data) in tensors)
            {
                if (dtype == TensorDType.F32)
                {
                    file.Write(MemoryMarshal.AsBytes(data.AsSpan()));
                }
                else
                {
                    var narrow = new ushort[data.Length];
                    for (int i = 0; i < data.Length; i++)
                    {
                        narrow[i] = dtype == TensorDType.F16 ? BitConverter.HalfToUInt16Bits((Half)data[i]) : ToBFloat16(data[i]);
                    }
                    file.Write(MemoryMarshal.AsBytes(narrow.AsSpan()));
                }
            }
        });
    }

    /// <summary>float32 → bfloat16, rounded to nearest even (NaN stays a quiet NaN).</summary>
    private static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        return float.IsNaN(value) ? (ushort)0x7FC0 : (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }
}
