"""What a subscription is billed for in a period: the tier in force, ramp-up, trial and end (docs/domain.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bss.calendar_months import next_period, period_end_instant, period_of, period_start_instant
from bss.ramp_up import RampUpWindow, ramp_up_window


@dataclass(frozen=True, slots=True)
class TierStep:
    """From period `effective_from` on, the subscription is billed under `product_id`."""

    effective_from: date
    product_id: str


def apply_tier_change(schedule: Sequence[TierStep], change: TierStep) -> tuple[TierStep, ...]:
    """A tier change replaces every change received before it with the same or a later effective date (an
    upgrade cancels a pending downgrade; a second downgrade replaces the pending one) (Billing conventions)."""
    kept = [step for step in schedule if step.effective_from < change.effective_from]
    return (*sorted(kept, key=lambda s: s.effective_from), change)


def product_in_force(initial_product_id: str, schedule: Sequence[TierStep], period: date) -> str:
    """The product billed for a whole period: the latest change effective on or before its 1st, else the
    product subscribed to (one tier applies to a whole billing period; docs/domain.md, Subscriptions)."""
    in_force = [step for step in schedule if step.effective_from <= period]
    return max(in_force, key=lambda s: s.effective_from).product_id if in_force else initial_product_id


@dataclass(frozen=True, slots=True)
class PaidWindow:
    """When usage of a subscription is invoiced: from becoming paid until it ends (None: still running)."""

    paid_from: datetime | None
    ends_at: datetime | None = None
    last_billed_period: date | None = None


def is_billed_instant(window: PaidWindow, measured_at: datetime) -> bool:
    """Usage measured while in trial is never invoiced; usage up to the end of the last billed period is
    (a cancelled subscription's last month is billed in full; Billing conventions)."""
    if window.paid_from is None or measured_at < window.paid_from:
        return False
    return window.last_billed_period is None or measured_at < period_end_instant(window.last_billed_period)


def is_billable_period(window: PaidWindow, period: date) -> bool:
    """A period gets an invoice when the subscription was paid at some instant of it and it is not after the
    last billed period."""
    if window.paid_from is None or window.paid_from >= period_end_instant(period):
        return False
    if window.last_billed_period is not None and period > window.last_billed_period:
        return False
    return window.ends_at is None or window.ends_at > period_start_instant(period)


def first_paid_period(window: PaidWindow) -> date | None:
    """The month the subscription became paid: ramp-up cycle 1."""
    return period_of(window.paid_from) if window.paid_from is not None else None


def waived_periods(carried: RampUpWindow | None, window: PaidWindow, legacy_cycles: int) -> RampUpWindow | None:
    """The periods whose commitment a ramp-up waives are the window subscriptions decided and carried on its
    events; only for events from before the window was carried is it `legacy_cycles` months from the month the
    subscription became paid, by the same rule (docs/domain.md, "Ramp-up cycles")."""
    if carried is not None:
        return carried
    return ramp_up_window(first_paid_period(window), legacy_cycles)


def first_open_period(window: PaidWindow, closed_through: date | None, before: date) -> date | None:
    """The earliest month before `before` the subscription should have been invoiced for and was not: months
    close in order, and `closed_through` never jumps over a billable month (ADR 0011). None if there is none."""
    if window.paid_from is None:
        return None
    month = next_period(closed_through) if closed_through is not None else period_of(window.paid_from)
    while month < before:
        if is_billable_period(window, month):
            return month
        month = next_period(month)  # not billable (not yet paid, ended): not open either
    return None
