using System.Runtime.InteropServices;

namespace EdgeJamba.Cli;

/// <summary>
/// Standard output as a stream that writes with <c>write(2)</c> on file descriptor 1, so that:
/// <list type="bullet">
/// <item>text lands at the descriptor's shared offset — when stdout is a file shared with other writers
/// (<c>{ edgejamba; echo done; } &gt; out.txt</c>), nothing is overwritten (a <see cref="FileStream"/> over a
/// seekable handle would use <c>pwrite</c> at an offset of its own);</item>
/// <item>a reader that has gone away (<c>| head</c>) surfaces as an <see cref="IOException"/> "Broken pipe"
/// (<c>EPIPE</c>) that stops the run, where .NET's console stream drops such writes silently.</item>
/// </list>
/// On Windows it is the console's own stream.
/// </summary>
internal static partial class StandardOutput
{
    private const int Eintr = 4;
    private const int Epipe = 32;

    public static Stream Open() => OperatingSystem.IsWindows() ? Console.OpenStandardOutput() : new Fd1Stream();

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* buffer, nint count);

    private sealed unsafe class Fd1Stream : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            fixed (byte* start = buffer)
            {
                for (int done = 0; done < buffer.Length;)
                {
                    nint written = StandardOutput.Write(1, start + done, buffer.Length - done);
                    if (written >= 0)
                    {
                        done += (int)written;
                        continue;
                    }
                    int error = Marshal.GetLastPInvokeError();
                    if (error == Eintr)
                    {
                        continue;
                    }
                    throw new IOException(error == Epipe ? "Broken pipe" : $"cannot write to standard output (errno {error})", error);
                }
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
