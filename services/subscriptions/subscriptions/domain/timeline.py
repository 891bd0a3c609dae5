"""A subscription's timeline: per billing period, the tier, commitment, ramp-up flag and state in force.

Billing derives the same lines from the events (created, converted, tier changed, ramp-up, suspended,
resumed, cancelled), so every input here is something those events carry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from bss.calendar_months import next_period, period_containing, period_of, period_start_instant, periods_from_to
from bss.ramp_up import in_ramp_up, ramp_up_window
from subscriptions.domain.catalog_model import Product
from subscriptions.domain.tier_changes import ScheduledChange, tier_in_force


@dataclass(frozen=True, slots=True)
class StatusChange:
    """The subscription entered `status` at instant `at` (business time, possibly backdated)."""

    at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class SubscriptionHistory:
    """Everything the timeline needs about one subscription."""

    product_id: str
    started_at: datetime
    ends_at: datetime | None
    statuses: Sequence[StatusChange]
    changes: Sequence[ScheduledChange]
    ramp_up_first_period: date | None
    ramp_up_cycles: int
    currency: str


@dataclass(frozen=True, slots=True)
class PeriodLine:
    period: date
    product_id: str
    product_name: str
    tier: str
    commitment: Decimal | None
    commitment_currency: str | None
    ramp_up: bool
    state: str
    commitment_applies: bool


def state_at(statuses: Sequence[StatusChange], at: datetime) -> str | None:
    """The state in force at an instant: the last change at or before it."""
    found: str | None = None
    for change in sorted(statuses, key=lambda c: c.at):
        if change.at <= at:
            found = change.status
    return found


def period_state(history: SubscriptionHistory, period: date) -> str:
    """A period's state is the one it ended in (a trial converted on the 20th makes an 'active' month, a
    subscription cancelled during the month shows 'cancelled' in its last, fully billed, month)."""
    end = period_start_instant(next_period(period)) - timedelta(microseconds=1)
    return state_at(history.statuses, max(end, history.started_at)) or "trial"


def commitment_applies(state: str, ramp_up: bool) -> bool:
    """The minimum commitment is owed for a paid month (active, suspended, or the cancelled last month, billed in
    full) outside ramp-up; never for a trial (DOMAIN: Trial, Ramp-up, billing conventions)."""
    return state in ("active", "suspended", "cancelled") and not ramp_up


def timeline(
    history: SubscriptionHistory, products: Mapping[str, Product], first: date, last: date
) -> list[PeriodLine]:
    """One line per billing period between `first` and `last` in which the subscription exists: the tier in
    force (named as on the 1st), its commitment, the ramp-up flag and the state (DOMAIN: Subscriptions)."""
    begin = max(period_of(history.started_at), period_containing(first))
    end = period_containing(last)
    if history.ends_at is not None:
        end = min(end, period_of(history.ends_at - timedelta(microseconds=1)))
    lines: list[PeriodLine] = []
    window = ramp_up_window(history.ramp_up_first_period, history.ramp_up_cycles)
    for period in periods_from_to(begin, end):
        product_id = tier_in_force(history.product_id, history.changes, period)
        product = products.get(product_id)
        version = product.named_as_of(period) if product is not None else None
        commitment = version.commitment(history.currency) if version is not None else None
        ramp_up = in_ramp_up(window, period)
        state = period_state(history, period)
        lines.append(
            PeriodLine(
                period=period,
                product_id=product_id,
                product_name=version.name if version else "unknown product",
                tier=version.tier if version else "unknown",
                commitment=commitment[0] if commitment else None,
                commitment_currency=commitment[1] if commitment else None,
                ramp_up=ramp_up,
                state=state,
                commitment_applies=commitment_applies(state, ramp_up),
            )
        )
    return lines
