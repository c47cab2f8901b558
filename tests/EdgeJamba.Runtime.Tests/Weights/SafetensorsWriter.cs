using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace EdgeJamba.Runtime.Tests.Weights;

/// <summary>
/// Writes tiny safetensors files for tests, independently of the reader: header JSON built by hand,
/// padded with spaces to a multiple of 8 bytes, tensors laid out back to back in the given order.
/// </summary>
internal static class SafetensorsWriter
{
    public sealed record Tensor(string Name, string DType, long[] Shape, byte[] Data);

    public static void Write(string path, IEnumerable<Tensor> tensors, string? metadataJson = null)
    {
        var header = new StringBuilder("{");
        var data = new MemoryStream();
        if (metadataJson is not null)
        {
            header.Append(CultureInfo.InvariantCulture, $"\"__metadata__\":{metadataJson},");
        }
        foreach (Tensor tensor in tensors)
        {
            long begin = data.Length;
            data.Write(tensor.Data);
            header.Append(CultureInfo.InvariantCulture,
                $"\"{tensor.Name}\":{{\"dtype\":\"{tensor.DType}\",\"shape\":[{string.Join(",", tensor.Shape)}],\"data_offsets\":[{begin},{data.Length}]}},");
        }
        if (header[^1] == ',')
        {
            header.Length--;
        }
        header.Append('}');
        WriteRaw(path, header.ToString(), data.ToArray());
    }

    /// <summary>Header length (little-endian u64), <paramref name="headerJson"/> padded to 8 bytes, then <paramref name="data"/>.</summary>
    public static void WriteRaw(string path, string headerJson, byte[] data)
    {
        byte[] json = Encoding.UTF8.GetBytes(headerJson);
        int padded = (json.Length + 7) / 8 * 8;
        var file = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)padded);
        file.AsSpan(8, padded).Fill((byte)' ');
        json.CopyTo(file, 8);
        data.CopyTo(file, 8 + padded);
        File.WriteAllBytes(path, file);
    }

    public static Tensor F32(string name, long[] shape, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        }
        return new Tensor(name, "F32", shape, bytes);
    }

    public static Tensor F16(string name, long[] shape, Half[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), values[i]);
        }
        return new Tensor(name, "F16", shape, bytes);
    }

    /// <summary>A BF16 tensor from raw 16-bit patterns.</summary>
    public static Tensor BF16(string name, long[] shape, ushort[] bits)
    {
        var bytes = new byte[bits.Length * 2];
        for (int i = 0; i < bits.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), bits[i]);
        }
        return new Tensor(name, "BF16", shape, bytes);
    }
}
