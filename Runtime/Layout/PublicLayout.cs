namespace EdgeJamba.Layout;

// The layout records are shared, source for source, with the generator, where they stay internal.
// These declarations make them part of the runtime's public surface.
public readonly partial struct EquatableArray<T>;
public sealed partial record ModelLayout;
public sealed partial record LayerLayout;
public abstract partial record MixerLayout;
public sealed partial record AttentionLayout;
public sealed partial record RopeLayout;
public sealed partial record MambaLayout;
public sealed partial record MLstmLargeLayout;
public sealed partial record MLstmNxaiLayout;
public sealed partial record SLstmLayout;
public abstract partial record FfnLayout;
public sealed partial record NoFfnLayout;
public sealed partial record DenseFfnLayout;
public sealed partial record MoeLayout;
public sealed partial class TensorNames;
public static partial class MemoryPlan;
public static partial class LayoutHash;
public sealed partial record LayoutTensor;
public static partial class LayoutTensors;
public static partial class QuantizedRows;
