namespace EdgeJamba.Runtime;

/// <summary>
/// A problem with the user's input (a file, a field, a flag), reported as one clear message without
/// a stack trace. The message names the file, field, tensor or position at fault.
/// </summary>
public class EdgeJambaException : Exception
{
    public EdgeJambaException()
    {
    }

    public EdgeJambaException(string message)
        : base(message)
    {
    }

    public EdgeJambaException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
