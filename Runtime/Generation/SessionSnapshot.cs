using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using EdgeJamba.Layout;
using EdgeJamba.Runtime.Sampling;

namespace EdgeJamba.Runtime.Generation;

/// <summary>
/// Saves and restores a whole generation session — the model's state arena (KV cache and recurrent
/// state), the tokens fed so far, the next-token logits, the sampler's RNG and an unfinished UTF-8
/// character — so that a resumed run continues byte for byte as an uninterrupted one would.
/// </summary>
/// <remarks>
/// Little-endian layout: magic <c>EJSNAP\0\0</c>; int32 version; 16 ASCII hex digits of the layout hash;
/// int32 vocabulary; int64 state elements; int32 token count; the tokens (int32 each); 4 × uint64 RNG
/// state; the logits (float32 × vocabulary); int32 pending-byte count (0..3) and the bytes; the state
/// (float32 × state elements); uint64 FNV-1a hash of everything before it. A snapshot of another layout,
/// another version, a truncated or a corrupted file is refused, naming the file and the byte offset.
/// </remarks>
public static class SessionSnapshot
{
    public const int Version = 1;
    private static readonly byte[] s_magic = "EJSNAP\0\0"u8.ToArray();

    public static void Write(string path, TextGenerator session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var layout = session.Model.Layout;
        var state = session.Model.State;
        using var buffer = new MemoryStream();
        var w = new BinaryWriter(buffer);
        w.Write(s_magic);
        w.Write(Version);
        w.Write(Encoding.ASCII.GetBytes(LayoutHash.Compute(layout)));
        w.Write(layout.VocabSize);
        w.Write((long)state.Length);
        w.Write(session.History.Count);
        foreach (int token in session.History)
        {
            w.Write(token);
        }
        var rng = session.Sampler.GetState();
        w.Write(rng.S0);
        w.Write(rng.S1);
        w.Write(rng.S2);
        w.Write(rng.S3);
        w.Write(MemoryMarshal.AsBytes(session.Logits.AsSpan()));
        w.Write(session.PendingUtf8.Length);
        w.Write(session.PendingUtf8);
        w.Write(MemoryMarshal.AsBytes((ReadOnlySpan<float>)state));
        w.Flush();
        w.Write(LayoutHash.Fnv1a64Bytes(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
        w.Flush();
        AtomicFile.Write(path, file => file.Write(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    /// <summary>Restores <paramref name="session"/> (a fresh one, on the same layout) from <paramref name="path"/>.</summary>
    public static void Read(string path, TextGenerator session)
    {
        ArgumentNullException.ThrowIfNull(session);
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EdgeJambaException($"{path}: the session snapshot cannot be read: {e.Message}");
        }
        var reader = new Reader(path, data);
        if (!reader.Bytes(s_magic.Length).SequenceEqual(s_magic))
        {
            throw new EdgeJambaException($"{path}: not an EdgeJamba session snapshot (bad magic at byte 0)");
        }
        int version = reader.Int32();
        if (version != Version)
        {
            throw new EdgeJambaException($"{path}: snapshot version {version} is not supported (this build reads version {Version})");
        }
        if (data.Length < 8 || LayoutHash.Fnv1a64Bytes(data.AsSpan(0, data.Length - 8)) != BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(data.Length - 8)))
        {
            throw new EdgeJambaException($"{path}: the snapshot is truncated or corrupted (checksum mismatch over its {data.Length} bytes)");
        }
        var layout = session.Model.Layout;
        string hash = Encoding.ASCII.GetString(reader.Bytes(16));
        if (hash != LayoutHash.Compute(layout))
        {
            throw new EdgeJambaException($"{path}: the snapshot belongs to another model layout (hash {hash}, this model {LayoutHash.Compute(layout)})");
        }
        int vocab = reader.Int32();
        long elements = reader.Int64();
        var state = session.Model.State;
        if (vocab != layout.VocabSize || elements != state.Length)
        {
            throw new EdgeJambaException($"{path}: the snapshot's sizes (vocabulary {vocab}, state {elements}) do not match this model " +
                $"(vocabulary {layout.VocabSize}, state {state.Length}); was --ctx different?");
        }
        int count = reader.Int32();
        if (count < 0 || count > layout.MaxContext)
        {
            throw new EdgeJambaException($"{path}: token count {count} at byte {reader.Offset - 4} is outside 0..{layout.MaxContext}");
        }
        session.History.Clear();
        for (int i = 0; i < count; i++)
        {
            int token = reader.Int32();
            if ((uint)token >= (uint)vocab)
            {
                throw new EdgeJambaException($"{path}: token {token} at byte {reader.Offset - 4} is outside the vocabulary");
            }
            session.History.Add(token);
        }
        var rng = new RngState(reader.UInt64(), reader.UInt64(), reader.UInt64(), reader.UInt64());
        if ((rng.S0 | rng.S1 | rng.S2 | rng.S3) == 0)
        {
            throw new EdgeJambaException($"{path}: the sampler state at byte {reader.Offset - 32} is all zero, which no session can have");
        }
        session.Sampler.SetState(rng);
        MemoryMarshal.Cast<byte, float>(reader.Bytes(vocab * sizeof(float))).CopyTo(session.Logits);
        int pending = reader.Int32();
        if (pending is < 0 or > 3)
        {
            throw new EdgeJambaException($"{path}: pending byte count {pending} at byte {reader.Offset - 4} is outside 0..3");
        }
        session.RestorePendingUtf8(reader.Bytes(pending));
        MemoryMarshal.Cast<byte, float>(reader.Bytes(checked((int)(elements * sizeof(float))))).CopyTo(state);
        if (reader.Offset != data.Length - 8)
        {
            throw new EdgeJambaException($"{path}: {data.Length - 8 - reader.Offset} unexpected bytes after the state at byte {reader.Offset}");
        }
    }

    /// <summary>Bounds-checked little-endian reads that name the offset when the file ends early.</summary>
    private sealed class Reader(string path, byte[] data)
    {
        public int Offset { get; private set; }

        public ReadOnlySpan<byte> Bytes(int count)
        {
            if (count < 0 || Offset + (long)count > data.Length - 8L)
            {
                throw new EdgeJambaException($"{path}: the snapshot ends early (needed {count} bytes at byte {Offset}, file has {data.Length})");
            }
            var span = data.AsSpan(Offset, count);
            Offset += count;
            return span;
        }

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4));

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Bytes(8));

        public ulong UInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8));
    }
}
