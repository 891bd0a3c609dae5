"""Trials: free for a number of whole UTC days; the reseller may convert up to and including the last day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def trial_ends_at(started_at: datetime, days: int) -> datetime:
    """A trial of N days covers N whole UTC days from its start day and ends at 00:00 after the last (DOMAIN: Trial)."""
    if days < 1:
        raise ValueError("a trial lasts at least one day")
    first_day = started_at.astimezone(UTC).date()
    return datetime.combine(first_day + timedelta(days=days), time(0), tzinfo=UTC)


def trial_last_day(ends_at: datetime) -> date:
    """The last day on which the trial may still be converted (the day before it ends at midnight)."""
    return (ends_at.astimezone(UTC) - timedelta(microseconds=1)).date()


def may_convert(ends_at: datetime, at: datetime) -> bool:
    """The reseller converts a trial to paid at any time up to its last day, inclusive (DOMAIN: Trial)."""
    return at < ends_at


def trial_is_over(ends_at: datetime, now: datetime) -> bool:
    """A trial not converted by its end expires, or converts when auto-conversion is set (DOMAIN: Trial)."""
    return now >= ends_at
