"""Billing periods: calendar months in UTC, named by their first day (docs/domain.md, Billing conventions)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime


def period_of(instant: datetime) -> date:
    """The period an instant belongs to: the first day of its calendar month in UTC (Billing conventions)."""
    utc = instant if instant.tzinfo is UTC else instant.astimezone(UTC)
    return date(utc.year, utc.month, 1)


def next_period(period: date) -> date:
    """The period after `period`: the 1st of the following month."""
    return date(period.year + 1, 1, 1) if period.month == 12 else date(period.year, period.month + 1, 1)


def previous_period(period: date) -> date:
    """The period before `period`: the 1st of the preceding month."""
    return date(period.year - 1, 12, 1) if period.month == 1 else date(period.year, period.month - 1, 1)


def invoice_date_of(period: date) -> date:
    """The invoice date of a period is the 1st of the following month, whenever the close runs (seed 003)."""
    return next_period(period)


def period_start(period: date) -> datetime:
    """The instant a period starts: its 1st at 00:00 UTC."""
    return datetime(period.year, period.month, 1, tzinfo=UTC)


def period_end(period: date) -> datetime:
    """The instant a period ends (exclusive): the next 1st at 00:00 UTC."""
    return period_start(next_period(period))


def days_in_period(period: date) -> int:
    """How many days the calendar month has (the divisor of the `average` aggregation)."""
    return calendar.monthrange(period.year, period.month)[1]


def months_between(first: date, later: date) -> int:
    """Whole months from period `first` to period `later` (0 for the same month, negative when earlier)."""
    return (later.year - first.year) * 12 + (later.month - first.month)


def is_period(value: date) -> bool:
    """A period is named by the 1st of its month."""
    return value.day == 1
