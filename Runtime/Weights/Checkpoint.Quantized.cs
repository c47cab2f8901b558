using System.Runtime.InteropServices;
using EdgeJamba.Layout;

namespace EdgeJamba.Runtime;

public sealed unsafe partial class Checkpoint
{
    // Bytes of each tensor's copy held in a load-time format (q8_0, or ternary from float), by tensor name.
    private readonly Dictionary<string, long> _heldBytes = new(StringComparer.Ordinal);

    /// <summary>
    /// The bytes a product reads of tensor <paramref name="name"/> when it was quantized at load (<see cref="Q8"/>, or
    /// <see cref="Ternary"/> of a float tensor); <see langword="null"/> when it is read as stored.
    /// </summary>
    public long? HeldBytes(string name)
    {
        lock (_lock)
        {
            return _heldBytes.TryGetValue(name, out long bytes) ? bytes : null;
        }
    }

    /// <summary>
    /// Tensor <paramref name="name"/> as a ternary <c>[rows, cols]</c> matrix, repacked once into native memory owned by the
    /// checkpoint. A <c>U8</c> tensor of shape <c>[rows / 4, cols]</c> is HF's packed BitNet weight (logical row <c>j·rows/4 + r</c>
    /// in bits <c>2j..2j+1</c> of packed row <c>r</c>, codes 0, 1, 2 for −1, 0, +1) with its one-element <c>….weight_scale</c>,
    /// read as γ or 1/γ by <paramref name="scale"/>; a float tensor <c>[rows, cols]</c> is ternarized here by absmean
    /// (<see cref="WeightQuantizer.Ternarize"/>).
    /// </summary>
    public TernaryMatrix Ternary(string name, int rows, int cols, TernaryScale scale)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        TensorInfo info = Info(name);
        var values = new sbyte[(long)rows * cols];
        float gamma;
        if (info.DType == TensorDType.U8)
        {
            IReadOnlyList<long> shape = info.Shape;
            if (rows % 4 != 0 || shape.Count != 2 || shape[0] != rows / 4 || shape[1] != cols)
            {
                throw ShapeMismatch(info, rows % 4 == 0 ? $"[{rows / 4}, {cols}] (packed U8)" : $"[{rows}, {cols}] (rows not a multiple of 4 cannot be packed)");
            }
            UnpackHf(info, RawPointer(name), rows, cols, values);
            string scaleName = global::EdgeJamba.Layout.TensorNames.WeightScale(name);
            float stored = Vector(scaleName, 1)[0];
            if (!(stored > 0) || !float.IsFinite(stored))
            {
                throw new EdgeJambaException($"tensor '{scaleName}' in '{info.FilePath}': a ternary scale must be positive and finite, not {stored}.");
            }
            gamma = scale == TernaryScale.Multiply ? stored : 1f / stored;
        }
        else
        {
            gamma = WeightQuantizer.Ternarize(Matrix(name, rows, cols).AsSpan(), values);
        }
        long bytes = TernaryMatrix.PackedBytes(rows, cols);
        byte* data = (byte*)Allocate(bytes);
        if (info.DType != TensorDType.U8)
        {
            Held(name, bytes);
        }
        TernaryMatrix.Pack(values, rows, cols, new Span<byte>(data, checked((int)bytes)));
        return new TernaryMatrix(data, rows, cols, gamma);
    }

    private static void UnpackHf(TensorInfo info, byte* packed, int rows, int cols, Span<sbyte> values)
    {
        int packedRows = rows / 4;
        for (int r = 0; r < packedRows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                int b = packed[((long)r * cols) + c];
                for (int j = 0; j < 4; j++)
                {
                    int code = (b >> (2 * j)) & 3;
                    if (code == 3)
                    {
                        throw new EdgeJambaException($"tensor '{info.Name}' in '{info.FilePath}': byte [{r}, {c}] holds the unused ternary code 3.");
                    }
                    values[(((j * packedRows) + r) * cols) + c] = (sbyte)(code - 1);
                }
            }
        }
    }

    /// <summary>
    /// Float tensor <paramref name="name"/> (<c>[rows, cols]</c>, F32, F16 or BF16) quantized to q8_0 once, row by row
    /// (<see cref="WeightQuantizer.QuantizeQ8Row"/>), into native memory owned by the checkpoint. A 16-bit tensor is widened
    /// one row at a time, never held as float32.
    /// </summary>
    public Q8Matrix Q8(string name, int rows, int cols)
    {
        Matrix source = Weight(name, rows, cols);
        var row = new float[cols];
        int padded = QuantizedRows.PadColumns(cols), blocks = padded / QuantizedRows.Q8Block;
        sbyte* quants = (sbyte*)Allocate((long)rows * padded);
        float* scales = (float*)Allocate((long)rows * blocks * sizeof(float));
        Held(name, ((long)rows * padded) + ((long)rows * blocks * sizeof(float)));
        for (int r = 0; r < rows; r++)
        {
            source.CopyRowTo(r, row);
            WeightQuantizer.QuantizeQ8Row(row, new Span<sbyte>(quants + ((long)r * padded), padded), new Span<float>(scales + ((long)r * blocks), blocks));
        }
        return new Q8Matrix(quants, scales, rows, cols);
    }

    private void Held(string name, long bytes)
    {
        lock (_lock)
        {
            _heldBytes[name] = bytes;
        }
    }

    /// <summary>64-byte aligned native memory freed with the checkpoint.</summary>
    private void* Allocate(long bytes)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            void* data = NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), 64);
            _owned.Add((nint)data);
            OwnedBytes += bytes;
            return data;
        }
    }
}
