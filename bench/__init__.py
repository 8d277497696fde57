"""Benchmark scripts; each takes its data folder as an argument."""
