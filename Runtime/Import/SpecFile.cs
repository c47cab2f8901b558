using EdgeJamba.Layout;
using EdgeJamba.Spec;

namespace EdgeJamba.Runtime.Import;

/// <summary>Reads a model-layout spec file at run time with the generator's own validator.</summary>
public static class SpecFile
{
    /// <summary>The validated layout; every problem is reported as <c>path(line,col): error EJxxxx: message</c>.</summary>
    /// <param name="path">The spec file.</param>
    /// <param name="maxContext">Replaces the spec's <c>max_context</c> (<c>--ctx</c>); the result is validated again (state size).</param>
    public static ModelLayout Load(string path, int? maxContext = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EdgeJambaException($"{path}: cannot be read: {e.Message}");
        }
        return Parse(text, path, maxContext);
    }

    /// <summary>Validates spec text; <paramref name="path"/> names it in messages.</summary>
    /// <param name="text">The spec.</param>
    /// <param name="path">The spec's file, for messages.</param>
    /// <param name="maxContext">Replaces the spec's <c>max_context</c> (<c>--ctx</c>); the result is validated again (state size).</param>
    public static ModelLayout Parse(string text, string path, int? maxContext = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = SpecReader.Read(text);
        var errors = result.Problems.Where(p => !p.IsWarning).Select(p => p.Format(path, text)).ToList();
        if (result.Layout is null || errors.Count > 0)
        {
            throw new EdgeJambaException("the model spec is not valid:\n" + string.Join("\n", errors));
        }
        if (maxContext is not { } context || context == result.Layout.MaxContext)
        {
            return result.Layout;
        }
        // The spec itself is valid; with another context only its sizes can fail, and --ctx is to blame.
        var resized = SpecReader.Read(SpecWriter.Write(result.Layout with { MaxContext = context }));
        var problem = resized.Problems.FirstOrDefault(p => !p.IsWarning);
        if (problem is not null || resized.Layout is null)
        {
            throw new EdgeJambaException($"--ctx {context}: {path}: " + (problem is null ? "not a valid context" : $"{problem.Id}: {problem.Message}"));
        }
        return resized.Layout;
    }
}
