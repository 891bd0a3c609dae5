"""Billing periods and trials: the calendar rules everything else is built on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from subscriptions.domain.periods import add_months, next_period, period_of, periods_from_to
from subscriptions.domain.trials import may_convert, trial_ends_at, trial_is_over, trial_last_day

START = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


def test_a_period_is_the_utc_calendar_month_named_by_its_first_day() -> None:
    assert period_of(datetime(2024, 1, 31, 23, 59, tzinfo=UTC)) == date(2024, 1, 1)
    late_evening_in_new_york = datetime(2024, 1, 31, 20, 0, tzinfo=UTC).astimezone(UTC) + timedelta(hours=5)
    assert period_of(late_evening_in_new_york) == date(2024, 2, 1)
    assert next_period(date(2023, 12, 1)) == date(2024, 1, 1)
    assert periods_from_to(date(2023, 11, 15), date(2024, 2, 3)) == [
        date(2023, 11, 1),
        date(2023, 12, 1),
        date(2024, 1, 1),
        date(2024, 2, 1),
    ]


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(-300, 300))
def test_adding_months_always_lands_on_a_first_and_round_trips(on: date, months: int) -> None:
    there = add_months(on.replace(day=1), months)
    assert there.day == 1
    assert add_months(there, -months) == on.replace(day=1)


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
