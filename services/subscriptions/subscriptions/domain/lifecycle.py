"""Subscription states and the transitions between them (DOMAIN: Subscriptions, states)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from bss.calendar_months import next_period, period_of, period_start_instant

Status = Literal["trial", "active", "suspended", "cancelled", "expired"]
LIVE_STATUSES: tuple[Status, ...] = ("trial", "active", "suspended")
"""States that hold the exclusion set: a trial counts, and so does a suspended subscription."""


Action = Literal["convert", "suspend", "resume", "cancel", "change_tier"]


def transition_refusal(status: str, action: Action) -> str | None:
    """trial -> active -> cancelled; active <-> suspended; trial -> expired; only these moves exist."""
    allowed: dict[str, tuple[str, ...]] = {
        "convert": ("trial",),
        "suspend": ("active",),
        "resume": ("suspended",),
        "cancel": LIVE_STATUSES,
        "change_tier": ("active",),
    }
    if status in allowed[action]:
        return None
    return f"a {status} subscription cannot {action.replace('_', ' ')} (allowed from: {', '.join(allowed[action])})"


def cancellation_effective_at(status: str, requested_at: datetime, *, at_period_end: bool) -> datetime:
    """A cancellation ends the subscription at the end of the current billing period by default; a trial ends now."""
    if status == "trial" or not at_period_end:
        return requested_at
    return period_start_instant(next_period(period_of(requested_at)))


def last_billed_period(paid_from: datetime | None, ends_at: datetime) -> date | None:
    """The last period to invoice is the one holding the subscription's last instant; None if never paid."""
    if paid_from is None or ends_at <= paid_from:
        return None
    return period_of(ends_at - timedelta(microseconds=1))
