namespace EdgeJamba.Spec;

/// <summary>
/// One problem found in a model-layout spec: an <c>EJxxxx</c> id, a message, and the character span
/// it points at. The generator turns it into a Roslyn diagnostic; the runtime into an error message.
/// </summary>
sealed partial record SpecProblem(string Id, string Message, int Start, int Length, bool IsWarning = false)
{
    /// <summary>1-based line and column of <see cref="Start"/> in <paramref name="text"/>.</summary>
    public (int Line, int Column) Position(string text)
    {
        int line = 1, column = 1;
        for (int i = 0; i < Start && i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }
        return (line, column);
    }

    /// <summary>The conventional compiler form: <c>path(line,col): error EJ0002: message</c>.</summary>
    public string Format(string path, string text)
    {
        var (line, column) = Position(text);
        return path + "(" + line.ToString(System.Globalization.CultureInfo.InvariantCulture) + "," +
            column.ToString(System.Globalization.CultureInfo.InvariantCulture) + "): " +
            (IsWarning ? "warning " : "error ") + Id + ": " + Message;
    }
}

/// <summary>The ids of every spec problem, with the title the generator's descriptors use.</summary>
static partial class SpecProblemIds
{
    public const string Syntax = "EJ0001";          // malformed JSON
    public const string Missing = "EJ0002";         // required field missing
    public const string WrongType = "EJ0003";       // field has the wrong JSON type
    public const string UnknownField = "EJ0004";    // field not part of the format (typo?)
    public const string UnknownValue = "EJ0005";    // unknown kind / family / dtype / activation ...
    public const string OutOfRange = "EJ0006";      // non-positive size, value outside its range
    public const string HeadsNotDivisible = "EJ0007"; // heads not a multiple of kv_heads
    public const string Unsupported = "EJ0008";     // valid format, but this version cannot run it yet
    public const string TooLarge = "EJ0009";        // sizes overflow 32-bit element counts or the state would not fit in memory
    public const string BadName = "EJ0010";         // name is not a C# identifier
    public const string Inconsistent = "EJ0011";    // fields contradict each other or the family
    public const string Duplicate = "EJ0012";       // the same field twice in one object
}
