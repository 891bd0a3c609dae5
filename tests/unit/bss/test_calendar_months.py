"""Calendar months: the billing periods and month shifts every service takes from `bss.calendar_months`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from bss.calendar_months import (
    add_months_clamped,
    days_in_period,
    is_period,
    months_between,
    next_period,
    period_containing,
    period_end_instant,
    period_of,
    period_start_instant,
    periods_from_to,
    previous_period,
    shift_period,
)

DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))
PERIODS = DAYS.map(lambda day: day.replace(day=1))


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


def test_an_instant_with_another_offset_belongs_to_the_period_of_its_utc_date() -> None:
    new_york = timezone(timedelta(hours=-5))
    assert period_of(datetime(2024, 1, 31, 20, 0, tzinfo=new_york)) == date(2024, 2, 1)
    tokyo = timezone(timedelta(hours=9))
    assert period_of(datetime(2024, 2, 1, 8, 59, tzinfo=tokyo)) == date(2024, 1, 1)


def test_a_calendar_day_belongs_to_the_period_of_its_month() -> None:
    assert period_containing(date(2024, 2, 29)) == date(2024, 2, 1)
    assert is_period(date(2024, 2, 1))
    assert not is_period(date(2024, 2, 2))


@given(DAYS, st.integers(-300, 300))
def test_adding_months_always_lands_on_a_first_and_round_trips(on: date, months: int) -> None:
    there = shift_period(on.replace(day=1), months)
    assert there.day == 1
    assert shift_period(there, -months) == on.replace(day=1)


def test_shifting_a_period_keeps_no_day_of_the_month() -> None:
    assert shift_period(date(2024, 1, 31), 1) == date(2024, 2, 1)
    assert shift_period(date(2024, 3, 15), -3) == date(2023, 12, 1)


@given(DAYS)
def test_next_and_previous_period_are_shifts_by_one_month(day: date) -> None:
    assert next_period(day) == shift_period(day, 1)
    assert previous_period(day) == shift_period(day, -1)
    assert previous_period(next_period(day)) == period_containing(day)


def test_next_and_previous_period_cross_the_year_boundary() -> None:
    assert next_period(date(2023, 12, 1)) == date(2024, 1, 1)
    assert previous_period(date(2024, 1, 1)) == date(2023, 12, 1)


@given(PERIODS, PERIODS)
def test_months_between_two_periods_is_the_shift_from_one_to_the_other(first: date, later: date) -> None:
    assert shift_period(first, months_between(first, later)) == later
    assert months_between(first, later) == -months_between(later, first)


def test_periods_from_to_is_empty_when_the_last_is_before_the_first() -> None:
    assert periods_from_to(date(2024, 3, 1), date(2024, 2, 29)) == []
    assert periods_from_to(date(2024, 3, 9), date(2024, 3, 30)) == [date(2024, 3, 1)]


def test_a_period_runs_from_its_first_at_midnight_utc_to_the_next_first_exclusive() -> None:
    assert period_start_instant(date(2024, 2, 1)) == datetime(2024, 2, 1, tzinfo=UTC)
    assert period_end_instant(date(2024, 2, 1)) == datetime(2024, 3, 1, tzinfo=UTC)
    assert period_end_instant(date(2023, 12, 1)) == datetime(2024, 1, 1, tzinfo=UTC)
    assert period_start_instant(date(2024, 2, 17)) == datetime(2024, 2, 1, tzinfo=UTC)


@given(PERIODS)
def test_every_instant_of_a_period_belongs_to_it(period: date) -> None:
    assert period_of(period_start_instant(period)) == period
    assert period_of(period_end_instant(period) - timedelta(microseconds=1)) == period
    assert period_of(period_end_instant(period)) == next_period(period)


def test_days_in_a_period_count_february_29_in_a_leap_year() -> None:
    assert days_in_period(date(2024, 2, 1)) == 29
    assert days_in_period(date(2023, 2, 1)) == 28
    assert days_in_period(date(2024, 12, 1)) == 31


def test_adding_months_to_a_day_clamps_it_to_the_last_day_of_the_target_month() -> None:
    assert add_months_clamped(date(2023, 8, 31), 18) == date(2025, 2, 28)
    assert add_months_clamped(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months_clamped(date(2024, 1, 15), 18) == date(2025, 7, 15)
    assert add_months_clamped(date(2024, 3, 31), -1) == date(2024, 2, 29)


@given(DAYS, st.integers(-300, 300))
def test_adding_months_to_a_day_lands_in_the_shifted_period_and_never_past_the_day(on: date, months: int) -> None:
    there = add_months_clamped(on, months)
    assert period_containing(there) == shift_period(on, months)
    assert there.day <= on.day
    assert there.day == on.day or there.day == days_in_period(there)
