"""Trials: free for a number of whole UTC days; the reseller may convert up to and including the last day.

How long, and whether it converts by itself at its end, is the trial policy in force on the trial's start day
(the ordered product's, else the default `*`), unless the order chose otherwise (DOMAIN: Trials).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

MIN_TRIAL_DAYS = 1
MAX_TRIAL_DAYS = 365


@dataclass(frozen=True, slots=True)
class TrialTerms:
    """A trial's length in whole UTC days and whether it converts to paid at its end."""

    days: int
    auto_convert: bool


@dataclass(frozen=True, slots=True)
class TrialChoice:
    """What one order chose for its trial; None leaves that term to the policy."""

    days: int | None = None
    auto_convert: bool | None = None


def chosen_terms(policy: TrialTerms, choice: TrialChoice | None) -> TrialTerms:
    """The terms of one trial: what the order chose, else the policy in force on its start day."""
    if choice is None:
        return policy
    return TrialTerms(
        days=policy.days if choice.days is None else choice.days,
        auto_convert=policy.auto_convert if choice.auto_convert is None else choice.auto_convert,
    )


def trial_ends_at(started_at: datetime, days: int) -> datetime:
    """A trial of N days covers N whole UTC days from its start day and ends at 00:00 after the last (DOMAIN: Trial)."""
    if days < 1:
        raise ValueError("a trial lasts at least one day")
    first_day = started_at.astimezone(UTC).date()
    return datetime.combine(first_day + timedelta(days=days), time(0), tzinfo=UTC)


def trial_length_days(started_at: datetime, ends_at: datetime) -> int:
    """How many whole UTC days a trial covers, read back from its start and end (the inverse of `trial_ends_at`)."""
    return (ends_at.astimezone(UTC).date() - started_at.astimezone(UTC).date()).days


def trial_last_day(ends_at: datetime) -> date:
    """The last day on which the trial may still be converted (the day before it ends at midnight)."""
    return (ends_at.astimezone(UTC) - timedelta(microseconds=1)).date()


def may_convert(ends_at: datetime, at: datetime) -> bool:
    """The reseller converts a trial to paid at any time up to its last day, inclusive (DOMAIN: Trial)."""
    return at < ends_at


def trial_is_over(ends_at: datetime, now: datetime) -> bool:
    """A trial not converted by its end expires, or converts when auto-conversion is set (DOMAIN: Trial)."""
    return now >= ends_at
