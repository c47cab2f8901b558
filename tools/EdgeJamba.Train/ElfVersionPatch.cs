using System.Buffers.Binary;
using System.Text;

namespace EdgeJamba.Train;

/// <summary>
/// Marks one symbol-version requirement of an ELF64 shared library weak (<c>VER_FLG_WEAK</c> in its
/// <c>.gnu.version_r</c> entry), so the dynamic loader accepts a system library that lacks that version.
/// TorchSharp's <c>libLibTorchSharp.so</c> asks for <c>GLIBCXX_3.4.32</c> (GCC 13) for a single symbol it never
/// calls; Debian 12 ships GCC 12's libstdc++. Only the copy in this tool's output folder is patched.
/// </summary>
internal static class ElfVersionPatch
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>Patches every <c>libLibTorchSharp.so</c> under the application folder; idempotent. Call before TorchSharp is touched.</summary>
    public static void PatchTorchSharp()
    {
        foreach (string path in Directory.EnumerateFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories))
        {
            if (MarkWeak(path, "GLIBCXX_3.4.32"))
            {
                Console.Error.WriteLine($"patched {path}: GLIBCXX_3.4.32 requirement marked weak");
            }
        }
    }

    /// <summary>Sets <c>VER_FLG_WEAK</c> on the version requirement named <paramref name="version"/>; returns whether the file changed.</summary>
    public static bool MarkWeak(string path, string version)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidDataException($"{path}: not a little-endian ELF64 file");
        }
        long shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(0x28));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3A));
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3C));
        bool changed = false;
        for (int s = 0; s < shnum; s++)
        {
            var section = elf.AsSpan((int)(shoff + (s * shentsize)));
            if (BinaryPrimitives.ReadUInt32LittleEndian(section[4..]) != ShtGnuVerneed)
            {
                continue;
            }
            long offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(section[0x18..]);
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(section[0x28..]);
            int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(section[0x2C..]);
            long strings = (long)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan((int)(shoff + (link * shentsize) + 0x18)));
            long need = offset;
            for (int n = 0; n < count; n++)
            {
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan((int)need + 2));
                long aux = need + BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan((int)need + 8));
                for (int a = 0; a < auxCount; a++)
                {
                    long name = strings + BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan((int)aux + 8));
                    int end = Array.IndexOf(elf, (byte)0, (int)name);
                    ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan((int)aux + 4));
                    if (Encoding.ASCII.GetString(elf, (int)name, end - (int)name) == version && (flags & VerFlgWeak) == 0)
                    {
                        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan((int)aux + 4), (ushort)(flags | VerFlgWeak));
                        changed = true;
                    }
                    aux += BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan((int)aux + 12));
                }
                need += BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan((int)need + 12));
            }
        }
        if (changed)
        {
            File.WriteAllBytes(path, elf);
        }
        return changed;
    }
}
