namespace EdgeJamba.Runtime;

/// <summary>
/// The files of one model — <c>config.json</c>, safetensors, tokenizer files — wherever they live: a folder
/// on disk (<see cref="FromDirectory"/>) or resources embedded in the executable (<see cref="EmbeddedModel"/>).
/// Loaders read through this so an embedded model is opened exactly like a folder. Names are plain file
/// names (no directories); every failure is an <see cref="EdgeJambaException"/> naming <see cref="PathOf"/>.
/// </summary>
public abstract class ModelFiles
{
    /// <summary>How messages name the model: the folder path, or "embedded model".</summary>
    public abstract string Name { get; }

    /// <summary>The model's own name: the folder's name, or the name an embedded model was built under.</summary>
    public abstract string ModelName { get; }

    /// <summary>Whether the model has a file called <paramref name="file"/>.</summary>
    public abstract bool Exists(string file);

    /// <summary>Names of the model's files ending in <paramref name="extension"/> (e.g. <c>.safetensors</c>), in ordinal order.</summary>
    public abstract IReadOnlyList<string> List(string extension);

    /// <summary>The whole of <paramref name="file"/> (small files: configs and tokenizers).</summary>
    public abstract byte[] ReadAllBytes(string file);

    /// <summary>Opens and validates the safetensors file <paramref name="file"/> without copying its data.</summary>
    public abstract SafetensorsFile OpenSafetensors(string file);

    /// <summary>How messages name <paramref name="file"/>.</summary>
    public virtual string PathOf(string file) => Name + "/" + file;

    /// <summary>A file name without any directory part: the only names a model's files have (so an index cannot point outside the folder).</summary>
    public static bool IsPlainName(string file) =>
        file is { Length: > 0 } && file != "." && file != ".." && file.IndexOfAny(['/', '\\', '\0']) < 0;

    /// <summary>The files of the folder <paramref name="directory"/>; throws when it does not exist.</summary>
    public static ModelFiles FromDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
        {
            throw new EdgeJambaException($"{directory}: model folder not found");
        }
        return new DirectoryFiles(directory);
    }

    /// <summary>A model folder on disk; safetensors files are memory-mapped.</summary>
    private sealed class DirectoryFiles(string directory) : ModelFiles
    {
        public override string Name => directory;

        public override string ModelName => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));

        public override string PathOf(string file) => Path.Combine(directory, file);

        public override bool Exists(string file) => IsPlainName(file) && File.Exists(PathOf(file));

        public override IReadOnlyList<string> List(string extension)
        {
            var names = Directory.GetFiles(directory, "*" + extension).Select(Path.GetFileName).OfType<string>().ToList();
            names.Sort(StringComparer.Ordinal);
            return names;
        }

        public override byte[] ReadAllBytes(string file)
        {
            try
            {
                return File.ReadAllBytes(PathOf(file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new EdgeJambaException($"{PathOf(file)}: cannot read the file ({e.Message})", e);
            }
        }

        public override SafetensorsFile OpenSafetensors(string file) => SafetensorsFile.Open(PathOf(file));

    }
}
