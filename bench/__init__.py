"""Benchmarks: one module per benchmark, each with a `main(argv) -> int`; `python -m bench` runs them all.

Each benchmark starts what it needs itself, measures its baseline in the same run, checks its own results and
prints a human-readable table followed by one last line of JSON with its figures (see `bench.reporting`).
"""
