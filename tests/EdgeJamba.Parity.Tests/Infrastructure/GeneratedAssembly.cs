using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.Loader;
using System.Text;
using EdgeJamba.Generator;
using EdgeJamba.Layout;
using EdgeJamba.Runtime;
using EdgeJamba.Runtime.Import;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Xunit.Sdk;

namespace EdgeJamba.Parity.Tests.Infrastructure;

/// <summary>
/// Specialized models built at test time: each layout is written as a spec with <see cref="SpecWriter"/>, the
/// <see cref="ModelGenerator"/> runs in-process over all of them, and the generated sources are compiled in one
/// compilation (against the running framework and EdgeJamba.Runtime) into a collectible load context.
/// </summary>
internal sealed class GeneratedAssembly : IDisposable
{
    private static readonly CSharpParseOptions s_parseOptions = new(LanguageVersion.Latest);
    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(LoadReferences);
    private static int s_count;

    private readonly AssemblyLoadContext _context;
    private readonly Assembly _assembly;

    private GeneratedAssembly(AssemblyLoadContext context, Assembly assembly, int sourceFiles)
    {
        _context = context;
        _assembly = assembly;
        SourceFiles = sourceFiles;
    }

    /// <summary>Number of generated source files compiled.</summary>
    public int SourceFiles { get; }

    /// <summary>Generates and compiles specialized code for <paramref name="layouts"/> (names must be distinct identifiers).</summary>
    public static GeneratedAssembly Build(IReadOnlyList<ModelLayout> layouts)
    {
        string name = "EdgeJamba.Parity.Generated" + Interlocked.Increment(ref s_count).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var specs = layouts.Select(l => (AdditionalText)new SpecText(l.Name + ModelGenerator.SpecSuffix, SpecWriter.Write(l)));
        var driver = CSharpGeneratorDriver.Create([new ModelGenerator().AsSourceGenerator()], specs, s_parseOptions);
        var input = CSharpCompilation.Create(name, [], s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release,
                nullableContextOptions: NullableContextOptions.Enable, deterministic: true));
        var run = driver.RunGeneratorsAndUpdateCompilation(input, out var compilation, out var generatorDiagnostics).GetRunResult();
        var result = Assert.Single(run.Results);
        if (result.Exception is not null)
        {
            throw new XunitException("the generator threw: " + result.Exception);
        }
        if (!generatorDiagnostics.IsEmpty)
        {
            throw new XunitException("the generator reported:\n" + string.Join("\n", generatorDiagnostics.Take(20)));
        }

        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        if (!emitted.Success)
        {
            throw new XunitException("the generated code does not compile:\n" +
                string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(20)));
        }
        image.Position = 0;
        var context = new AssemblyLoadContext(name, isCollectible: true);
        return new GeneratedAssembly(context, context.LoadFromStream(image), result.GeneratedSources.Length);
    }

    /// <summary>The generated model class of <paramref name="layout"/> bound to <paramref name="checkpoint"/>.</summary>
    public LanguageModel Create(ModelLayout layout, Checkpoint checkpoint)
    {
        try
        {
            return (LanguageModel)Activator.CreateInstance(ModelType(layout), checkpoint)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    /// <summary>The layout the generated class of <paramref name="layout"/> declares (its static <c>Spec</c>).</summary>
    public ModelLayout DeclaredLayout(ModelLayout layout) =>
        (ModelLayout)ModelType(layout).GetProperty("Spec", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    /// <summary>Lets the load context go; models created from it must be disposed and dropped first.</summary>
    public void Dispose() => _context.Unload();

    // The generator's naming: namespace EdgeJamba.Generated.{Name}, class {Name}Model.
    private Type ModelType(ModelLayout layout) =>
        _assembly.GetType("EdgeJamba.Generated." + layout.Name + "." + layout.Name + "Model", throwOnError: true)!;

    /// <summary>The framework assemblies this process runs on, EdgeJamba.Runtime and the assemblies it references.</summary>
    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string[] trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        string framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var runtime = typeof(LanguageModel).Assembly;
        var wanted = runtime.GetReferencedAssemblies().Select(a => a.Name + ".dll").ToHashSet(StringComparer.OrdinalIgnoreCase);
        var paths = trusted
            .Where(p => Path.GetDirectoryName(p) == framework || wanted.Contains(Path.GetFileName(p)))
            .Append(runtime.Location)
            .Distinct(StringComparer.Ordinal);
        return [.. paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }

    /// <summary>A spec file as the compiler hands it to the generator.</summary>
    private sealed class SpecText(string path, string text) : AdditionalText
    {
        private readonly SourceText _text = SourceText.From(text, Encoding.UTF8);

        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
    }
}
