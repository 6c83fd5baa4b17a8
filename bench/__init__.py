"""Benchmarks: ratios measured within one run, never asserted in tests."""
