using EdgeJamba.Layout;
using EdgeJamba.Spec;

namespace EdgeJamba.Runtime.Import;

/// <summary>Reads a model-layout spec file at run time with the generator's own validator.</summary>
public static class SpecFile
{
    /// <summary>The validated layout; every problem is reported as <c>path(line,col): error EJxxxx: message</c>.</summary>
    public static ModelLayout Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException e)
        {
            throw new EdgeJambaException($"{path}: cannot be read: {e.Message}");
        }
        var result = SpecReader.Read(text);
        var errors = result.Problems.Where(p => !p.IsWarning).Select(p => p.Format(path, text)).ToList();
        if (result.Layout is null || errors.Count > 0)
        {
            throw new EdgeJambaException("the model spec is not valid:\n" + string.Join("\n", errors));
        }
        return result.Layout;
    }
}
