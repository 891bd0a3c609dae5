"""Pure subscription rules: periods, catalog as of a date, orders, trials, tier changes, ramp-up, timeline.

Nothing here reads the clock or touches a database: callers pass `now`/`on` and hand-made facts.
"""
