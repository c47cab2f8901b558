using System.Collections.Generic;

namespace EdgeJamba.Spec;

// A tiny JSON document model that remembers where every value and key sits in the text, so a
// problem can be reported at its line and column. (System.Text.Json cannot be used inside an
// analyzer reliably, and it does not keep offsets.)

/// <summary>Kind of a JSON value.</summary>
enum JsonKind { Object, Array, String, Number, True, False, Null }

/// <summary>A JSON value with its character span in the source text.</summary>
sealed partial class JsonNode
{
    internal JsonNode(JsonKind kind, int start, int length)
    {
        Kind = kind;
        Start = start;
        Length = length;
    }

    public JsonKind Kind { get; }

    /// <summary>Offset of the value's first character.</summary>
    public int Start { get; }

    /// <summary>Characters the value spans.</summary>
    public int Length { get; internal set; }

    /// <summary>String value (unescaped) or the number's source text.</summary>
    public string Text { get; internal set; } = "";

    /// <summary>Members of an object, in source order (duplicates kept, the validator reports them).</summary>
    public List<JsonMember> Members { get; } = new List<JsonMember>();

    /// <summary>Items of an array, in order.</summary>
    public List<JsonNode> Items { get; } = new List<JsonNode>();

    public string KindName => Kind switch
    {
        JsonKind.Object => "an object",
        JsonKind.Array => "an array",
        JsonKind.String => "a string",
        JsonKind.Number => "a number",
        JsonKind.Null => "null",
        _ => "a boolean",
    };
}

/// <summary>One <c>"name": value</c> pair of an object, with the span of the name.</summary>
sealed partial class JsonMember
{
    internal JsonMember(string name, int nameStart, int nameLength, JsonNode value)
    {
        Name = name;
        NameStart = nameStart;
        NameLength = nameLength;
        Value = value;
    }

    public string Name { get; }

    public int NameStart { get; }

    public int NameLength { get; }

    public JsonNode Value { get; }
}
