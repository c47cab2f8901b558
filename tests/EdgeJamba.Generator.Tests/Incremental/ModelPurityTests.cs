using System.Reflection;
using Microsoft.CodeAnalysis;

namespace EdgeJamba.Generator.Tests.Incremental;

/// <summary>
/// What the pipeline caches must compare by value and must not hold Roslyn objects: a symbol, compilation, syntax node
/// or location would keep a whole compilation alive and defeat caching. Walks every field reachable from the step models.
/// </summary>
public class ModelPurityTests
{
    private static readonly Type[] s_forbidden =
        [typeof(ISymbol), typeof(Compilation), typeof(SyntaxNode), typeof(SyntaxTree), typeof(SemanticModel), typeof(Location), typeof(Diagnostic)];

    [Fact]
    public void Cached_models_hold_no_roslyn_objects_and_compare_by_value()
    {
        var generator = typeof(ModelGenerator).Assembly;
        var roots = new[] { typeof(ParsedSpec), typeof(EmitModel) }
            .Concat(generator.GetTypes().Where(t => t.Namespace == "EdgeJamba.Layout" && t.GetMethod("<Clone>$") is not null));
        var seen = new HashSet<Type>();
        var pending = new Stack<(Type Type, string Path)>(roots.Select(t => (t, t.Name)));
        while (pending.TryPop(out var item))
        {
            var (type, path) = item;
            if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || !seen.Add(type))
            {
                continue;
            }
            Assert.False(s_forbidden.Any(f => f.IsAssignableFrom(type)), path + " is a " + type.Name);
            Assert.False(type == typeof(object) || type.IsInterface || type.IsPointer || typeof(Delegate).IsAssignableFrom(type),
                path + " is typed " + type.Name + ": its values cannot be checked");
            if (type.Assembly == generator && !type.IsArray)
            {
                Assert.True(typeof(IEquatable<>).MakeGenericType(type).IsAssignableFrom(type), path + ": " + type.Name + " has no value equality");
            }
            foreach (var inner in Inner(type, generator))
            {
                pending.Push((inner, path + " > " + inner.Name));
            }
        }
        Assert.Contains(typeof(EdgeJamba.Layout.MambaLayout), seen);
        Assert.Contains(typeof(EdgeJamba.Layout.SLstmLayout), seen);
        Assert.Contains(typeof(EdgeJamba.Layout.RopeLayout), seen);
        Assert.Contains(typeof(DiagnosticInfo), seen);
    }

    /// <summary>Field types, array elements, generic arguments, and the concrete subtypes of an abstract model type.</summary>
    private static List<Type> Inner(Type type, Assembly generator)
    {
        if (type.IsArray)
        {
            return [type.GetElementType()!];
        }
        var inner = new List<Type>(type.IsGenericType ? type.GetGenericArguments() : []);
        if (Nullable.GetUnderlyingType(type) is null)
        {
            for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
            {
                inner.AddRange(t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly).Select(f => f.FieldType));
            }
        }
        if (type.IsAbstract && type.Assembly == generator)
        {
            inner.AddRange(generator.GetTypes().Where(t => t.IsSubclassOf(type) && !t.IsAbstract));
        }
        return inner;
    }
}
