using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(EdgeJamba.Benchmarks.KernelBenchmarks).Assembly).Run(args);
