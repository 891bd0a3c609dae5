"""The ramp-up window: the billing periods whose minimum commitment a ramp-up waives.

Subscriptions owns ramp-up: it decides the cycles (caps and grants, `subscriptions/domain/ramp_up.py`) and the
window, and carries the window on its events (`RampUpGranted.first_period` / `last_period`; for a trial, which
becomes paid later, `TrialConverted.ramp_up_first_period` / `ramp_up_last_period`). Billing stores the window it
receives and asks `covers`; it computes one with `ramp_up_window` only for events written before the window was
carried (docs/domain.md, "Ramp-up", "Ramp-up cycles").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bss.calendar_months import period_containing, shift_period


@dataclass(frozen=True, slots=True)
class RampUpWindow:
    """The periods `first_period` to `last_period` (both 1sts, inclusive) in which the commitment is waived."""

    first_period: date
    last_period: date

    def __post_init__(self) -> None:
        if self.first_period.day != 1 or self.last_period.day != 1 or self.last_period < self.first_period:
            raise ValueError(f"not a ramp-up window: {self.first_period} to {self.last_period}")

    def covers(self, period: date) -> bool:
        """The commitment of a period (named by any of its days) is waived when its month is in the window."""
        return self.first_period <= period_containing(period) <= self.last_period


def ramp_up_window(paid_in: date | None, cycles: int) -> RampUpWindow | None:
    """Ramp-up cycles are calendar months counted from the month the subscription becomes paid (`paid_in`, any
    day of it), and a partial first month is cycle 1; None while not yet paid or without cycles
    (docs/domain.md, "Ramp-up cycles")."""
    if paid_in is None or cycles <= 0:
        return None
    first = period_containing(paid_in)
    return RampUpWindow(first, shift_period(first, cycles - 1))


def in_ramp_up(window: RampUpWindow | None, period: date) -> bool:
    """Whether a ramp-up waives the commitment of `period`: never without a window."""
    return window is not None and window.covers(period)
