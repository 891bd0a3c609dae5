"""Ramp-up: the minimum commitment waived for the first billing cycles of a new paid subscription.

Subscriptions owns ramp-up: these rules decide the cycles, `bss.ramp_up.ramp_up_window` turns them into the
waived periods, and the events carry that window to billing (docs/domain.md, "Ramp-up").
"""

from __future__ import annotations

from datetime import date

RAMP_UP_CAP_CHANGE = date(2023, 11, 1)
MAX_CYCLES_BEFORE_CHANGE = 3
MAX_CYCLES_FROM_CHANGE = 1


def max_ramp_up_cycles(started_on: date) -> int:
    """At most 3 cycles for subscriptions started before 2023-11-01, at most 1 from then (DOMAIN: Ramp-up, seed 004)."""
    return MAX_CYCLES_BEFORE_CHANGE if started_on < RAMP_UP_CAP_CHANGE else MAX_CYCLES_FROM_CHANGE


def ramp_up_refusal(cycles: int, started_on: date) -> str | None:
    """Why `cycles` cannot be granted to a subscription starting on `started_on`, or None (DOMAIN: Ramp-up)."""
    if cycles < 0:
        return "a ramp-up cannot be negative"
    cap = max_ramp_up_cycles(started_on)
    if cycles > cap:
        return (
            f"a ramp-up of {cycles} cycles is above the cap of {cap} for a subscription starting on {started_on} "
            f"(at most {MAX_CYCLES_BEFORE_CHANGE} before {RAMP_UP_CAP_CHANGE}, {MAX_CYCLES_FROM_CHANGE} from then)"
        )
    return None


def grant_refusal(cycles: int) -> str | None:
    """A standing grant (per reseller or for all new subscriptions) is 0..3 cycles; 4 or more never applies."""
    if not 0 <= cycles <= MAX_CYCLES_BEFORE_CHANGE:
        return f"a ramp-up grant is 0 to {MAX_CYCLES_BEFORE_CHANGE} cycles, not {cycles}"
    return None


def cycles_at_creation(granted: int, started_on: date) -> int:
    """A standing grant applies at creation up to the cap in force on the start date (DOMAIN: Ramp-up)."""
    return max(0, min(granted, max_ramp_up_cycles(started_on)))
