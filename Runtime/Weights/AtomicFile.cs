namespace EdgeJamba.Runtime;

/// <summary>
/// Writes a file completely or not at all: the bytes go to a temporary file in the same folder, which is
/// renamed over the target only once it is complete. A failure (or an interruption) leaves the target as
/// it was and removes the temporary file.
/// </summary>
public static class AtomicFile
{
    /// <exception cref="EdgeJambaException">The folder does not exist or the file cannot be written; the message names the path.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (folder is null || !Directory.Exists(folder))
        {
            throw new EdgeJambaException($"{path}: the folder does not exist");
        }
        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                write(stream);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EdgeJambaException($"{path}: cannot be written: {e.Message}", e);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
