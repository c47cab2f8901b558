using System.Runtime.InteropServices;
using System.Text.Json;

namespace EdgeJamba.Runtime;

/// <summary>
/// Writes float32 tensors as a safetensors file: 8-byte little-endian header length, a JSON header
/// (<c>dtype</c>, <c>shape</c>, <c>data_offsets</c> per tensor, in the given order), then the data.
/// The file appears complete or not at all (see <see cref="AtomicFile"/>).
/// </summary>
public static class SafetensorsWriter
{
    public static void Write(string path, IReadOnlyList<(string Name, long[] Shape, float[] Data)> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            long offset = 0;
            foreach (var (name, shape, data) in tensors)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (long dim in shape)
                {
                    json.WriteNumberValue(dim);
                }
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += (long)data.Length * sizeof(float);
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
                file.Write(MemoryMarshal.AsBytes(data.AsSpan()));
            }
        });
    }
}
