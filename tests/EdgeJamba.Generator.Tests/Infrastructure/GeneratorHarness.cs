extern alias RuntimeAssembly;

using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace EdgeJamba.Generator.Tests.Infrastructure;

/// <summary>
/// Runs <see cref="ModelGenerator"/> in-process with <see cref="CSharpGeneratorDriver"/>, the way the compiler
/// runs it in a consumer project: specs arrive as AdditionalFiles, generated trees join the compilation.
/// </summary>
internal static class GeneratorHarness
{
    /// <summary>Parse options of the consumer projects (Directory.Build.props sets LangVersion latest).</summary>
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>
    /// The global usings the SDK adds to every consumer (ImplicitUsings is enabled repository-wide), so generated
    /// code is compiled against the same name space it meets in EdgeCli.
    /// </summary>
    private const string ImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_consumerReferences = new(LoadConsumerReferences);

    /// <summary>The repository root: the folder holding EdgeJamba.sln above this source file.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Every <c>ModelSpecs/*.model.json</c> of the checkout, in ordinal order of file name.</summary>
    public static IReadOnlyList<AdditionalText> ModelSpecs()
    {
        string folder = Path.Combine(RepoRoot, "ModelSpecs");
        string[] files = Directory.Exists(folder) ? Directory.GetFiles(folder, "*" + ModelGenerator.SpecSuffix) : [];
        Array.Sort(files, StringComparer.Ordinal);
        Assert.True(files.Length > 0, "ModelSpecs/ holds no *" + ModelGenerator.SpecSuffix + " file: the generator tests would cover nothing.");
        return [.. files.Select(f => new SpecText(f, File.ReadAllText(f)))];
    }

    /// <summary>An in-memory spec file named <paramref name="fileName"/> (under a relative <c>Specs/</c> folder).</summary>
    public static AdditionalText Spec(string fileName, string json) => new SpecText("Specs/" + fileName, json);

    /// <summary>A compilation with no references: enough to run the generator and read its diagnostics.</summary>
    public static CSharpCompilation BareCompilation(params SyntaxTree[] trees) =>
        CSharpCompilation.Create("GeneratorInput", trees, [], new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

    /// <summary>
    /// A compilation shaped like a consumer project (EdgeCli): .NET 10 reference assemblies, EdgeJamba.Runtime and its
    /// dependencies, nullable enabled, every warning wave on, the SDK's implicit usings.
    /// </summary>
    public static CSharpCompilation ConsumerCompilation() =>
        CSharpCompilation.Create(
            "GeneratedModels",
            [CSharpSyntaxTree.ParseText(ImplicitUsings, ParseOptions, "ImplicitUsings.g.cs")],
            s_consumerReferences.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, warningLevel: 9999));

    /// <summary>A driver over <paramref name="specs"/> that records every pipeline step (for the incremental tests).</summary>
    public static GeneratorDriver CreateDriver(IEnumerable<AdditionalText> specs) =>
        CSharpGeneratorDriver.Create(
            [new ModelGenerator().AsSourceGenerator()],
            specs,
            ParseOptions,
            optionsProvider: null,
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator once over <paramref name="specs"/>; fails the test if the generator threw.</summary>
    public static GeneratorRunResult Run(IEnumerable<AdditionalText> specs, CSharpCompilation? compilation = null)
    {
        var driver = CreateDriver(specs).RunGenerators(compilation ?? BareCompilation());
        return Single(driver);
    }

    /// <summary>The one generator's result of the driver's last run; fails the test if the generator threw.</summary>
    public static GeneratorRunResult Single(GeneratorDriver driver)
    {
        var result = Assert.Single(driver.GetRunResult().Results);
        Assert.True(result.Exception is null, "the generator threw: " + result.Exception);
        return result;
    }

    /// <summary>Hint name and text of every generated file, in the order the generator added them.</summary>
    public static IReadOnlyList<(string HintName, string Text)> Files(GeneratorRunResult result) =>
        [.. result.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString()))];

    private static ImmutableArray<MetadataReference> LoadConsumerReferences()
    {
        var runtime = typeof(RuntimeAssembly::EdgeJamba.Runtime.LanguageModel).Assembly;
        var references = ImmutableArray.CreateBuilder<MetadataReference>();
        references.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        references.Add(MetadataReference.CreateFromFile(runtime.Location));
        // Runtime's own package dependencies (System.Numerics.Tensors, the tokenizers) sit beside it in the output folder.
        foreach (AssemblyName dependency in runtime.GetReferencedAssemblies())
        {
            string path = Path.Combine(AppContext.BaseDirectory, dependency.Name + ".dll");
            if (File.Exists(path))
            {
                references.Add(MetadataReference.CreateFromFile(path));
            }
        }
        return references.ToImmutable();
    }

    private static string FindRepoRoot([CallerFilePath] string sourceFile = "")
    {
        // DeterministicSourcePaths is off in this project, so the compiler passes the real path of this file.
        var dir = new FileInfo(sourceFile).Directory;
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EdgeJamba.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("EdgeJamba.sln not found above " + sourceFile);
    }

    /// <summary>A spec file as the compiler hands it to the generator.</summary>
    private sealed class SpecText(string path, string text) : AdditionalText
    {
        private readonly SourceText _text = SourceText.From(text, Encoding.UTF8);

        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
    }
}
