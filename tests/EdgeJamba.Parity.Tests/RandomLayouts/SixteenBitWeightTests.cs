using System.Runtime.InteropServices;
using EdgeJamba.Layout;
using EdgeJamba.Runtime;
using EdgeJamba.Runtime.Import;
using EdgeJamba.Runtime.Tests.Weights;
using static EdgeJamba.Parity.Tests.Infrastructure.LogitAssert;

namespace EdgeJamba.Parity.Tests.RandomLayouts;

/// <summary>
/// Weights stored as BF16 or F16 stay 16-bit in memory (the matrix products widen them on the fly). A 16-bit copy of
/// each random model must give, on both engines, the logits of a float32 model holding the same values, widened
/// here by a plain scalar conversion (not the runtime's): any error in the 16-bit kernels, in what is bound 16-bit or
/// in the embedding lookup shows up.
/// </summary>
public sealed class SixteenBitWeightTests(RandomModelsFixture fixture) : IClassFixture<RandomModelsFixture>
{
    /// <summary>The 16-bit products sum rows in chunks of 512 columns: float32 reassociation only.</summary>
    private const double Tolerance = 1e-5;

    public static TheoryData<int, TensorDType> Cases
    {
        get
        {
            var data = new TheoryData<int, TensorDType>();
            for (int i = 0; i < RandomModelsFixture.Count; i++)
            {
                data.Add(i, i % 2 == 0 ? TensorDType.BF16 : TensorDType.F16);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_sixteen_bit_copy_gives_the_logits_of_its_float32_widening(int index, TensorDType dtype)
    {
        var c = fixture.Cases[index];
        string what = $"{c.Layout.Name} {dtype} [{LayoutHash.Describe(c.Layout)}]";
        using var folder = new TempDirectory();
        string packed = Path.Combine(folder.Path, "packed"), widened = Path.Combine(folder.Path, "widened");
        Copy(c.Directory, packed, widened, dtype);

        using var packedCheckpoint = Checkpoint.Open(packed);
        using var widenedCheckpoint = Checkpoint.Open(widened);
        Assert.All(packedCheckpoint.Files.SelectMany(f => f.Tensors), t => Assert.Equal(dtype, t.DType));
        using var expected = new GenericModel(c.Layout, widenedCheckpoint);
        using var generic = new GenericModel(c.Layout, packedCheckpoint);
        using var specialized = fixture.Generated.Create(c.Layout, packedCheckpoint);
        for (int t = 0; t < c.Tokens.Length; t++)
        {
            var want = expected.Forward(c.Tokens[t], t).ToArray();
            double tolerance = Tolerance * Math.Max(1, want.Max(Math.Abs));
            Close(what + " (generic)", t, generic.Forward(c.Tokens[t], t), want, tolerance, argmaxMustMatch: true);
            Close(what + " (specialized)", t, specialized.Forward(c.Tokens[t], t), want, tolerance, argmaxMustMatch: true);
        }
        // The products' weights (the embedding table among them) are not widened at load; only what other kernels read is.
        // (Quantized projections are converted at load by design, into memory the checkpoint owns: this bound is for
        // dense projections; their logits are checked above all the same. A q8_0 head is quantized from the 16-bit rows,
        // with no float32 copy of the table it reads, so it stays under the bound.)
        if (c.Layout.Projections != ProjectionFormat.Dense)
        {
            return;
        }
        long all = LayoutTensors.All(c.Layout).Sum(t => (long)t.Rows * t.Cols * sizeof(float));
        long embedding = (long)c.Layout.VocabSize * c.Layout.HiddenSize * sizeof(float);
        if (c.Layout.LmHead == ProjectionFormat.Q8_0)
        {
            int padded = QuantizedRows.PadColumns(c.Layout.HiddenSize);
            all += (long)c.Layout.VocabSize * (padded + (padded / QuantizedRows.Q8Block * sizeof(float))); // the q8_0 head's codes and scales
        }
        Assert.True(packedCheckpoint.OwnedBytes <= all - embedding,
            $"{what}: {packedCheckpoint.OwnedBytes} of {all} bytes widened at load; the embedding table at least should stay 16-bit");
    }

    /// <summary>Writes <paramref name="source"/>'s tensors as <paramref name="dtype"/> into <paramref name="packed"/> and, widened back to float32, into <paramref name="widened"/>.</summary>
    private static void Copy(string source, string packed, string widened, TensorDType dtype)
    {
        var narrow = new List<(string, long[], float[])>();
        using (var file = SafetensorsFile.Open(Path.Combine(source, Checkpoint.SingleFileName)))
        {
            foreach (var info in file.Tensors.OrderBy(t => t.ByteOffset))
            {
                narrow.Add((info.Name, [.. info.Shape], MemoryMarshal.Cast<byte, float>(file.Bytes(info)).ToArray()));
            }
        }
        Directory.CreateDirectory(packed);
        Directory.CreateDirectory(widened);
        SafetensorsWriter.Write(Path.Combine(packed, Checkpoint.SingleFileName), narrow, dtype);
        var wide = new List<(string, long[], float[])>();
        using (var file = SafetensorsFile.Open(Path.Combine(packed, Checkpoint.SingleFileName)))
        {
            foreach (var info in file.Tensors.OrderBy(t => t.ByteOffset))
            {
                var bits = MemoryMarshal.Cast<byte, ushort>(file.Bytes(info));
                var values = new float[bits.Length];
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = dtype == TensorDType.BF16 ? BitConverter.UInt32BitsToSingle((uint)bits[i] << 16) : (float)BitConverter.UInt16BitsToHalf(bits[i]);
                }
                wide.Add((info.Name, [.. info.Shape], values));
            }
        }
        SafetensorsWriter.Write(Path.Combine(widened, Checkpoint.SingleFileName), wide);
        foreach (string folder in new[] { packed, widened })
        {
            File.Copy(Path.Combine(source, RandomCheckpoint.SpecFileName), Path.Combine(folder, RandomCheckpoint.SpecFileName));
        }
    }
}
