namespace EdgeJamba.Spec;

// The spec reader is shared with the generator, where it stays internal; the runtime exposes it
// so imported specs are validated by the very same code.
public sealed partial record SpecResult;
public sealed partial record SpecProblem;
public static partial class SpecReader;
public static partial class SpecProblemIds;
