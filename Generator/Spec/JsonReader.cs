using System;
using System.Globalization;
using System.Text;

namespace EdgeJamba.Spec;

/// <summary>Thrown by <see cref="JsonReader"/> for malformed JSON, with the offending offset.</summary>
sealed partial class JsonSyntaxException : Exception
{
    public JsonSyntaxException(string message, int offset)
        : base(message)
    {
        Offset = offset;
    }

    public int Offset { get; }
}

/// <summary>
/// Strict RFC 8259 reader (no comments, no trailing commas) producing <see cref="JsonNode"/>s with offsets.
/// Nesting is limited to 64 levels so hostile input cannot exhaust the stack.
/// </summary>
static partial class JsonReader
{
    private const int MaxDepth = 64;

    public static JsonNode Parse(string text)
    {
        int pos = 0;
        SkipWhitespace(text, ref pos);
        var root = ReadValue(text, ref pos, 0);
        SkipWhitespace(text, ref pos);
        if (pos != text.Length)
        {
            throw new JsonSyntaxException("unexpected text after the end of the JSON document", pos);
        }
        return root;
    }

    private static JsonNode ReadValue(string text, ref int pos, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new JsonSyntaxException("JSON nested deeper than " + MaxDepth.ToString(CultureInfo.InvariantCulture) + " levels", pos);
        }
        if (pos >= text.Length)
        {
            throw new JsonSyntaxException("unexpected end of the file: a value was expected", pos);
        }
        char c = text[pos];
        switch (c)
        {
            case '{':
                return ReadObject(text, ref pos, depth);
            case '[':
                return ReadArray(text, ref pos, depth);
            case '"':
                {
                    int start = pos;
                    string s = ReadString(text, ref pos);
                    return new JsonNode(JsonKind.String, start, pos - start) { Text = s };
                }
            case 't':
                return ReadLiteral(text, ref pos, "true", JsonKind.True);
            case 'f':
                return ReadLiteral(text, ref pos, "false", JsonKind.False);
            case 'n':
                return ReadLiteral(text, ref pos, "null", JsonKind.Null);
            default:
                if (c == '-' || (c >= '0' && c <= '9'))
                {
                    return ReadNumber(text, ref pos);
                }
                throw new JsonSyntaxException("unexpected character '" + c + "': a value was expected", pos);
        }
    }

    private static JsonNode ReadObject(string text, ref int pos, int depth)
    {
        var node = new JsonNode(JsonKind.Object, pos, 0);
        pos++;
        SkipWhitespace(text, ref pos);
        if (pos < text.Length && text[pos] == '}')
        {
            pos++;
            node.Length = pos - node.Start;
            return node;
        }
        while (true)
        {
            SkipWhitespace(text, ref pos);
            if (pos >= text.Length || text[pos] != '"')
            {
                throw new JsonSyntaxException("a quoted property name was expected", pos);
            }
            int nameStart = pos;
            string name = ReadString(text, ref pos);
            int nameLength = pos - nameStart;
            SkipWhitespace(text, ref pos);
            Expect(text, ref pos, ':');
            SkipWhitespace(text, ref pos);
            var value = ReadValue(text, ref pos, depth + 1);
            node.Members.Add(new JsonMember(name, nameStart, nameLength, value));
            SkipWhitespace(text, ref pos);
            if (pos < text.Length && text[pos] == ',')
            {
                pos++;
                continue;
            }
            Expect(text, ref pos, '}');
            node.Length = pos - node.Start;
            return node;
        }
    }

    private static JsonNode ReadArray(string text, ref int pos, int depth)
    {
        var node = new JsonNode(JsonKind.Array, pos, 0);
        pos++;
        SkipWhitespace(text, ref pos);
        if (pos < text.Length && text[pos] == ']')
        {
            pos++;
            node.Length = pos - node.Start;
            return node;
        }
        while (true)
        {
            SkipWhitespace(text, ref pos);
            node.Items.Add(ReadValue(text, ref pos, depth + 1));
            SkipWhitespace(text, ref pos);
            if (pos < text.Length && text[pos] == ',')
            {
                pos++;
                continue;
            }
            Expect(text, ref pos, ']');
            node.Length = pos - node.Start;
            return node;
        }
    }

    private static string ReadString(string text, ref int pos)
    {
        int start = pos;
        pos++; // opening quote
        var sb = new StringBuilder();
        while (true)
        {
            if (pos >= text.Length)
            {
                throw new JsonSyntaxException("unterminated string", start);
            }
            char c = text[pos++];
            if (c == '"')
            {
                return sb.ToString();
            }
            if (c < ' ')
            {
                throw new JsonSyntaxException("control character inside a string", pos - 1);
            }
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }
            if (pos >= text.Length)
            {
                throw new JsonSyntaxException("unterminated escape sequence", pos - 1);
            }
            char e = text[pos++];
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    if (pos + 4 > text.Length ||
                        !int.TryParse(text.Substring(pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                    {
                        throw new JsonSyntaxException("invalid \\u escape", pos - 2);
                    }
                    sb.Append((char)code);
                    pos += 4;
                    break;
                default:
                    throw new JsonSyntaxException("invalid escape '\\" + e + "'", pos - 2);
            }
        }
    }

    private static JsonNode ReadNumber(string text, ref int pos)
    {
        int start = pos;
        if (text[pos] == '-')
        {
            pos++;
        }
        int digits = ReadDigits(text, ref pos);
        if (digits == 0)
        {
            throw new JsonSyntaxException("a digit was expected", pos);
        }
        if (digits > 1 && text[start + (text[start] == '-' ? 1 : 0)] == '0')
        {
            throw new JsonSyntaxException("numbers must not have leading zeros", start);
        }
        if (pos < text.Length && text[pos] == '.')
        {
            pos++;
            if (ReadDigits(text, ref pos) == 0)
            {
                throw new JsonSyntaxException("a digit was expected after the decimal point", pos);
            }
        }
        if (pos < text.Length && (text[pos] == 'e' || text[pos] == 'E'))
        {
            pos++;
            if (pos < text.Length && (text[pos] == '+' || text[pos] == '-'))
            {
                pos++;
            }
            if (ReadDigits(text, ref pos) == 0)
            {
                throw new JsonSyntaxException("a digit was expected in the exponent", pos);
            }
        }
        return new JsonNode(JsonKind.Number, start, pos - start) { Text = text.Substring(start, pos - start) };
    }

    private static int ReadDigits(string text, ref int pos)
    {
        int start = pos;
        while (pos < text.Length && text[pos] >= '0' && text[pos] <= '9')
        {
            pos++;
        }
        return pos - start;
    }

    private static JsonNode ReadLiteral(string text, ref int pos, string literal, JsonKind kind)
    {
        if (string.CompareOrdinal(text, pos, literal, 0, literal.Length) != 0)
        {
            throw new JsonSyntaxException("unexpected characters: '" + literal + "' or another value was expected", pos);
        }
        var node = new JsonNode(kind, pos, literal.Length);
        pos += literal.Length;
        return node;
    }

    private static void Expect(string text, ref int pos, char expected)
    {
        if (pos >= text.Length)
        {
            throw new JsonSyntaxException("unexpected end of the file: '" + expected + "' was expected", pos);
        }
        if (text[pos] != expected)
        {
            throw new JsonSyntaxException("'" + expected + "' was expected but found '" + text[pos] + "'", pos);
        }
        pos++;
    }

    private static void SkipWhitespace(string text, ref int pos)
    {
        while (pos < text.Length && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r'))
        {
            pos++;
        }
    }
}
