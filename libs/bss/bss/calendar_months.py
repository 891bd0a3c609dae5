"""Calendar-month arithmetic: billing periods and month shifts, the one place every service takes them from.

A billing period is a calendar month in UTC, `[1st 00:00, next 1st 00:00)`, named by its first day
(docs/domain.md, "Billing conventions"). Periods are `date`s; the instants bounding them are aware UTC `datetime`s,
so the names say which one a function returns: `period_containing` gives the period (a `date`),
`period_start_instant` the instant it begins. Month shifts come in two kinds: `shift_period` moves a period
(always a 1st), `add_months_clamped` moves a day and keeps its day of the month where the target month has it.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime


def period_of(instant: datetime) -> date:
    """An instant belongs to the period of its UTC date: the 1st of its calendar month in UTC (Billing conventions)."""
    utc = instant if instant.tzinfo is UTC else instant.astimezone(UTC)
    return date(utc.year, utc.month, 1)


def period_containing(day: date) -> date:
    """The period a calendar day belongs to: the 1st of its month (the day needs no time zone, it already is one)."""
    return day.replace(day=1)


def is_period(value: date) -> bool:
    """A period is named by the 1st of its month."""
    return value.day == 1


def shift_period(period: date, months: int) -> date:
    """The period `months` after the one containing `period` (negative for before); always a 1st."""
    index = period.year * 12 + (period.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def next_period(period: date) -> date:
    """The period after the one containing `period`: the 1st of the following month."""
    return date(period.year + 1, 1, 1) if period.month == 12 else date(period.year, period.month + 1, 1)


def previous_period(period: date) -> date:
    """The period before the one containing `period`: the 1st of the preceding month."""
    return date(period.year - 1, 12, 1) if period.month == 1 else date(period.year, period.month - 1, 1)


def months_between(first: date, later: date) -> int:
    """Whole months from period `first` to period `later` (0 for the same month, negative when earlier)."""
    return (later.year - first.year) * 12 + (later.month - first.month)


def periods_from_to(first: date, last: date) -> list[date]:
    """Every period from `first`'s to `last`'s, inclusive, in order (empty if `last` is before `first`)."""
    out: list[date] = []
    current, end = period_containing(first), period_containing(last)
    while current <= end:
        out.append(current)
        current = next_period(current)
    return out


def period_start_instant(period: date) -> datetime:
    """The first instant of the period containing `period`: 00:00 UTC on its 1st."""
    return datetime(period.year, period.month, 1, tzinfo=UTC)


def period_end_instant(period: date) -> datetime:
    """The instant the period containing `period` ends (exclusive): the next 1st at 00:00 UTC."""
    return period_start_instant(next_period(period))


def days_in_period(period: date) -> int:
    """How many days the calendar month of `period` has (the divisor of the `average` aggregation)."""
    return calendar.monthrange(period.year, period.month)[1]


def add_months_clamped(day: date, months: int) -> date:
    """The same day of the month `months` later (negative for before), clamped to that month's last day:
    2023-08-31 plus 18 months is 2025-02-28 (seed 002's certification validity)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
