"""Billing rules as pure functions: periods, aggregation, prices, FX, the invoice math, margins.

Nothing here reads the clock or touches I/O; the use cases pass `now`/`on` and hand-made inputs in.
"""
