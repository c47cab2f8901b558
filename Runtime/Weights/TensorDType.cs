namespace EdgeJamba.Runtime;

/// <summary>The safetensors element types EdgeJamba reads (the header's <c>dtype</c> string).</summary>
public enum TensorDType
{
    /// <summary>IEEE binary32.</summary>
    F32,

    /// <summary>IEEE binary16 (<see cref="Half"/>).</summary>
    F16,

    /// <summary>bfloat16: the upper 16 bits of a binary32.</summary>
    BF16,

    /// <summary>Unsigned byte (BitNet packed ternary weights).</summary>
    U8,

    /// <summary>Signed byte.</summary>
    I8,

    /// <summary>Signed 32-bit integer.</summary>
    I32,

    /// <summary>IEEE binary64.</summary>
    F64,
}

/// <summary>Element sizes and header names of <see cref="TensorDType"/>.</summary>
public static class TensorDTypeExtensions
{
    /// <summary>The dtype names accepted in a safetensors header, for error messages.</summary>
    internal const string SupportedNames = "F32, F16, BF16, U8, I8, I32, F64";

    /// <summary>Bytes per element.</summary>
    public static int ByteSize(this TensorDType dtype) => dtype switch
    {
        TensorDType.F32 or TensorDType.I32 => 4,
        TensorDType.F16 or TensorDType.BF16 => 2,
        TensorDType.U8 or TensorDType.I8 => 1,
        TensorDType.F64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>Parses a header dtype string (exact, upper case as safetensors writes it).</summary>
    internal static bool TryParse(string name, out TensorDType dtype)
    {
        switch (name)
        {
            case "F32": dtype = TensorDType.F32; return true;
            case "F16": dtype = TensorDType.F16; return true;
            case "BF16": dtype = TensorDType.BF16; return true;
            case "U8": dtype = TensorDType.U8; return true;
            case "I8": dtype = TensorDType.I8; return true;
            case "I32": dtype = TensorDType.I32; return true;
            case "F64": dtype = TensorDType.F64; return true;
            default: dtype = default; return false;
        }
    }
}
