using System.Diagnostics;
using System.Text;
using EdgeJamba.Tests;

namespace EdgeJamba.Cli.Tests;

/// <summary>Publishes <c>edgejamba</c> with Native AOT once per test run (isolated build folders) and runs it.</summary>
public sealed class AotBinary : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "edgejamba-aot-" + Environment.ProcessId);

    public AotBinary()
    {
        string output = Path.Combine(_root, "out");
        var publish = RunProcess("dotnet", ["publish", Path.Combine(SharedData.RepoRoot, "EdgeCli"), "-c", "Release", "-o", output,
            "--artifacts-path", Path.Combine(_root, "artifacts"), "-p:TreatWarningsAsErrors=true"], stdin: null, TimeSpan.FromMinutes(15));
        PublishLog = publish.StdOut + publish.StdErr;
        Path_ = Path.Combine(output, "edgejamba");
        if (publish.ExitCode != 0 || !File.Exists(Path_))
        {
            throw new InvalidOperationException("dotnet publish of EdgeCli failed:\n" + PublishLog);
        }
    }

    /// <summary>Full path of the published executable.</summary>
    public string Path_ { get; }

    public string PublishLog { get; }

    public string TempDirectory => _root;

    public ProcessResult Run(string? stdin, params string[] args) => RunProcess(Path_, args, stdin, TimeSpan.FromMinutes(2));

    /// <summary>How the tests start a process: stdin, stdout and stderr redirected, UTF-8 text, no shell.</summary>
    public static ProcessStartInfo StartInfo(string file, IEnumerable<string> args, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory ?? "",
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        return info;
    }

    public static ProcessResult RunProcess(string file, IEnumerable<string> args, string? stdin, TimeSpan timeout, string? workingDirectory = null)
    {
        var info = StartInfo(file, args, workingDirectory);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null)
            {
                process.StandardInput.Write(stdin);
            }
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The process exited before reading its input (a refused model fails fast): its exit code and stderr tell.
        }
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}");
        }
        return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }
    }
}

public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr);

[CollectionDefinition(Name)]
public sealed class AotCollection : ICollectionFixture<AotBinary>
{
    public const string Name = "AOT binary";
}
