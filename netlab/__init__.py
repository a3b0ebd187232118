"""The network-namespace lab for tests, benchmarks, the demo and tools."""
