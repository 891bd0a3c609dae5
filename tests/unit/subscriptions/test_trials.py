"""Trials: how long they run and when they may convert (periods: tests/unit/bss/test_calendar_months.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from subscriptions.domain.trials import may_convert, trial_ends_at, trial_is_over, trial_last_day

START = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


def test_a_30_day_trial_covers_30_whole_days_and_ends_at_midnight_after_the_last() -> None:
    ends = trial_ends_at(START, 30)
    assert ends == datetime(2024, 3, 31, 0, 0, tzinfo=UTC)
    assert trial_last_day(ends) == date(2024, 3, 30)


def test_trial_conversion_is_allowed_on_its_last_day() -> None:
    ends = trial_ends_at(START, 30)
    assert may_convert(ends, datetime(2024, 3, 30, 23, 59, 59, tzinfo=UTC))
    assert not trial_is_over(ends, datetime(2024, 3, 30, 23, 59, 59, tzinfo=UTC))


def test_trial_conversion_is_refused_the_day_after_its_last_day() -> None:
    ends = trial_ends_at(START, 30)
    assert not may_convert(ends, datetime(2024, 3, 31, 0, 0, tzinfo=UTC))
    assert trial_is_over(ends, datetime(2024, 3, 31, 0, 0, tzinfo=UTC))


def test_trial_length_is_a_setting() -> None:
    assert trial_last_day(trial_ends_at(START, 14)) == date(2024, 3, 14)
