"""Pure subscription rules: catalog as of a date, orders, trials, tier changes, ramp-up, timeline.

Nothing here reads the clock or touches a database: callers pass `now`/`on` and hand-made facts.
Periods (calendar months in UTC) come from `bss.calendar_months`, shared by every service.
"""
