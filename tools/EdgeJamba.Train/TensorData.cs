using static TorchSharp.torch;

namespace EdgeJamba.Train;

/// <summary>
/// Copies between .NET arrays and tensors through <c>TensorAccessor</c>. <c>torch.tensor(array)</c> is not used:
/// in TorchSharp 0.107 tensors made that way corrupted native memory (scalars) after garbage collections.
/// </summary>
internal static class TensorData
{
    public static Tensor FromFloats(float[] values, long[] shape)
    {
        Tensor result = zeros(shape);
        using var accessor = result.data<float>();
        accessor.CopyFrom(values);
        return result;
    }

    public static Tensor FromLongs(long[] values)
    {
        Tensor result = zeros(values.Length, dtype: ScalarType.Int64);
        using var accessor = result.data<long>();
        accessor.CopyFrom(values);
        return result;
    }

    /// <summary>Bytes as int64 token ids.</summary>
    public static Tensor FromBytes(byte[] values) => FromLongs(values.Select(b => (long)b).ToArray());

    public static float[] ToFloats(Tensor t)
    {
        using Tensor copy = t.detach().contiguous();
        using var accessor = copy.data<float>();
        return accessor.ToArray();
    }
}
