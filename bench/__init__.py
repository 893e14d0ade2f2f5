"""Benchmarks (not tests): ``python -m bench.run``; see the README's Benchmarks section."""
