"""Billing periods: calendar months in UTC, `[1st 00:00, next 1st 00:00)`, named by their first day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time


def period_start(on: date) -> date:
    """The billing period containing `on` is the calendar month, named by its 1st (DOMAIN: billing conventions)."""
    return on.replace(day=1)


def period_of(at: datetime) -> date:
    """An instant belongs to the period of its UTC date (DOMAIN: periods are calendar months in UTC)."""
    return period_start(at.astimezone(UTC).date())


def add_months(period: date, months: int) -> date:
    """The period `months` after `period` (negative for before); periods are always 1sts of months."""
    index = period.year * 12 + (period.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def next_period(period: date) -> date:
    """The period that follows `period` (a downgrade's default start, a cancellation's end)."""
    return add_months(period_start(period), 1)


def period_begins_at(period: date) -> datetime:
    """The first instant of a period: 00:00 UTC on its 1st."""
    return datetime.combine(period_start(period), time(0), tzinfo=UTC)


def periods_from_to(first: date, last: date) -> list[date]:
    """Every period from `first`'s to `last`'s, inclusive, in order (empty if `last` is before `first`)."""
    out: list[date] = []
    current, end = period_start(first), period_start(last)
    while current <= end:
        out.append(current)
        current = next_period(current)
    return out
