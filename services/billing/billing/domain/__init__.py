"""Billing rules as pure functions: aggregation, prices, FX, the invoice math, margins.

Nothing here reads the clock or touches I/O; the use cases pass `now`/`on` and hand-made inputs in.
Periods (calendar months in UTC) come from `bss.calendar_months`, shared by every service.
"""
