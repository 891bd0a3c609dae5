"""Business calendars: business days, the start-day rule, N business days, business time, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from support_sla.domain.business_calendar import BusinessCalendar, CalendarError

BERLIN = ZoneInfo("Europe/Berlin")
DE = BusinessCalendar(time_zone="Europe/Berlin", country="DE")
DE_BY = BusinessCalendar(time_zone="Europe/Berlin", country="DE", subdivision="BY")
ALL_WEEK_BERLIN = BusinessCalendar(time_zone="Europe/Berlin", working_weekdays=frozenset(range(7)))


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_weekend_days_are_not_business_days() -> None:
    assert DE.is_business_day(date(2024, 3, 8))
    assert not DE.is_business_day(date(2024, 3, 9))
    assert not DE.is_business_day(date(2024, 3, 10))


def test_public_holidays_of_the_country_are_not_business_days() -> None:
    assert not DE.is_business_day(date(2024, 12, 25))
    assert not DE.is_business_day(date(2024, 3, 29))  # Good Friday
    assert DE.is_business_day(date(2024, 12, 23))


def test_subdivision_holidays_apply_only_with_the_subdivision() -> None:
    assert DE_BY.is_business_day(date(2024, 1, 8)) is not False  # Monday 8 Jan is a plain day
    assert not DE_BY.is_business_day(date(2025, 1, 6))  # Epiphany in Bavaria
    assert DE.is_business_day(date(2025, 1, 6))


def test_24x7_calendar_makes_every_day_a_business_day() -> None:
    calendar = BusinessCalendar(always_open=True, country="DE")
    assert calendar.is_business_day(date(2024, 12, 25))
    assert calendar.is_business_day(date(2024, 3, 9))


def test_unknown_country_is_refused_naming_the_country() -> None:
    with pytest.raises(CalendarError) as error:
        BusinessCalendar(country="XX").validate()
    assert error.value.field_name == "country"


def test_unknown_time_zone_is_refused_naming_the_time_zone() -> None:
    with pytest.raises(CalendarError) as error:
        BusinessCalendar(time_zone="Mars/Olympus").validate()
    assert error.value.field_name == "time_zone"


def test_calendar_without_working_weekdays_is_refused() -> None:
    with pytest.raises(CalendarError) as error:
        BusinessCalendar(working_weekdays=frozenset()).validate()
    assert error.value.field_name == "working_weekdays"


def test_start_on_a_business_day_is_kept() -> None:
    opened = local(2024, 3, 8, 22, 0)
    assert DE.business_start(opened) == opened


def test_start_on_a_non_business_day_moves_to_midnight_of_next_business_day() -> None:
    assert DE.business_start(local(2024, 3, 9, 10, 0)) == local(2024, 3, 11, 0, 0)
    assert DE.business_start(local(2024, 3, 29, 10, 0)) == local(2024, 4, 2, 0, 0)  # Good Friday to Easter Tue


def test_n_business_days_is_same_local_time_on_nth_business_day_after_start_day() -> None:
    assert DE.add_business_days(local(2024, 3, 4, 9, 30), 5) == local(2024, 3, 11, 9, 30)


def test_n_business_days_from_a_weekend_start_day_is_not_counted() -> None:
    # Saturday -> start day Monday 00:00 (not counted) -> 1 business day later is Tuesday 00:00.
    assert DE.add_business_days(local(2024, 3, 2, 10, 0), 1) == local(2024, 3, 5, 0, 0)


def test_n_business_days_keep_local_time_across_spring_dst() -> None:
    due = DE.add_business_days(local(2024, 3, 28, 10, 0), 1)  # Thursday CET; Good Friday, weekend, Easter Monday
    assert due == local(2024, 4, 2, 10, 0)
    assert due.astimezone(UTC).hour == 8  # CEST


def test_n_business_days_keep_local_time_across_autumn_dst() -> None:
    due = DE.add_business_days(local(2024, 10, 25, 10, 0), 1)  # Friday CEST -> Monday CET
    assert due.astimezone(UTC) == datetime(2024, 10, 28, 9, 0, tzinfo=UTC)


def test_local_time_skipped_by_dst_lands_just_after_the_gap() -> None:
    due = ALL_WEEK_BERLIN.add_business_days(local(2024, 3, 30, 2, 30), 1)
    assert due == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)  # 03:30 CEST
    assert ALL_WEEK_BERLIN.local_day(due) == date(2024, 3, 31)


def test_business_time_counts_real_hours_of_a_dst_day() -> None:
    start, end = local(2024, 3, 31, 0, 0), local(2024, 4, 1, 0, 0)
    assert ALL_WEEK_BERLIN.business_time_between(start, end) == timedelta(hours=23)
    autumn = ALL_WEEK_BERLIN.business_time_between(local(2024, 10, 27, 0, 0), local(2024, 10, 28, 0, 0))
    assert autumn == timedelta(hours=25)


def test_business_time_skips_weekends_and_holidays() -> None:
    # Thursday 12:00 to Tuesday 12:00 over Easter: 12 h Thursday + 12 h Tuesday.
    assert DE.business_time_between(local(2024, 3, 28, 12, 0), local(2024, 4, 2, 12, 0)) == timedelta(hours=24)


def test_adding_business_time_walks_forward_over_business_days_only() -> None:
    assert DE.add_business_time(local(2024, 3, 8, 20, 0), timedelta(hours=6)) == local(2024, 3, 11, 2, 0)


def test_making_up_paused_time_that_exactly_fills_a_day_before_a_weekend_ends_at_that_days_close() -> None:
    # Friday 20:00 + 4 h fills Friday to 24:00: due Friday 24:00 (Saturday 00:00), not Monday 00:00.
    assert DE.add_business_time(local(2024, 3, 8, 20, 0), timedelta(hours=4)) == local(2024, 3, 9, 0, 0)


def test_making_up_paused_time_one_minute_past_a_days_close_continues_at_the_next_business_days_start() -> None:
    walked = DE.add_business_time(local(2024, 3, 8, 20, 0), timedelta(hours=4, minutes=1))
    assert walked == local(2024, 3, 11, 0, 1)


def test_making_up_paused_time_that_exactly_fills_a_day_before_a_holiday_ends_at_that_days_close() -> None:
    # Maundy Thursday 2024-03-28 20:00 + 4 h: Thursday 24:00, not Tuesday after Easter Monday.
    assert DE.add_business_time(local(2024, 3, 28, 20, 0), timedelta(hours=4)) == local(2024, 3, 29, 0, 0)


def test_making_up_paused_time_that_exactly_fills_a_midweek_day_ends_at_its_close_the_next_days_start() -> None:
    # Tuesday 24:00 and Wednesday 00:00 are the same instant: the rule changes nothing inside a week.
    assert DE.add_business_time(local(2024, 3, 5, 20, 0), timedelta(hours=4)) == local(2024, 3, 6, 0, 0)


def test_making_up_paused_time_from_a_weekend_starts_at_the_next_business_days_start() -> None:
    # Saturday: the walk starts Monday 00:00; 24 h exactly fill Monday, so it ends at Monday's close.
    assert DE.add_business_time(local(2024, 3, 9, 10, 0), timedelta(hours=24)) == local(2024, 3, 12, 0, 0)
    assert DE.add_business_time(local(2024, 3, 9, 10, 0), timedelta(hours=1)) == local(2024, 3, 11, 1, 0)


def test_adding_no_business_time_moves_nothing() -> None:
    instant = local(2024, 3, 9, 20, 0)
    assert DE.add_business_time(instant, timedelta(0)) == instant


def test_service_refuses_to_start_on_an_unknown_holiday_country() -> None:
    from pydantic import ValidationError

    from support_sla.settings import SupportSLASettings

    with pytest.raises(ValidationError, match="SUPPORT_SLA_COUNTRY"):
        SupportSLASettings(sla_country="XX")


def test_local_time_repeated_by_dst_is_its_first_occurrence() -> None:
    due = ALL_WEEK_BERLIN.add_business_days(local(2024, 10, 26, 2, 30), 1)
    assert due == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)  # 02:30 CEST, before the clocks go back
