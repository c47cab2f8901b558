namespace EdgeJamba.Runtime;

/// <summary>
/// One tensor of a safetensors file: its name, element type, shape and where its bytes are.
/// <see cref="Shape"/> holds <see cref="long"/> dimensions (safetensors stores unsigned 64-bit
/// integers; every dimension here is validated to be non-negative and their product, times the
/// element size, to fit in a <see cref="long"/>). A scalar has an empty shape and one element.
/// </summary>
public sealed class TensorInfo
{
    internal TensorInfo(string name, TensorDType dtype, long[] shape, long byteOffset, long byteLength, long elementCount, string filePath)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        ByteOffset = byteOffset;
        ByteLength = byteLength;
        ElementCount = elementCount;
        FilePath = filePath;
    }

    public string Name { get; }

    public TensorDType DType { get; }

    /// <summary>The dimensions, outermost first (row-major).</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Offset of the first byte from the start of the file (not of the data area).</summary>
    public long ByteOffset { get; }

    /// <summary><see cref="ElementCount"/> × the element size.</summary>
    public long ByteLength { get; }

    public long ElementCount { get; }

    /// <summary>The file the tensor lives in, as it was given to <see cref="SafetensorsFile.Open"/>.</summary>
    public string FilePath { get; }

    /// <summary>The shape as <c>[a, b, c]</c>, for messages.</summary>
    public string ShapeText => FormatShape(Shape);

    /// <summary><c>name DTYPE [a, b]</c>.</summary>
    public override string ToString() => $"{Name} {DType} {ShapeText}";

    internal static string FormatShape(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";
}
